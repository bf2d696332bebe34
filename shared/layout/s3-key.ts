import { AGENTS, type Agent, type ParserContext } from '../parsers/types.js';

/**
 * The S3 key layout: `<prefix>/<machine>/raw/<agent>/...`. `machine` is the segment right before `raw`,
 * `agent` the one right after; the prefix may be empty or several segments.
 *
 *   <machine>/raw/claude/<project-dir>/<session>.jsonl                      session
 *   <machine>/raw/claude/<project-dir>/<session>/subagents/agent-<id>.jsonl  subagent of <session>
 *   <machine>/raw/claude/<project-dir>/<session>/tool-results/...            sidecar (not a session)
 *   <machine>/raw/codex/YYYY/MM/DD/rollout-<timestamp>-<uuid>.jsonl         session
 */

export const OBJECT_KINDS = ['session', 'subagent', 'sidecar', 'skipped'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export interface ObjectLayout {
  kind: ObjectKind;
  machine: string | null;
  /** Null for a session whose agent the content must decide. */
  agent: Agent | null;
  /** Why the object is not a session (kind `sidecar` or `skipped`). */
  reason: string | null;
  /** Stable session id: the key without `.jsonl`. */
  sessionId: string | null;
  /** Session id of the parent session when the layout names it (Claude subagent files). */
  parentSessionId: string | null;
  parserContext: ParserContext | null;
}

const JSONL = '.jsonl';

export function classifyKey(key: string): ObjectLayout {
  const segments = key.split('/');
  const rawIndex = segments.findIndex((segment, index) => segment === 'raw' && index >= 1 && index < segments.length - 2);
  if (rawIndex === -1) return skipped(null, null, 'key is not under <machine>/raw/<agent>/');
  const machine = segments[rawIndex - 1] ?? '';
  const agentSegment = segments[rawIndex + 1] ?? '';
  const rest = segments.slice(rawIndex + 2);
  const fileName = rest[rest.length - 1] ?? '';
  if (machine === '') return skipped(null, null, 'empty machine segment');
  if (!isAgent(agentSegment)) return skipped(machine, null, `unsupported agent "${agentSegment}"`);
  if (agentSegment === 'claude' && rest.length >= 3 && rest[2] === 'tool-results') {
    return { ...skipped(machine, 'claude', 'tool-result sidecar of a session'), kind: 'sidecar' };
  }
  if (!fileName.endsWith(JSONL) || fileName.length === JSONL.length) {
    return skipped(machine, agentSegment, 'not a .jsonl file');
  }
  const sessionId = key.slice(0, -JSONL.length);
  const fileStem = fileName.slice(0, -JSONL.length);
  return agentSegment === 'claude'
    ? claudeLayout(machine, rest, sessionId, fileStem)
    : codexLayout(machine, sessionId, fileStem);
}

function claudeLayout(machine: string, rest: string[], sessionId: string, fileStem: string): ObjectLayout {
  const projectDir = rest.length >= 2 ? (rest[0] ?? null) : null;
  const isSubagentFile = rest.length === 4 && rest[2] === 'subagents' && fileStem.startsWith('agent-');
  if (isSubagentFile) {
    const parentStem = rest[1] ?? '';
    const parentSessionId = sessionId.slice(0, sessionId.length - `${parentStem}/subagents/${fileStem}`.length) + parentStem;
    return {
      kind: 'subagent',
      machine,
      agent: 'claude',
      reason: null,
      sessionId,
      parentSessionId,
      parserContext: { fileStem, projectDir, parentSourceSessionId: parentStem },
    };
  }
  return {
    kind: fileStem.startsWith('agent-') ? 'subagent' : 'session',
    machine,
    agent: 'claude',
    reason: null,
    sessionId,
    parentSessionId: null,
    parserContext: { fileStem, projectDir, parentSourceSessionId: null },
  };
}

function codexLayout(machine: string, sessionId: string, fileStem: string): ObjectLayout {
  return {
    kind: 'session',
    machine,
    // Rollout files are Codex by name; any other .jsonl under raw/codex/ is routed by its content.
    agent: fileStem.startsWith('rollout-') ? 'codex' : null,
    reason: null,
    sessionId,
    parentSessionId: null,
    parserContext: { fileStem, projectDir: null, parentSourceSessionId: null },
  };
}

function skipped(machine: string | null, agent: Agent | null, reason: string): ObjectLayout {
  return { kind: 'skipped', machine, agent, reason, sessionId: null, parentSessionId: null, parserContext: null };
}

function isAgent(value: string): value is Agent {
  return (AGENTS as readonly string[]).includes(value);
}
