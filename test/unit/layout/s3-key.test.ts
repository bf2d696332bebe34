import { describe, expect, it } from 'vitest';
import { classifyKey, sidecarKey } from '../../../shared/layout/s3-key.js';

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

  it('reads a subagent nested deeper under subagents/ as a subagent of the session', () => {
    expect(classifyKey('m/raw/claude/-w/0a1b/subagents/team/agent-b1.jsonl')).toMatchObject({
      kind: 'subagent',
      sessionId: 'm/raw/claude/-w/0a1b/subagents/team/agent-b1',
      parentSessionId: 'm/raw/claude/-w/0a1b',
    });
  });

  it('treats tool-result files, of any name, as sidecars of their session', () => {
    expect(classifyKey('p/laptop/raw/claude/-w/0a1b/tool-results/toolu_1.txt')).toEqual({
      kind: 'sidecar',
      machine: 'laptop',
      agent: 'claude',
      sessionKey: 'p/laptop/raw/claude/-w/0a1b.jsonl',
      sessionId: 'p/laptop/raw/claude/-w/0a1b',
    });
    expect(classifyKey('laptop/raw/claude/-w/0a1b/tool-results/x/y.json')).toMatchObject({ kind: 'sidecar' });
  });

  it('reads Codex rollouts at any depth (dated folders, archives)', () => {
    expect(classifyKey('box/raw/codex/2026/02/23/rollout-2026-02-23T12-40-23-019c.jsonl')).toMatchObject({
      kind: 'session',
      agent: 'codex',
    });
    expect(classifyKey('box/raw/codex/rollout-2025-01-01T00-00-00-abc.jsonl')).toMatchObject({ kind: 'session', agent: 'codex' });
  });

  it('reads Gemini CLI sessions, .jsonl and the older .json, under their project folder', () => {
    expect(classifyKey('box/raw/gemini/my-app/chats/session-2026-11-20T09-15-7d3e9a41.jsonl')).toEqual({
      kind: 'session',
      machine: 'box',
      agent: 'gemini',
      sessionId: 'box/raw/gemini/my-app/chats/session-2026-11-20T09-15-7d3e9a41',
      parentSessionId: null,
      parserContext: { fileStem: 'session-2026-11-20T09-15-7d3e9a41', projectDir: 'my-app', parentSourceSessionId: null },
    });
    // A legacy document keeps its suffix in its id: the .jsonl it was resumed into is another session.
    expect(classifyKey('box/raw/gemini/9f2c/chats/session-2025-09-01T08-00-5a1b2c3d.json')).toMatchObject({
      kind: 'session',
      sessionId: 'box/raw/gemini/9f2c/chats/session-2025-09-01T08-00-5a1b2c3d.json',
      parserContext: { fileStem: 'session-2025-09-01T08-00-5a1b2c3d', projectDir: '9f2c' },
    });
  });

  it('reads a Gemini CLI subagent chat as a subagent of the session its folder names', () => {
    expect(classifyKey('box/raw/gemini/my-app/chats/7d3e9a41-5b2c/0b9c8d7e.jsonl')).toEqual({
      kind: 'subagent',
      machine: 'box',
      agent: 'gemini',
      sessionId: 'box/raw/gemini/my-app/chats/7d3e9a41-5b2c/0b9c8d7e',
      parentSessionId: null,
      parserContext: { fileStem: '0b9c8d7e', projectDir: 'my-app', parentSourceSessionId: '7d3e9a41-5b2c' },
    });
  });

  it('reads Qwen Code chats and subagent transcripts where Qwen Code writes them', () => {
    expect(classifyKey('box/raw/qwen/-home-me-app/chats/7c1e.jsonl')).toEqual({
      kind: 'session',
      machine: 'box',
      agent: 'qwen',
      sessionId: 'box/raw/qwen/-home-me-app/chats/7c1e',
      parentSessionId: null,
      parserContext: { fileStem: '7c1e', projectDir: '-home-me-app', parentSourceSessionId: null },
    });
    expect(classifyKey('box/raw/qwen/-home-me-app/subagents/7c1e/agent-rev-1.jsonl')).toEqual({
      kind: 'subagent',
      machine: 'box',
      agent: 'qwen',
      sessionId: 'box/raw/qwen/-home-me-app/subagents/7c1e/agent-rev-1',
      parentSessionId: 'box/raw/qwen/-home-me-app/chats/7c1e',
      parserContext: { fileStem: 'agent-rev-1', projectDir: '-home-me-app', parentSourceSessionId: '7c1e' },
    });
  });

  it('reads Copilot CLI sessions and its OTel export where Copilot CLI writes them', () => {
    expect(classifyKey('box/raw/copilot/session-state/5f0c5c1e-2b7a/events.jsonl')).toEqual({
      kind: 'session',
      machine: 'box',
      agent: 'copilot',
      sessionId: 'box/raw/copilot/session-state/5f0c5c1e-2b7a/events',
      parentSessionId: null,
      parserContext: { fileStem: '5f0c5c1e-2b7a', projectDir: null, parentSourceSessionId: null },
    });
    expect(classifyKey('box/raw/copilot/session-state/5f0c5c1e-2b7a.jsonl')).toMatchObject({
      kind: 'session',
      agent: 'copilot',
      parserContext: { fileStem: '5f0c5c1e-2b7a' },
    });
    expect(classifyKey('box/raw/copilot/otel/2026/copilot-otel-1.jsonl')).toMatchObject({
      kind: 'session',
      agent: 'copilot',
      sessionId: 'box/raw/copilot/otel/2026/copilot-otel-1',
    });
  });

  it.each([
    ['box/raw/copilot/session-state/5f0c5c1e/workspace.yaml', /not a \.jsonl/],
    ['box/raw/copilot/session-state/5f0c5c1e/checkpoints/index.md', /not a \.jsonl/],
    ['box/raw/copilot/history-session-state/session_1.json', /not a \.jsonl/],
    ['box/raw/copilot/config.json', /not a \.jsonl/],
    ['box/raw/copilot/logs/process-1.log', /not a \.jsonl/],
    ['box/raw/copilot/session-state/5f0c5c1e/files/notes.jsonl', /not where Copilot CLI writes sessions/],
    ['box/raw/copilot/session-state/5f0c5c1e/other.jsonl', /not where Copilot CLI writes sessions/],
    ['box/raw/copilot/events.jsonl', /not where Copilot CLI writes sessions/],
    ['box/raw/copilot/otel.jsonl', /not where Copilot CLI writes sessions/],
    ['box/raw/copilot/session-state//events.jsonl', /empty path segment/],
  ])('skips the Copilot CLI file %s with a reason', (key, reason) => {
    const layout = classifyKey(key);
    expect(layout).toMatchObject({ kind: 'skipped', agent: 'copilot' });
    expect(layout.kind === 'skipped' ? layout.reason : '').toMatch(reason);
  });

  it.each([
    ['box/raw/gemini/my-app/logs/session-7d3e9a41.jsonl', /activity log/],
    ['box/raw/gemini/my-app/logs.json', /activity log/],
    ['box/raw/gemini/my-app/tool-outputs/session-7d3e/grep-1.txt', /tool-outputs/],
    ['box/raw/gemini/my-app/chats/session-2026-11-20T09-15-7d3e9a41.jsonl.unreadable-1763630000000', /unreadable/],
    ['box/raw/gemini/my-app/chats/session-2026-11-20T09-15-7d3e9a41.json.unreadable-1763630000000', /unreadable/],
    ['box/raw/gemini/my-app/chats/checkpoint-tag.json', /not a Gemini CLI session file/],
    ['box/raw/gemini/my-app/chats/session-.jsonl', /not a Gemini CLI session file/],
    ['box/raw/gemini/my-app/chats/parent/child.json', /not a \.jsonl file/],
    ['box/raw/gemini/my-app/session-2026-11-20T09-15-7d3e9a41.jsonl', /not where Gemini CLI writes chats/],
    ['box/raw/gemini/bin/rg', /not where Gemini CLI writes chats/],
    ['box/raw/gemini/my-app/chats/a/b/c.jsonl', /not where Gemini CLI writes chats/],
  ])('skips the Gemini CLI key %s with a reason', (key, reason) => {
    const layout = classifyKey(key);
    expect(layout).toMatchObject({ kind: 'skipped', agent: 'gemini' });
    expect(layout.kind === 'skipped' ? layout.reason : '').toMatch(reason);
  });

  it.each([
    ['box/raw/qwen/-home-me-app/subagents/7c1e/agent-rev-1.meta.json', /not a \.jsonl/],
    ['box/raw/qwen/-home-me-app/subagents/7c1e/agent-rev-1.jsonl.stream', /not a \.jsonl/],
    ['box/raw/qwen/-home-me-app/meta.json', /not a \.jsonl/],
    ['box/raw/qwen/usage/token-usage-2026-09.jsonl', /usage\/ ledger/],
    ['box/raw/qwen/-home-me-app/7c1e.jsonl', /not where Qwen Code writes sessions/],
    ['box/raw/qwen/-home-me-app/chats/old/7c1e.jsonl', /not where Qwen Code writes sessions/],
    ['box/raw/qwen/-home-me-app/subagents/7c1e/notes.jsonl', /not where Qwen Code writes sessions/],
    ['box/raw/qwen/-home-me-app//7c1e.jsonl', /empty path segment/],
  ])('skips the Qwen Code file %s with a reason', (key, reason) => {
    const layout = classifyKey(key);

    expect(layout.kind).toBe('skipped');
    if (layout.kind === 'skipped') expect(layout.reason).toMatch(reason);
  });

  it.each([
    ['stray.jsonl', /not under/],
    ['laptop/raw/aider/x/y.jsonl', /unsupported agent "aider"/],
    ['laptop/raw/claude/-w/notes.txt', /not a \.jsonl/],
    ['laptop/raw/claude/-w/0a1b.JSONL', /not a \.jsonl/],
    ['laptop/raw/claude/0a1b.jsonl', /not where Claude Code writes sessions/],
    ['laptop/raw/claude/-w/sub/deeper/0a1b.jsonl', /not where Claude Code writes sessions/],
    ['laptop/raw/claude/-w/0a1b/subagents/notes.jsonl', /not where Claude Code writes sessions/],
    ['laptop/raw/claude//0a1b.jsonl', /empty path segment/],
    ['box/raw/codex/session_index.jsonl', /not a Codex rollout file/],
    ['box/raw/codex/odd/thing.jsonl', /not a Codex rollout file/],
  ])('skips %s with a reason', (key, reason) => {
    const layout = classifyKey(key);

    expect(layout.kind).toBe('skipped');
    if (layout.kind === 'skipped') expect(layout.reason).toMatch(reason);
  });
});

