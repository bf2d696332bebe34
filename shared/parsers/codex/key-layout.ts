import type { AgentKey, KeyLayoutRule } from '../../agents/definition.js';
import { JSONL, jsonlStem, skipped } from '../../layout/key-parts.js';
import type { ObjectLayout } from '../../model.js';

/**
 * Where Codex's files live below `<machine>/raw/codex/` (a copy of `~/.codex/sessions/`, archived rollouts
 * included): every `rollout-<timestamp>-<uuid>.jsonl`, at any depth, is a session. Codex writes no sidecars.
 */
export const codexKeyLayout: KeyLayoutRule = {
  classify: classifyCodexKey,
  sidecarKey: () => null,
  ownsFileName: (fileName) => fileName.startsWith(ROLLOUT_PREFIX),
};

const ROLLOUT_PREFIX = 'rollout-';

function classifyCodexKey({ machine, key, rest }: AgentKey): ObjectLayout {
  const fileName = rest[rest.length - 1] ?? '';
  const fileStem = jsonlStem(fileName);
  if (fileStem === null) return skipped(machine, 'codex', 'not a .jsonl file');
  if (!fileStem.startsWith(ROLLOUT_PREFIX)) return skipped(machine, 'codex', 'not a Codex rollout file (rollout-*.jsonl)');
  return {
    kind: 'session',
    machine,
    agent: 'codex',
    sessionId: key.slice(0, -JSONL.length),
    parentSessionId: null,
    parserContext: { fileStem, projectDir: null, parentSourceSessionId: null },
  };
}
