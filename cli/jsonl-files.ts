import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Each path as given when it is a file; every `.jsonl` file below it, in path order, when it is a directory. */
export async function expandJsonlPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    if (!(await stat(given)).isDirectory()) {
      files.push(given);
      continue;
    }
    const found = (await jsonlFilesUnder(given)).sort();
    if (found.length === 0) throw new Error(`no .jsonl files under the directory ${given}`);
    files.push(...found);
  }
  return files;
}

async function jsonlFilesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await jsonlFilesUnder(entryPath)));
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) files.push(entryPath);
  }
  return files;
}
