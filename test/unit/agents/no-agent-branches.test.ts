import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENTS } from '../../../shared/model.js';

/**
 * Agent-specific behaviour lives in the agent's definition (shared/agents/registry.ts), nowhere else: code that
 * branches on an agent's name (`agent === 'claude' ? … :`, `case 'codex':`) would give a new agent another
 * agent's behaviour and still compile. This scans the source for such branches.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_DIRS = ['shared', 'functions', 'infra', 'cli', 'bench', 'bin'];

/** Where naming an agent is the point. */
const ALLOWED = [
  // The registry and each agent's own folder.
  'shared/agents/',
  ...AGENTS.map((agent) => `shared/parsers/${agent}/`),
  // The chaos run's generator writes Claude Code and Codex content; its object roles are its own, not agents read.
  'infra/chaos/bucket.ts',
];

const QUOTE = `['"\`]`;
const NAMES = `(?:${AGENTS.join('|')})`;
const AGENT_BRANCH = new RegExp(
  [
    `(?:===|!==|==|!=)\\s*${QUOTE}${NAMES}${QUOTE}`,
    `${QUOTE}${NAMES}${QUOTE}\\s*(?:===|!==|==|!=|\\?)`,
    `case\\s+${QUOTE}${NAMES}${QUOTE}\\s*:`,
  ].join('|'),
);

/** `file:line: text` of every line that branches on an agent's name. */
function agentBranches(files: Array<{ file: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    text.split('\n').forEach((line, index) => {
      if (AGENT_BRANCH.test(line)) found.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
}

async function sourceFiles(root: string): Promise<Array<{ file: string; text: string }>> {
  const files: Array<{ file: string; text: string }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => [])) {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await walk(relative);
      else if (/\.(ts|js|mjs)$/.test(entry.name)) files.push({ file: relative, text: await readFile(path.join(root, relative), 'utf8') });
    }
  };
  for (const dir of SOURCE_DIRS) await walk(dir);
  return files;
}

describe('agent-specific code', () => {
  it('catches the branches it is meant to', () => {
    const old = [
      "  return agentSegment === 'claude' ? claudeLayout(machine, agentRoot, rest) : codexLayout(machine, key, rest);",
      "  const agentName = layout.agent === 'claude' ? 'Claude Code' : 'Codex';",
      "    const current = storedParserVersion(PARSERS[row.agent === 'codex' ? 'codex' : 'claude']);",
      "    case 'claude':",
      "    if (agentOption !== undefined && agentOption !== 'claude' && agentOption !== 'codex') {",
    ];
    expect(agentBranches(old.map((text, index) => ({ file: `old${index}.ts`, text })))).toHaveLength(old.length);
    expect(agentBranches([{ file: 'fine.ts', text: "const prefix = `${machine}/raw/${agent.name}/`;\nlabel('claude', x);" }])).toEqual([]);
  });

  it('does not branch on an agent name outside the registry and the agents’ folders', async () => {
    const files = (await sourceFiles(ROOT)).filter(({ file }) => !ALLOWED.some((allowed) => file.startsWith(allowed)));
    expect(files.length).toBeGreaterThan(50);
    expect(agentBranches(files)).toEqual([]);
  });
});
