import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENTS, type Agent } from '../../../shared/model.js';

/**
 * Issue 17's "done when": an agent added by the recipe (docs/adding-an-agent.md) touches no file outside its folder
 * but the registry, a price migration, README's table, fixtures and tests. The history cannot show that for the
 * agents already added; the tree can: their names appear only where the recipe puts them. A file that names an
 * agent anywhere else is a file the next agent would have to touch too.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Claude Code and Codex predate the registry: their formats are the examples much of the code, the docs and the
 * bench corpus are written against (README's opening line, the chaos run's generator, `claude/2`-style versions).
 */
const PREDATE_THE_REGISTRY: readonly Agent[] = ['claude', 'codex'];

/** Where the recipe puts an agent's name (prefixes of repository paths). */
function allowedFor(agent: Agent): string[] {
  return [
    `shared/parsers/${agent}/`,
    // Google GenAI parts and usage, the format shared by the agents that log it (docs/adding-an-agent.md).
    'shared/parsers/genai/',
    'shared/model.ts',
    'shared/agents/registry.ts',
    'infra/migrations/',
    'README.md',
    `docs/agents/${agent}.md`,
    'docs/adding-an-agent.md',
    // Parity with ccusage is checked per agent.
    'docs/ccusage-parity.md',
    'test/',
    'package-lock.json',
  ];
}

/** Files allowed to name any agent, each for its reason. */
const EXEMPT: Record<string, string> = {
  'docs/performance.md': 'measurement records name the inputs they measured; the history of a run is not rewritten',
};

async function trackedFiles(): Promise<string[]> {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\0')
      .filter((file) => file !== '');
  } catch {
    return walk('');
  }
}

/** Without git (an unpacked archive): every file but the ignored folders. */
async function walk(dir: string): Promise<string[]> {
  const skipped = new Set(['.git', 'node_modules', 'dist', '.serverless', '.sessionlake', 'coverage', '.notes', 'test-output', 'results']);
  const files: string[] = [];
  for (const entry of await readdir(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) files.push(...(await walk(relative)));
    } else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/** The files (not under `skip`) whose text names the agent as a word, in any case. */
async function filesNaming(agent: Agent, files: readonly string[], skip: readonly string[]): Promise<string[]> {
  const word = new RegExp(`\\b${agent}\\b`, 'i');
  const naming: string[] = [];
  for (const file of files) {
    if (skip.some((prefix) => file.startsWith(prefix))) continue;
    const text = await readFile(path.join(ROOT, file), 'utf8').catch(() => '');
    if (!text.includes('\0') && word.test(text)) naming.push(file);
  }
  return naming;
}

describe("an agent's footprint outside its folder", async () => {
  const files = await trackedFiles();

  it('reads the files of the repository', async () => {
    // A search over no files would pass every agent.
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('shared/model.ts');
    expect(await filesNaming('claude', files.filter((file) => file === 'shared/model.ts'), [])).toEqual(['shared/model.ts']);
  });

  const added = AGENTS.filter((agent) => !PREDATE_THE_REGISTRY.includes(agent));
  it.each(added)('%s is named only where the recipe puts it', async (agent) => {
    expect(await filesNaming(agent, files, [...allowedFor(agent), ...Object.keys(EXEMPT)])).toEqual([]);
  });

  it.each(added)('%s is named in the files the recipe needs (the search finds them)', async (agent) => {
    const naming = await filesNaming(agent, files, []);
    expect(naming).toEqual(expect.arrayContaining(['shared/model.ts', 'shared/agents/registry.ts', `shared/parsers/${agent}/agent.ts`, 'README.md']));
  });
});
