import type { JsonLine } from '../types.js';
import type { ValueChecks } from '../value-checks.js';
import { asText, isRecord } from '../values.js';

/**
 * The fields every Qwen Code chat record carries (ChatRecordingService.createBaseRecord; subagent transcripts add
 * agentId) that the rows use. The session facts it also carries (sessionId, cwd, version, gitBranch) are read by
 * the summary, only until it has them (summary.ts).
 */
export interface QwenEnvelope {
  type: string | null;
  subtype: string | null;
  uuid: string | null;
  parentUuid: string | null;
  agentId: string | null;
  timestamp: string | null;
  provenance: string | null;
  isSidechain: boolean;
}

export function readEnvelope(line: JsonLine, values: ValueChecks): QwenEnvelope {
  const value = line.value;
  return {
    type: asText(value['type']),
    subtype: asText(value['subtype']),
    uuid: asText(value['uuid']),
    parentUuid: asText(value['parentUuid']),
    agentId: asText(value['agentId']),
    timestamp: values.timestamp(value['timestamp'], 'timestamp'),
    provenance: asText(value['provenance']),
    isSidechain: value['isSidechain'] === true,
  };
}

/** The record's `message.parts`, or undefined. */
export function messageParts(value: Record<string, unknown>): unknown {
  const message = value['message'];
  return isRecord(message) ? message['parts'] : undefined;
}

/** The record's `systemPayload` object, or an empty one. */
export function systemPayload(value: Record<string, unknown>): Record<string, unknown> {
  const payload = value['systemPayload'];
  return isRecord(payload) ? payload : {};
}

/**
 * User-record subtypes holding what the user typed (no subtype: a prompt; `mid_turn_user_message`: typed while
 * tools ran; `realtime_message`: a voice turn). The others (notification, cron, goal_runtime,
 * background_task_completed…) are the harness speaking in the user role: stored with role `system`.
 */
const TYPED_USER_SUBTYPES: ReadonlySet<string | null> = new Set([null, 'mid_turn_user_message', 'realtime_message']);

export function isTypedByUser(envelope: QwenEnvelope): boolean {
  if (!TYPED_USER_SUBTYPES.has(envelope.subtype)) return false;
  return envelope.provenance === null || envelope.provenance === 'real_user';
}

/** `qwen-code.api_response` (0.15+) or a bare `api_response`: a telemetry event reporting one model response. */
export function isApiResponseEvent(eventName: string | null): boolean {
  return eventName !== null && (eventName === 'api_response' || eventName.endsWith('.api_response'));
}
