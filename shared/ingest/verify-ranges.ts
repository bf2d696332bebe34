import { createHash, type Hash } from 'node:crypto';
import type { IngestedRange } from '../store/object-store.js';

/**
 * Whether an object still holds the bytes its rows were read from: streams it from offset 0 and hashes each
 * recorded range (contiguous from 0, none empty: shared/ingest/write-session.ts records them) as it passes, stopping at the first one that differs or that the object
 * is too short for. When all match, also returns the one range that now stands for them all, so the next check
 * of this version costs nothing (recorded as verified).
 */
export async function checkRanges(
  body: AsyncIterable<Uint8Array>,
  ranges: readonly IngestedRange[],
): Promise<{ matches: true; whole: IngestedRange[] } | { matches: false; at: number }> {
  const end = ranges.at(-1)?.end ?? 0;
  const whole = createHash('sha256');
  let index = 0;
  let offset = 0;
  let current: Hash = createHash('sha256');
  let rangeStart = 0;
  const closeRange = (): boolean => {
    const range = ranges[index];
    if (range === undefined || !current.digest().equals(range.sha256)) return false;
    rangeStart = range.end;
    index += 1;
    current = createHash('sha256');
    return true;
  };
  for await (const chunk of body) {
    let at = 0;
    while (at < chunk.length && index < ranges.length) {
      const range = ranges[index] as IngestedRange;
      const take = Math.min(chunk.length - at, range.end - offset);
      const piece = chunk.subarray(at, at + take);
      current.update(piece);
      whole.update(piece);
      at += take;
      offset += take;
      if (offset === range.end && !closeRange()) return { matches: false, at: rangeStart };
    }
    if (index >= ranges.length) break;
  }
  if (index < ranges.length) return { matches: false, at: rangeStart };
  return { matches: true, whole: end === 0 ? [] : [{ end, sha256: whole.digest() }] };
}