describe('sidecarKey', () => {
  const session = classifyKey('team/laptop/raw/claude/-home-me-app/0a1b.jsonl');
  const subagent = classifyKey('team/laptop/raw/claude/-home-me-app/0a1b/subagents/agent-x.jsonl');

  it('maps the path Claude Code recorded onto the session folder in the bucket, POSIX or Windows', () => {
    if (session.kind !== 'session' || subagent.kind !== 'subagent') throw new Error('layout');
    expect(sidecarKey(session, '/home/me/.claude/projects/-home-me-app/0a1b/tool-results/toolu_1.txt')).toBe(
      'team/laptop/raw/claude/-home-me-app/0a1b/tool-results/toolu_1.txt',
    );
    expect(sidecarKey(session, 'C:\\Users\\me\\.claude\\projects\\C--app\\0a1b\\tool-results\\toolu_2.txt')).toBe(
      'team/laptop/raw/claude/-home-me-app/0a1b/tool-results/toolu_2.txt',
    );
    expect(sidecarKey(subagent, '/home/me/.claude/projects/-home-me-app/0a1b/tool-results/toolu_3.txt')).toBe(
      'team/laptop/raw/claude/-home-me-app/0a1b/tool-results/toolu_3.txt',
    );
  });

  it.each([
    '/home/me/.claude/projects/-home-me-app/other-session/tool-results/toolu_1.txt',
    '/home/me/.claude/projects/-home-me-app/0a1b/tool-results/../../../etc/passwd',
    '/home/me/.claude/projects/-home-me-app/0a1b/tool-results/',
    '/tmp/output.txt',
  ])('maps nothing outside the session\'s own tool-results: %s', (recorded) => {
    if (session.kind !== 'session') throw new Error('layout');
    expect(sidecarKey(session, recorded)).toBeNull();
  });
});
