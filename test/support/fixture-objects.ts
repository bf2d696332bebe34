/**
 * Every fixture session as the S3 object a machine would sync (key by the real layout, bytes as on disk), and
 * a seeded way to cut an object into the prefixes successive uploads of a growing log would have.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureObject {
  /** `laptop/raw/<agent>/…`, as `aws s3 sync` of the folder would name it. */
  key: string;
  bytes: Uint8Array;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ROOTS = [
  { dir: 'claude/projects', prefix: 'laptop/raw/claude' },
  { dir: 'malformed/projects', prefix: 'laptop/raw/claude' },
  { dir: 'codex/sessions', prefix: 'laptop/raw/codex' },
  { dir: 'qwen/projects', prefix: 'laptop/raw/qwen' },
  // ~/.copilot: session-state/<session>/events.jsonl and the OTel export otel/*.jsonl
  { dir: 'copilot/home', prefix: 'laptop/raw/copilot' },
] as const;

export async function fixtureObjects(): Promise<FixtureObject[]> {
  const objects: FixtureObject[] = [];
  for (const root of ROOTS) {
    const base = path.join(FIXTURES, root.dir);
    for (const file of await jsonlFiles(base)) {
      const relative = path.relative(base, file).split(path.sep).join('/');
      objects.push({ key: `${root.prefix}/${relative}`, bytes: new Uint8Array(await readFile(file)) });
    }
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function jsonlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl')).map((entry) => path.join(entry.parentPath, entry.name));
}

/** A small seeded PRNG (mulberry32), so a failing cut can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` increasing cut points in 1 … length−1 (fewer when the object is that short): the sizes of the
 * uploads before the last one. Cuts fall anywhere, mid-line and mid-character included.
 */
export function growthCuts(length: number, count: number, random: () => number): number[] {
  const cuts = new Set<number>();
  for (let attempt = 0; attempt < count * 4 && cuts.size < Math.min(count, length - 1); attempt += 1) {
    cuts.add(1 + Math.floor(random() * (length - 1)));
  }
  return [...cuts].sort((a, b) => a - b);
}
