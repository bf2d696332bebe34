import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { allAgentDefinitions } from '../shared/agents/registry.js';

/**
 * Each path as given when it is a file; when it is a directory, every `.jsonl` file below it and every file whose
 * name only one agent writes (a key layout's `ownsFileName`: how sessions not named `.jsonl` are found), in path
 * order.
 */
export async function expandJsonlPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    if (!(await stat(given)).isDirectory()) {
      files.push(given);
      continue;
    }
    const found = (await jsonlFilesUnder(given)).sort();
    if (found.length === 0) throw new Error(`no session files (.jsonl, or a name an agent writes) under the directory ${given}`);
    files.push(...found);
  }
  return files;
}

async function jsonlFilesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await jsonlFilesUnder(entryPath)));
    else if (entry.isFile() && isSessionFileName(entry.name)) files.push(entryPath);
  }
  return files;
}

function isSessionFileName(name: string): boolean {
  return name.endsWith('.jsonl') || allAgentDefinitions().some((definition) => definition.keyLayout.ownsFileName(name));
}
