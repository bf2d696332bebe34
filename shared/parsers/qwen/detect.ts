import { isRecord } from '../values.js';

const RECORD_TYPES: ReadonlySet<unknown> = new Set(['user', 'assistant', 'tool_result', 'system']);

/**
 * Whether a first record is a Qwen Code chat record: the `{uuid, parentUuid, sessionId, type, …}` envelope of
 * ChatRecordingService with a GenAI body — `message.parts`, a `systemPayload`, a `provenance` or the
 * `tool_result` type. Claude Code's records share the envelope but hold `message.content` and never these.
 */
export function looksLikeQwen(firstRecord: Record<string, unknown>): boolean {
  if (!RECORD_TYPES.has(firstRecord['type']) || typeof firstRecord['sessionId'] !== 'string' || !('uuid' in firstRecord)) {
    return false;
  }
  const message = firstRecord['message'];
  return (
    (isRecord(message) && Array.isArray(message['parts'])) ||
    isRecord(firstRecord['systemPayload']) ||
    typeof firstRecord['provenance'] === 'string' ||
    firstRecord['type'] === 'tool_result'
  );
}
