/**
 * As root, the embedded Postgres runs as the `postgres` OS user, which is "others" to root's files: it can only
 * reach a path whose every parent directory is traversable by others (mode o+x).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** The first existing parent of `target` that others cannot traverse; undefined when all of them can. */
export async function firstUntraversableParent(target: string): Promise<string | undefined> {
  let current = path.dirname(path.resolve(target));
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) return current;
    const next = path.dirname(current);
    if (next === current) return undefined;
    current = next;
  }
}
