import type { ValueChecks } from '../value-checks.js';
import { asString, isRecord } from '../values.js';

/** The top-level record types a Codex rollout is made of. */
export const CODEX_RECORD_TYPES = ['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted'] as const;
export type CodexRecordType = (typeof CODEX_RECORD_TYPES)[number];

export function isCodexRecordType(value: unknown): value is CodexRecordType {
  return typeof value === 'string' && (CODEX_RECORD_TYPES as readonly string[]).includes(value);
}

/** The `{timestamp, type, payload}` envelope of one line, read without trusting any field. */
export interface Envelope {
  type: string | null;
  payload: Record<string, unknown> | null;
  /** `payload.type`, the real discriminator inside response_item and event_msg. */
  payloadType: string | null;
  /** Normalised ISO-8601 UTC, null when missing or not a date. */
  timestamp: string | null;
}

export function readEnvelope(value: Record<string, unknown>, values: ValueChecks): Envelope {
  const payload = values.record(value['payload'], 'payload');
  return {
    type: asString(value['type']),
    payload,
    payloadType: payload === null ? null : asString(payload['type']),
    timestamp: values.timestamp(value['timestamp'], 'timestamp'),
  };
}
