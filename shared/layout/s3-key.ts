import { isAgent, type Agent, type ObjectLayout, type SessionLayout, type SkippedLayout } from '../model.js';

/**
 * The S3 key layout: `<prefix>/<machine>/raw/<agent>/...`. `machine` is the segment right before `raw`,
 * `agent` the one right after; the prefix may be empty or several segments. Only what Claude Code and Codex
 * write is a session; everything else is recorded as skipped with the reason:
 *
 *   <machine>/raw/claude/<project-dir>/<session>.jsonl                          session
 *   <machine>/raw/claude/<project-dir>/agent-<id>.jsonl                         subagent (older Claude Code)
 *   <machine>/raw/claude/<project-dir>/<session>/subagents/…/agent-<id>.jsonl   subagent of <session>
 *   <machine>/raw/claude/<project-dir>/<session>/tool-results/…                 sidecar of <session>
 *   <machine>/raw/codex/…/rollout-<timestamp>-<uuid>.jsonl                      session (any depth: archived too)
 */

const JSONL = '.jsonl';
const SUBAGENTS = 'subagents';
const TOOL_RESULTS = 'tool-results';
const AGENT_FILE_PREFIX = 'agent-';
const ROLLOUT_PREFIX = 'rollout-';

export function classifyKey(key: string): ObjectLayout {
  const segments = key.split('/');
  const rawIndex = segments.findIndex((segment, index) => segment === 'raw' && index >= 1 && index < segments.length - 2);
  if (rawIndex === -1) return skipped(null, null, 'key is not under <machine>/raw/<agent>/');
  const machine = segments[rawIndex - 1] ?? '';
  const agentSegment = segments[rawIndex + 1] ?? '';
  const rest = segments.slice(rawIndex + 2);
  if (machine === '') return skipped(null, null, 'empty machine segment');
  if (!isAgent(agentSegment)) return skipped(machine, null, `unsupported agent "${agentSegment}"`);
  const agentRoot = segments.slice(0, rawIndex + 2).join('/');
  return agentSegment === 'claude' ? claudeLayout(machine, agentRoot, rest) : codexLayout(machine, key, rest);
}

/** The key of the session a Claude sidecar or subagent belongs to: `<agentRoot>/<project>/<session>.jsonl`. */
function claudeLayout(machine: string, agentRoot: string, rest: string[]): ObjectLayout {
  const [projectDir = '', sessionDir = ''] = rest;
  if (rest.length >= 4 && rest[2] === TOOL_RESULTS && !rest.some((segment) => segment === '')) {
    return { kind: 'sidecar', machine, agent: 'claude', sessionKey: `${agentRoot}/${projectDir}/${sessionDir}${JSONL}` };
  }
  const fileName = rest[rest.length - 1] ?? '';
  const fileStem = jsonlStem(fileName);
  if (fileStem === null) return skipped(machine, 'claude', 'not a .jsonl file');
  if (projectDir === '' || rest.some((segment) => segment === '')) return skipped(machine, 'claude', 'empty path segment');
  const sessionId = `${agentRoot}/${rest.join('/')}`.slice(0, -JSONL.length);
  if (rest.length === 2) {
    return {
      // Older Claude Code wrote subagent transcripts beside the sessions as agent-<id>.jsonl.
      kind: fileStem.startsWith(AGENT_FILE_PREFIX) ? 'subagent' : 'session',
      machine,
      agent: 'claude',
      sessionId,
      parentSessionId: null,
      parserContext: { fileStem, projectDir, parentSourceSessionId: null },
    };
  }
  if (rest.length >= 4 && rest[2] === SUBAGENTS && fileStem.startsWith(AGENT_FILE_PREFIX)) {
    return {
      kind: 'subagent',
      machine,
      agent: 'claude',
      sessionId,
      parentSessionId: `${agentRoot}/${projectDir}/${sessionDir}`,
      parserContext: { fileStem, projectDir, parentSourceSessionId: sessionDir },
    };
  }
  return skipped(
    machine,
    'claude',
    'not where Claude Code writes sessions (<project>/<session>.jsonl or <project>/<session>/subagents/agent-<id>.jsonl)',
  );
}

function codexLayout(machine: string, key: string, rest: string[]): ObjectLayout {
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

/** The file name without `.jsonl` (exact, lower case, as both agents write it), or null. */
function jsonlStem(fileName: string): string | null {
  return fileName.endsWith(JSONL) && fileName.length > JSONL.length ? fileName.slice(0, -JSONL.length) : null;
}

function skipped(machine: string | null, agent: Agent | null, reason: string): SkippedLayout {
  return { kind: 'skipped', machine, agent, reason };
}

/**
 * The key of a sidecar a Claude session's log points to: the path Claude Code recorded on its machine
 * (`/home/me/.claude/projects/<project>/<session>/tool-results/<file>`, or with `\` on Windows) mapped onto the
 * session's own folder in the bucket. Only files under the session's own `tool-results/` (or, for a subagent,
 * its parent session's) are mapped; anything else, or a path that tries to climb (`..`), is null.
 */
export function sidecarKey(layout: SessionLayout, recordedPath: string): string | null {
  const segments = recordedPath.replaceAll('\\', '/').split('/');
  const marker = segments.lastIndexOf(TOOL_RESULTS);
  if (marker < 1) return null;
  const sessionDir = segments[marker - 1] ?? '';
  const file = segments.slice(marker + 1);
  if (file.length === 0 || file.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  const ownStem = layout.parserContext.fileStem;
  const owners = [layout.kind === 'session' ? ownStem : null, layout.parserContext.parentSourceSessionId].filter((stem) => stem !== null);
  if (!owners.includes(sessionDir)) return null;
  // The project folder: the session key's folder, or for a subagent file its parent session's folder.
  const projectFolder = dirname(layout.parentSessionId ?? layout.sessionId);
  return `${projectFolder}/${sessionDir}/${TOOL_RESULTS}/${file.join('/')}`;
}

function dirname(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}
