import { isRecord } from '../values.js';

/**
 * Whether a first record is GitHub Copilot CLI's: a session event (`{type: "session.start" | …, data: {…}, id,
 * timestamp}` with a dotted type from the CLI's session-events schema) or an OpenTelemetry span of its file
 * exporter (`{type: "span", traceId, spanId, attributes}` whose attributes carry `gen_ai.*`).
 */
export function looksLikeCopilot(firstRecord: Record<string, unknown>): boolean {
  const type = firstRecord['type'];
  if (typeof type !== 'string') return false;
  if (type === 'span') return isOtelSpan(firstRecord);
  return EVENT_PREFIXES.some((prefix) => type.startsWith(prefix)) && isRecord(firstRecord['data']);
}

const EVENT_PREFIXES = ['session.', 'user.', 'assistant.', 'tool.', 'subagent.', 'hook.', 'system.'];

export function isOtelSpan(record: Record<string, unknown>): boolean {
  return typeof record['traceId'] === 'string' && typeof record['spanId'] === 'string' && isRecord(record['attributes']);
}
