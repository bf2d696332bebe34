import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENT_DEFINITIONS, allAgentDefinitions, notificationSuffixes } from '../../../shared/agents/registry.js';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { AGENTS } from '../../../shared/model.js';
import { PARSERS, selectParser } from '../../../shared/parsers/registry.js';
import { DEFAULT_FILTERS } from '../../../infra/local/notification-bridge.js';
import { rawBucketQueueConfigurations } from '../../../infra/notification-rules.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));


/** The suffixes of the `rule(id; event; suffix)` calls of docs/deploy.md's merge program. */
function deployDocSuffixes(doc: string): string[] {
  return [...doc.matchAll(/rule\("[^"]+"; "([^"]+)"; "([^"]+)"\)/g)].map((match) => `${match[1]} ${match[2]}`);
}

describe('the agent registry', () => {
  it('has one definition per agent name, under its own name', () => {
    expect(Object.keys(AGENT_DEFINITIONS).sort()).toEqual([...AGENTS].sort());
    for (const [name, definition] of Object.entries(AGENT_DEFINITIONS)) {
      expect(definition.name).toBe(name);
      expect(definition.parser.agent).toBe(name);
      expect(PARSERS[definition.name]).toBe(definition.parser);
    }
  });

  it('gives the bucket every suffix the agents write, sessions and sidecars', () => {
    expect(notificationSuffixes()).toEqual(['.jsonl', '.txt', '.json']);
    expect(DEFAULT_FILTERS).toEqual([{ suffix: '.jsonl' }, { suffix: '.txt' }, { suffix: '.json' }]);
  });

  it('is what serverless.yml notifies the queue about: each suffix, created and removed', async () => {
    const template = await readFile(path.join(ROOT, 'serverless.yml'), 'utf8');
    expect(template).toMatch(/^ {8}NotificationConfiguration:\n {10}QueueConfigurations: \$\{file\(\.\/infra\/notification-rules\.cjs\)\}$/m);
    const rules = rawBucketQueueConfigurations() as Array<{ Event: string; Filter: { S3Key: { Rules: Array<{ Name?: string; Value?: unknown }> } } }>;
    const suffix = (rule: (typeof rules)[number]) => rule.Filter.S3Key.Rules.find((filter) => filter.Name === 'suffix')?.Value;
    expect(rules.map((rule) => `${rule.Event} ${String(suffix(rule))}`)).toEqual([
      's3:ObjectCreated:* .jsonl', 's3:ObjectRemoved:* .jsonl',
      's3:ObjectCreated:* .txt', 's3:ObjectRemoved:* .txt',
      's3:ObjectCreated:* .json', 's3:ObjectRemoved:* .json',
    ]);
  });

  it('reaches serverless.yml through the file osls loads with require()', () => {
    const load = createRequire(import.meta.url)(path.join(ROOT, 'infra', 'notification-rules.cjs')) as () => unknown;
    expect(load()).toEqual(rawBucketQueueConfigurations());
  });

  it("is what docs/deploy.md's merge of an existing bucket's notifications writes", async () => {
    const doc = await readFile(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const expected = notificationSuffixes().flatMap((suffix) => [`s3:ObjectCreated:* ${suffix}`, `s3:ObjectRemoved:* ${suffix}`]);
    expect(deployDocSuffixes(doc).sort()).toEqual(expected.sort());
  });

  it("lists each agent's key layout in README's table", async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    for (const agent of allAgentDefinitions()) expect(readme).toContain(`| \`<machine>/raw/${agent.name}/`);
  });

  it('has samples in test/fixtures for each agent, where `npm start` looks for them', async () => {
    for (const agent of allAgentDefinitions()) {
      const dir = path.join(ROOT, 'test', 'fixtures', ...agent.localFolder.samples);
      expect((await stat(dir)).isDirectory()).toBe(true);
    }
  });

  it("gives the parse bench each agent's sample sessions, under its samples, named after it", async () => {
    const names = allAgentDefinitions().flatMap((agent) => agent.benchSamples.map((sample) => sample.name));
    expect(new Set(names).size).toBe(names.length);
    for (const agent of allAgentDefinitions()) {
      expect(agent.benchSamples.map((sample) => sample.name)).toContain(agent.name);
      for (const sample of agent.benchSamples) {
        expect(sample.name === agent.name || sample.name.startsWith(`${agent.name}-`)).toBe(true);
        expect((await stat(path.join(ROOT, 'test', 'fixtures', ...agent.localFolder.samples, sample.file))).isFile()).toBe(true);
        // What `npm start` uploads from there is read as a session of the agent.
        expect(classifyKey(`sample/raw/${agent.name}/${sample.file}`)).toMatchObject({ kind: 'session', agent: agent.name });
      }
    }
  });

  it("classifies a key under each agent with that agent's rule", () => {
    expect(classifyKey('m/raw/claude/-p/5c0375b4.jsonl')).toMatchObject({ kind: 'session', agent: 'claude' });
    expect(classifyKey('m/raw/codex/2026/01/01/rollout-2026-01-01T00-00-00-x.jsonl')).toMatchObject({ kind: 'session', agent: 'codex' });
    // A Claude Code file name under raw/codex/ is not a rollout.
    expect(classifyKey('m/raw/codex/-p/5c0375b4.jsonl')).toMatchObject({ kind: 'skipped', agent: 'codex' });
  });

  describe('choosing the parser from the first record', () => {
    const codexLine = { timestamp: '2026-01-01T00:00:00Z', type: 'session_meta', payload: { id: 'x' } };
    const claudeLine = { type: 'user', sessionId: 's', uuid: 'u' };
    const neither = { type: 'something' };

    it('reads under an agent only what that agent reads', () => {
      const underClaude = selectParser('claude') as (record: Record<string, unknown>) => unknown;
      const underCodex = selectParser('codex') as (record: Record<string, unknown>) => unknown;
      expect(underClaude(claudeLine)).toBe(AGENT_DEFINITIONS.claude.parser);
      // Claude Code's lines have no fixed envelope: anything no other agent claims is read (and judged) as Claude's.
      expect(underClaude(neither)).toBe(AGENT_DEFINITIONS.claude.parser);
      expect(underClaude(codexLine)).toBeNull();
      expect(underCodex(codexLine)).toBe(AGENT_DEFINITIONS.codex.parser);
      expect(underCodex(claudeLine)).toBeNull();
      expect(underCodex(neither)).toBeNull();
    });

    it('lets the content decide when no layout names the agent', () => {
      const byContent = selectParser(null) as (record: Record<string, unknown>) => unknown;
      expect(byContent(codexLine)).toBe(AGENT_DEFINITIONS.codex.parser);
      expect(byContent(claudeLine)).toBe(AGENT_DEFINITIONS.claude.parser);
      expect(byContent(neither)).toBeNull();
    });
  });
});
