import type { JsonLine } from '../types.js';
import type { MessageRecord, MessageRole } from '../../model.js';
import { asText } from '../values.js';
import type { Envelope } from './records.js';

/** A message row before it has its place in the session. */
export type DraftRow = Omit<MessageRecord, 'ordinal'>;

export interface RowFields {
  role: MessageRole;
  text?: string | null;
  thinking?: string | null;
  /** Where text / thinking were joined from items (joined-text.ts). */
  textJoints?: readonly number[];
  thinkingJoints?: readonly number[];
  model?: string | null;
  requestId?: string | null;
  isCompactBoundary?: boolean;
  tokens?: MessageRecord['tokens'];
  rawUsage?: unknown;
}

export function draftRow(line: JsonLine, envelope: Envelope, fields: RowFields): DraftRow {
  return {
    role: fields.role,
    sourceType: envelope.type ?? 'response_item',
    sourceSubtype: envelope.payloadType,
    uuid: envelope.payload === null ? null : asText(envelope.payload['id']),
    parentUuid: null,
    timestamp: envelope.timestamp,
    model: fields.model ?? null,
    text: fields.text ?? null,
    thinking: fields.thinking ?? null,
    ...(fields.textJoints === undefined ? {} : { textJoints: fields.textJoints }),
    ...(fields.thinkingJoints === undefined ? {} : { thinkingJoints: fields.thinkingJoints }),
    isSidechain: false,
    isCompactBoundary: fields.isCompactBoundary ?? false,
    responseId: null,
    requestId: fields.requestId ?? null,
    tokens: fields.tokens ?? null,
    rawUsage: fields.rawUsage ?? null,
    lineNumber: line.lineNumber,
    byteOffset: line.byteOffset,
  };
}
