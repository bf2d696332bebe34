import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../../shared/layout/s3-key.js';

describe('classifyKey', () => {
  it('reads a Claude session key', () => {
    const layout = classifyKey('laptop/raw/claude/-Users-me-app/1af7fc5e-8455.jsonl');

    expect(layout).toMatchObject({
      kind: 'session',
      machine: 'laptop',
      agent: 'claude',
      sessionId: 'laptop/raw/claude/-Users-me-app/1af7fc5e-8455',
      parentSessionId: null,
      parserContext: { fileStem: '1af7fc5e-8455', projectDir: '-Users-me-app', parentSourceSessionId: null },
    });
  });

  it('links a Claude subagent file to its parent session, under any prefix', () => {
    const layout = classifyKey('team/a/gpu-01/raw/claude/-w/0a1b/subagents/agent-a0ad.jsonl');

    expect(layout).toMatchObject({
      kind: 'subagent',
      machine: 'gpu-01',
      sessionId: 'team/a/gpu-01/raw/claude/-w/0a1b/subagents/agent-a0ad',
      parentSessionId: 'team/a/gpu-01/raw/claude/-w/0a1b',
      parserContext: { fileStem: 'agent-a0ad', projectDir: '-w', parentSourceSessionId: '0a1b' },
    });
  });

  it('treats tool-result files as sidecars, not sessions', () => {
    expect(classifyKey('laptop/raw/claude/-w/0a1b/tool-results/toolu_1.txt')).toMatchObject({
      kind: 'sidecar',
      sessionId: null,
    });
  });

  it('routes Codex rollouts by name and other Codex .jsonl by content', () => {
    expect(classifyKey('box/raw/codex/2026/02/23/rollout-2026-02-23T12-40-23-019c.jsonl')).toMatchObject({
      kind: 'session',
      agent: 'codex',
    });
    expect(classifyKey('box/raw/codex/odd/thing.jsonl')).toMatchObject({ kind: 'session', agent: null });
  });

  it.each([
    ['stray.jsonl', /not under/],
    ['laptop/raw/gemini/x/y.jsonl', /unsupported agent "gemini"/],
    ['laptop/raw/claude/-w/notes.txt', /not a \.jsonl/],
  ])('skips %s with a reason', (key, reason) => {
    const layout = classifyKey(key);

    expect(layout.kind).toBe('skipped');
    expect(layout.reason).toMatch(reason);
  });
});
