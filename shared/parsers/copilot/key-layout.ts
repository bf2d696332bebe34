import type { AgentKey, KeyLayoutRule } from '../../agents/definition.js';
import { JSONL, jsonlStem, skipped } from '../../layout/key-parts.js';
import type { ObjectLayout } from '../../model.js';

/**
 * Where GitHub Copilot CLI's files live below `<machine>/raw/copilot/` (a copy of `~/.copilot/`, or of
 * `$COPILOT_HOME`):
 *
 *   session-state/<session uuid>/events.jsonl      a session (the CLI's event log)
 *   session-state/<session uuid>.jsonl             a session as CLIs before the per-session folder wrote it
 *   otel/<any folders>/<file>.jsonl                an OpenTelemetry file export (spans of many sessions)
 *
 * Everything else is skipped with its reason: the session folder's `workspace.yaml`, `checkpoints/`, `files/` and
 * lock files, `history-session-state/*.json` (the format of CLIs before session-state; 1.0.102 no longer writes
 * it), `logs/`, `config.json` and the other settings. Copilot CLI writes no sidecar a session points to.
 */
export const copilotKeyLayout: KeyLayoutRule = {
  classify: classifyCopilotKey,
  sidecarKey: () => null,
  ownsFileName: (fileName) => fileName === EVENTS_FILE,
};

const SESSION_STATE = 'session-state';
const OTEL = 'otel';
const EVENTS_FILE = 'events.jsonl';

function classifyCopilotKey({ machine, agentRoot, rest }: AgentKey): ObjectLayout {
  if (rest.some((segment) => segment === '')) return skipped(machine, 'copilot', 'empty path segment');
  const [top = '', second = ''] = rest;
  const fileName = rest[rest.length - 1] ?? '';
  const fileStem = jsonlStem(fileName);
  if (fileStem === null) return skipped(machine, 'copilot', 'not a .jsonl file (Copilot CLI keeps sessions in session-state/<session>/events.jsonl)');
  const sessionId = `${agentRoot}/${rest.join('/')}`.slice(0, -JSONL.length);
  if (top === SESSION_STATE && rest.length === 3 && fileName === EVENTS_FILE) {
    return session(machine, sessionId, second);
  }
  if (top === SESSION_STATE && rest.length === 2) return session(machine, sessionId, fileStem);
  if (top === OTEL && rest.length >= 2) return session(machine, sessionId, fileStem);
  return skipped(
    machine,
    'copilot',
    'not where Copilot CLI writes sessions (session-state/<session>/events.jsonl) or its OpenTelemetry export (otel/…/*.jsonl)',
  );
}

function session(machine: string, sessionId: string, fileStem: string): ObjectLayout {
  return {
    kind: 'session',
    machine,
    agent: 'copilot',
    sessionId,
    parentSessionId: null,
    parserContext: { fileStem, projectDir: null, parentSourceSessionId: null },
  };
}
