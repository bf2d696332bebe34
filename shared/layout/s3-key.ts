import { agentDefinition } from '../agents/registry.js';
import { isAgent, type ObjectLayout, type SessionLayout } from '../model.js';
import { skipped } from './key-parts.js';

/**
 * The S3 key layout: `<prefix>/<machine>/raw/<agent>/...`. `machine` is the segment right before `raw`,
 * `agent` the one right after; the prefix may be empty or several segments. Below that, each agent's key-layout
 * rule (its definition's `keyLayout`, e.g. shared/parsers/claude/key-layout.ts) says what is a session, a
 * subagent or a sidecar; everything else is recorded as skipped with the reason. README's layout table lists
 * them.
 */

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
  return agentDefinition(agentSegment).keyLayout.classify({ key, machine, agentRoot, rest });
}

/**
 * The key of a sidecar a session's log points to (e.g. a Claude Code tool-result file, by the path Claude Code
 * recorded on its machine), or null when the path is not one of the session's sidecars.
 */
export function sidecarKey(layout: SessionLayout, recordedPath: string): string | null {
  return agentDefinition(layout.agent).keyLayout.sidecarKey(layout, recordedPath);
}
