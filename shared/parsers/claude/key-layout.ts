import type { AgentKey, KeyLayoutRule } from '../../agents/definition.js';
import { dirname, JSONL, jsonlStem, skipped } from '../../layout/key-parts.js';
import type { ObjectLayout, SessionLayout } from '../../model.js';

/**
 * Where Claude Code's files live below `<machine>/raw/claude/` (a copy of `~/.claude/projects/`):
 *
 *   <project-dir>/<session>.jsonl                          session
 *   <project-dir>/agent-<id>.jsonl                         subagent (older Claude Code)
 *   <project-dir>/<session>/subagents/…/agent-<id>.jsonl   subagent of <session>
 *   <project-dir>/<session>/tool-results/…                 sidecar of <session>
 */
export const claudeKeyLayout: KeyLayoutRule = {
  classify: classifyClaudeKey,
  sidecarKey: claudeSidecarKey,
  ownsFileName: () => false,
};

const SUBAGENTS = 'subagents';
const TOOL_RESULTS = 'tool-results';
const AGENT_FILE_PREFIX = 'agent-';

/** The key of the session a Claude sidecar or subagent belongs to: `<agentRoot>/<project>/<session>.jsonl`. */
function classifyClaudeKey({ machine, agentRoot, rest }: AgentKey): ObjectLayout {
  const [projectDir = '', sessionDir = ''] = rest;
  if (rest.length >= 4 && rest[2] === TOOL_RESULTS && !rest.some((segment) => segment === '')) {
    return { kind: 'sidecar', machine, agent: 'claude', sessionKey: `${agentRoot}/${projectDir}/${sessionDir}${JSONL}`, sessionId: `${agentRoot}/${projectDir}/${sessionDir}` };
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

/**
 * The key of a sidecar a Claude session's log points to: the path Claude Code recorded on its machine
 * (`/home/me/.claude/projects/<project>/<session>/tool-results/<file>`, or with `\` on Windows) mapped onto the
 * session's own folder in the bucket. Only files under the session's own `tool-results/` (or, for a subagent,
 * its parent session's) are mapped; anything else, or a path that tries to climb (`..`), is null.
 */
function claudeSidecarKey(layout: SessionLayout, recordedPath: string): string | null {
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
