import { asString, isRecord } from '../values.js';

/** What one Claude Code JSONL line is, decided by its top-level `type`. */
export type RecordKind =
  | { readonly kind: 'message'; readonly type: MessageLineType }
  | { readonly kind: 'queued-command' }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'unknown'; readonly type: string };

export const MESSAGE_LINE_TYPES = ['user', 'assistant', 'system'] as const;
export type MessageLineType = (typeof MESSAGE_LINE_TYPES)[number];

/** Key under which lines without a usable `type` are counted. */
export const MISSING_TYPE = '<missing>';

/**
 * Record types Claude Code writes that carry nothing this store keeps (metadata, bookkeeping, UI state).
 * Every type seen in the fixtures surveyed in notes/session-formats.md except the conversation ones and the
 * foreign `tool_use`/`tool_result` top-level records, which stay unknown so drift shows up as a count.
 */
export const IGNORED_RECORD_TYPES: ReadonlySet<string> = new Set([
  'summary',
  'file-history-snapshot',
  'progress',
  'queue-operation',
  'permission-mode',
  'mode',
  'last-prompt',
  'custom-title',
  'ai-title',
  'agent-name',
  'worktree-state',
  'frame-link',
  'pr-link',
  'started',
  'result',
  'relocated',
  'bridge-session',
  'atis-latch',
]);

export const QUEUED_COMMAND = 'queued_command';

export function classifyRecord(value: Record<string, unknown>): RecordKind {
  const type = asString(value['type']);
  if (type === null) {
    // ccusage-style usage lines have no `type`; their `message.role` says what they are.
    const message = value['message'];
    const role = isRecord(message) ? asString(message['role']) : null;
    if (role === 'user' || role === 'assistant') return MESSAGE_KINDS[role];
    return { kind: 'unknown', type: MISSING_TYPE };
  }
  // The kinds of known types are shared constants: one object per line would be garbage on the hot path.
  const known = MESSAGE_KINDS[type as MessageLineType];
  if (known !== undefined && Object.hasOwn(MESSAGE_KINDS, type)) return known;
  if (type === 'attachment') {
    const attachment = value['attachment'];
    const attachmentType = isRecord(attachment) ? asString(attachment['type']) : null;
    return attachmentType === QUEUED_COMMAND ? QUEUED : IGNORED;
  }
  if (IGNORED_RECORD_TYPES.has(type)) return IGNORED;
  return { kind: 'unknown', type };
}

const MESSAGE_KINDS: Readonly<Record<MessageLineType, RecordKind>> = {
  user: { kind: 'message', type: 'user' },
  assistant: { kind: 'message', type: 'assistant' },
  system: { kind: 'message', type: 'system' },
};
const QUEUED: RecordKind = { kind: 'queued-command' };
const IGNORED: RecordKind = { kind: 'ignored' };
