import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENTS } from '../../../shared/model.js';

/**
 * An agent's folder (shared/parsers/<agent>/) imports the driver's shared pieces (shared/parsers/*.ts, genai/),
 * never another agent's folder: what two agents share lives beside the driver, so changing one agent cannot change
 * another (docs/adding-an-agent.md).
 */

const PARSERS = fileURLToPath(new URL('../../../shared/parsers/', import.meta.url));
const IMPORT_FROM = /\bfrom\s+['"]([^'"]+)['"]/gu;

/** `file: specifier` of every import in an agent's folder that resolves into another agent's folder. */
async function crossAgentImports(agent: string): Promise<string[]> {
  const folder = path.join(PARSERS, agent);
  const found: string[] = [];
  for (const name of await readdir(folder)) {
    if (!name.endsWith('.ts')) continue;
    const text = await readFile(path.join(folder, name), 'utf8');
    for (const match of text.matchAll(IMPORT_FROM)) {
      const specifier = match[1] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = path.relative(PARSERS, path.resolve(folder, specifier)).split(path.sep)[0];
      if (target !== agent && (AGENTS as readonly string[]).includes(target ?? '')) found.push(`${agent}/${name}: ${specifier}`);
    }
  }
  return found;
}

describe("agents' folders", () => {
  it('import nothing from another agent\'s folder', async () => {
    const found = (await Promise.all(AGENTS.map(crossAgentImports))).flat();
    expect(found).toEqual([]);
  });

  it('the check sees an import into another agent\'s folder (a planted line)', () => {
    const planted = "import { x } from '../codex/tool-calls.js';";
    const specifier = [...planted.matchAll(IMPORT_FROM)][0]?.[1] ?? '';
    const target = path.relative(PARSERS, path.resolve(path.join(PARSERS, 'qwen'), specifier)).split(path.sep)[0];
    expect(target).toBe('codex');
  });
});
