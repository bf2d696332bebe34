import { createHash, type Hash } from 'node:crypto';

/**
 * The bytes a delta ingest checks before trusting that an object only grew: the last `TAIL_BYTES` before the
 * resume point (which is always right after a newline). A new version whose bytes there hash the same is taken
 * to start with what was ingested; an ETag cannot say so (it is a version token, not a content hash).
 * 256 bytes hold the end of the last line — its ids and timestamps — and cost little next to an append.
 */
export const TAIL_BYTES = 256;

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Watches an object's bytes stream past and keeps the last `TAIL_BYTES` that end at its last newline, with the
 * offset they end at, and the SHA-256 of every byte the stream brought up to that newline (the range this read
 * covers, checked again by verification: shared/ingest/verify-ranges.ts). `seed` is what came before the
 * stream (a delta's verified tail, ending at its start).
 */
export class LineTail {
  /** The last bytes seen, at most TAIL_BYTES. */
  private recent: Uint8Array;
  private offset: number;
  private atNewline: { bytes: Uint8Array; end: number };
  private readonly hash = createHash('sha256');
  /** The hash as it stood at the last newline seen; null: none seen yet (the range is empty). */
  private hashAtNewline: Hash | null = null;
  readonly start: number;

  constructor(seed: { bytes: Uint8Array; end: number } = { bytes: new Uint8Array(0), end: 0 }) {
    this.recent = seed.bytes.slice(-TAIL_BYTES);
    this.offset = seed.end;
    this.atNewline = { bytes: this.recent, end: seed.end };
    this.start = seed.end;
  }

  /** The bytes the stream brought, from `start` to the tail's end (whole lines only). */
  get range(): { start: number; end: number; sha256: Buffer } {
    const hash = this.hashAtNewline ?? createHash('sha256');
    return { start: this.start, end: this.atNewline.end, sha256: hash.copy().digest() };
  }

  /** The tail ending at the last newline seen (or at the seed's end), and that end. */
  get tail(): { bytes: Uint8Array; end: number } {
    return this.atNewline;
  }

  async *watch(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const newline = chunk.lastIndexOf(0x0a);
      if (newline !== -1) {
        this.atNewline = { bytes: lastBytes(this.recent, chunk.subarray(0, newline + 1)), end: this.offset + newline + 1 };
        this.hash.update(chunk.subarray(0, newline + 1));
        this.hashAtNewline = this.hash.copy();
        this.hash.update(chunk.subarray(newline + 1));
      } else {
        this.hash.update(chunk);
      }
      this.recent = lastBytes(this.recent, chunk);
      this.offset += chunk.length;
      yield chunk;
    }
  }
}

/** The last TAIL_BYTES of `before` followed by `chunk`, copied (stream chunks may be reused). */
function lastBytes(before: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= TAIL_BYTES) return chunk.slice(chunk.length - TAIL_BYTES);
  const keep = Math.min(before.length, TAIL_BYTES - chunk.length);
  const out = new Uint8Array(keep + chunk.length);
  out.set(before.subarray(before.length - keep), 0);
  out.set(chunk, keep);
  return out;
}

/**
 * Reads the first `length` bytes of `source` and hands back the rest as a stream that continues where they end
 * (or `cancel`, to close the source unread). Fewer than `length` bytes come back when the stream is shorter.
 */
export async function splitHead(
  source: AsyncIterable<Uint8Array>,
  length: number,
): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array>; cancel: () => Promise<void> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head = new Uint8Array(length);
  let filled = 0;
  let leftover: Uint8Array | null = null;
  while (filled < length) {
    const next = await iterator.next();
    if (next.done === true) break;
    const take = Math.min(length - filled, next.value.length);
    head.set(next.value.subarray(0, take), filled);
    filled += take;
    if (take < next.value.length) leftover = next.value.subarray(take);
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (leftover !== null) yield leftover;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  const cancel = async (): Promise<void> => {
    await iterator.return?.();
  };
  return { head: head.subarray(0, filled), rest: rest(), cancel };
}
