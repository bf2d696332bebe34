import { isRecord } from '../values.js';
import { isCodexRecordType } from './records.js';

/**
 * Whether an object whose key layout says nothing is a Codex rollout, judged by its first record: a
 * `session_meta`, or any Codex record type in the `{timestamp, type, payload}` envelope (files without a
 * session_meta start with turn_context or event_msg). Claude lines never carry a `payload` object.
 */
export function looksLikeCodex(firstRecord: Record<string, unknown>): boolean {
  const type = firstRecord['type'];
  if (type === 'session_meta') return true;
  return isCodexRecordType(type) && isRecord(firstRecord['payload']) && 'timestamp' in firstRecord;
}
