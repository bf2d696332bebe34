import type { AgentKey, KeyLayoutRule } from '../../agents/definition.js';
import { JSONL, jsonlStem, skipped } from '../../layout/key-parts.js';
import type { ObjectLayout } from '../../model.js';

/**
 * Where Gemini CLI's files live below `<machine>/raw/gemini/` (a copy of `~/.gemini/tmp/`):
 *
 *   <project id>/chats/session-<time>-<id8>.jsonl            session (Gemini CLI ≥ 0.4x: JSONL, appended to)
 *   <project id>/chats/session-<time>-<id8>.json             session (older: one JSON document, rewritten whole)
 *   <project id>/chats/<parent session id>/<session id>.jsonl subagent of that session
 *
 * `<project id>` is the project's short slug (`~/.gemini/projects.json`) or, from older CLIs, the sha256 of its
 * root. Everything else the CLI keeps there is skipped with the reason: `logs/` (its activity log), `logs.json`
 * (prompts only, no tokens), `tool-outputs/` (full outputs of truncated tool results; the session keeps the text
 * the model saw), `bin/`, and `<file>.unreadable-<ms>` (a copy the CLI set aside when it could not read a resumed
 * file and rewrote it). A session's id is its key without `.jsonl`; a `.json` key keeps its suffix, so a legacy
 * file and the `.jsonl` it was resumed into (same name, both kept by the CLI) are two sessions.
 */
export const geminiKeyLayout: KeyLayoutRule = {
  classify: classifyGeminiKey,
  sidecarKey: () => null,
  ownsFileName: (fileName) => sessionFileStem(fileName) !== null,
};

const CHATS = 'chats';
const SESSION_PREFIX = 'session-';
const JSON_SUFFIX = '.json';
const UNREADABLE = '.unreadable-';

/** `session-….jsonl` or `session-….json`, without the suffix; null for any other name. */
function sessionFileStem(fileName: string): string | null {
  if (!fileName.startsWith(SESSION_PREFIX) || fileName.includes(UNREADABLE)) return null;
  const stem = jsonlStem(fileName) ?? documentStem(fileName);
  return stem !== null && stem.length > SESSION_PREFIX.length ? stem : null;
}

function documentStem(fileName: string): string | null {
  return fileName.endsWith(JSON_SUFFIX) ? fileName.slice(0, -JSON_SUFFIX.length) : null;
}

function classifyGeminiKey({ machine, key, rest }: AgentKey): ObjectLayout {
  const fileName = rest[rest.length - 1] ?? '';
  if (rest.some((segment) => segment === '')) return skipped(machine, 'gemini', 'empty path segment');
  const [projectDir = '', folder = ''] = rest;
  if (fileName.includes(UNREADABLE)) {
    return skipped(machine, 'gemini', 'a copy Gemini CLI set aside as unreadable (*.unreadable-*): the session was rewritten beside it');
  }
  if (folder === 'logs' || fileName === 'logs.json') return skipped(machine, 'gemini', 'Gemini CLI activity log (logs/, logs.json): no tokens, no replies');
  if (folder === 'tool-outputs') return skipped(machine, 'gemini', 'Gemini CLI saved tool output (tool-outputs/): the session holds what the model saw');
  if (folder !== CHATS || (rest.length !== 3 && rest.length !== 4)) {
    return skipped(machine, 'gemini', 'not where Gemini CLI writes chats (<project>/chats/session-*.json[l] or <project>/chats/<parent>/<session>.jsonl)');
  }
  if (rest.length === 3) {
    const fileStem = sessionFileStem(fileName);
    if (fileStem === null) return skipped(machine, 'gemini', 'not a Gemini CLI session file (session-*.jsonl or session-*.json)');
    return {
      kind: 'session',
      machine,
      agent: 'gemini',
      sessionId: fileName.endsWith(JSONL) ? key.slice(0, -JSONL.length) : key,
      parentSessionId: null,
      parserContext: { fileStem, projectDir, parentSourceSessionId: null },
    };
  }
  const fileStem = jsonlStem(fileName);
  if (fileStem === null) return skipped(machine, 'gemini', 'not a .jsonl file (subagent chats are <parent>/<session>.jsonl)');
  return {
    kind: 'subagent',
    machine,
    agent: 'gemini',
    sessionId: key.slice(0, -JSONL.length),
    // The parent's key is not derivable (its file is named by time and an 8-character id prefix): the parent is
    // found by its source session id, the folder's name.
    parentSessionId: null,
    parserContext: { fileStem, projectDir, parentSourceSessionId: rest[2] ?? null },
  };
}
