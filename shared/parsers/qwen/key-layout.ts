import type { AgentKey, KeyLayoutRule } from '../../agents/definition.js';
import { JSONL, jsonlStem, skipped } from '../../layout/key-parts.js';
import type { ObjectLayout } from '../../model.js';

/**
 * Where Qwen Code's files live below `<machine>/raw/qwen/` (a copy of `~/.qwen/projects/`):
 *
 *   <project>/chats/<session>.jsonl                         session
 *   <project>/subagents/<session>/agent-<id>.jsonl          subagent of <session>
 *
 * Everything else is skipped with its reason: the subagents' `.meta.json` and `.jsonl.stream` files (status and
 * a live text preview, both rewritten), the project's `meta.json` and `extract-cursor.json`, and, when a whole
 * `~/.qwen` was synced, the `usage/token-usage-YYYY-MM.jsonl` ledger (README "Qwen Code": it repeats the chats'
 * usage with nothing to pair it by). Qwen Code writes no sidecar a session points to.
 */
export const qwenKeyLayout: KeyLayoutRule = {
  classify: classifyQwenKey,
  sidecarKey: () => null,
  ownsFileName: () => false,
};

const CHATS = 'chats';
const SUBAGENTS = 'subagents';
const AGENT_FILE_PREFIX = 'agent-';
const USAGE_LEDGER = /^token-usage-\d{4}-\d{2}\.jsonl$/u;

function classifyQwenKey({ machine, agentRoot, rest }: AgentKey): ObjectLayout {
  const fileName = rest[rest.length - 1] ?? '';
  if (rest.some((segment) => segment === '')) return skipped(machine, 'qwen', 'empty path segment');
  if (USAGE_LEDGER.test(fileName)) {
    return skipped(machine, 'qwen', 'the usage/ ledger: it repeats the usage the chats and subagent transcripts hold');
  }
  const fileStem = jsonlStem(fileName);
  if (fileStem === null) return skipped(machine, 'qwen', 'not a .jsonl file');
  const [projectDir = '', folder = '', sessionDir = ''] = rest;
  const sessionId = `${agentRoot}/${rest.join('/')}`.slice(0, -JSONL.length);
  if (rest.length === 3 && folder === CHATS) {
    return {
      kind: 'session',
      machine,
      agent: 'qwen',
      sessionId,
      parentSessionId: null,
      parserContext: { fileStem, projectDir, parentSourceSessionId: null },
    };
  }
  if (rest.length === 4 && folder === SUBAGENTS && fileStem.startsWith(AGENT_FILE_PREFIX)) {
    return {
      kind: 'subagent',
      machine,
      agent: 'qwen',
      sessionId,
      parentSessionId: `${agentRoot}/${projectDir}/${CHATS}/${sessionDir}`,
      parserContext: { fileStem, projectDir, parentSourceSessionId: sessionDir },
    };
  }
  return skipped(
    machine,
    'qwen',
    'not where Qwen Code writes sessions (<project>/chats/<session>.jsonl or <project>/subagents/<session>/agent-<id>.jsonl)',
  );
}
