import { readParts, responseResult } from '../genai/parts.js';
import { genaiTokenCounts, isZeroGenaiUsage, type GenaiUsage } from '../genai/usage.js';
import { joinPieces, jointsOf, type JoinedText } from '../joined-text.js';
import type { ValueChecks } from '../value-checks.js';
import { isRecord } from '../values.js';
import type { MessageRecord, MessageRole, TokenCounts, ToolCallRecord } from '../../model.js';
import type { StoredMessage } from './conversation.js';

/** How one Gemini CLI message becomes rows (the rules are at the top of index.ts). */

export interface MessageRows {
  message: MessageRecord;
  toolCalls: ToolCallRecord[];
  /** A real user prompt (counts in userMessageCount; the first one is the title). */
  prompt: string | null;
}

/** The CLI's message types and the role each is stored with; any other type is unknown. */
const ROLES: Readonly<Record<string, MessageRole>> = { user: 'user', gemini: 'assistant', info: 'system', error: 'system', warning: 'system' };

export function isKnownMessageType(type: unknown): type is string {
  return typeof type === 'string' && Object.hasOwn(ROLES, type);
}

/**
 * What one copy of a message leaves for its rows: read when the copy is, so that the parsed record is not held to
 * the end of the file. The values the rows check (timestamps, token counts) are kept as written and checked only
 * for the last copy, in `messageRows`, so a copy a later one replaced counts no rejected value.
 */
export interface MessageDraft {
  /** `type` as written: a type not in ROLES makes no row (and leaves the fields below empty). */
  type: unknown;
  id: string;
  role: MessageRole;
  /** A user message of functionResponse parts only: the tool results the CLI sends back. */
  functionResponse: boolean;
  /** Null for a function response (the results are on the tool calls). */
  text: string | null;
  textJoints: readonly number[] | undefined;
  thinking: string | null;
  thinkingJoints: readonly number[] | undefined;
  /** A real user prompt (counts in userMessageCount; the first one is the title). */
  prompt: string | null;
  /** A gemini message's `model`, when a non-empty string. */
  model: string | null;
  timestamp: unknown;
  /** A gemini message's `tokens` as written (undefined for other types). */
  tokens: unknown;
  /** A gemini message's `toolCalls` when present but not a list (counted at finish), else null. */
  notToolCalls: unknown;
  calls: CallDraft[];
}

interface CallDraft {
  callId: string | null;
  name: string;
  input: unknown;
  pending: boolean;
  resultText: string | null;
  isError: boolean | null;
  /** The call's `timestamp` as written (checked at finish when the call is not pending). */
  timestamp: unknown;
  resultJoints: readonly number[] | undefined;
}

const NO_CALLS: CallDraft[] = [];

export function draftMessage(record: Record<string, unknown>): MessageDraft {
  const type = record['type'];
  const id = record['id'] as string;
  if (!isKnownMessageType(type)) {
    return { type, id, role: 'system', functionResponse: false, text: null, textJoints: undefined, thinking: null, thinkingJoints: undefined, prompt: null, model: null, timestamp: null, tokens: undefined, notToolCalls: null, calls: NO_CALLS };
  }
  const parts = readParts(record['content']);
  const text = joined(parts.texts);
  let role = ROLES[type] ?? 'system';
  let functionResponse = false;
  let prompt: string | null = null;
  if (type === 'user') {
    if (parts.texts.length === 0 && parts.functionResponses.length > 0) {
      // The CLI records the tool results it sends back as a user message of functionResponse parts.
      role = 'tool';
      functionResponse = true;
    } else {
      const shown = joined(readParts(record['displayContent']).texts) ?? text;
      if (shown !== null && isPrompt(shown.text)) prompt = shown.text;
    }
  }
  const isGemini = type === 'gemini';
  const model = record['model'];
  const toolCalls = isGemini ? record['toolCalls'] : undefined;
  const thinking = isGemini ? joined(thinkingPieces(record['thoughts'], parts.thoughts)) : null;
  return {
    type,
    id,
    role,
    functionResponse,
    text: role === 'tool' ? null : (text?.text ?? null),
    textJoints: role === 'tool' ? undefined : jointsOf(text),
    thinking: thinking?.text ?? null,
    thinkingJoints: jointsOf(thinking),
    prompt,
    model: isGemini && typeof model === 'string' && model !== '' ? model : null,
    timestamp: record['timestamp'],
    tokens: isGemini ? record['tokens'] : undefined,
    notToolCalls: Array.isArray(toolCalls) ? null : toolCalls,
    calls: Array.isArray(toolCalls) ? callDrafts(toolCalls) : NO_CALLS,
  };
}

/** The rows of a message's last copy; `draft.type` is a known type. */
export function messageRows(stored: StoredMessage<MessageDraft>, ordinal: number, sessionId: string | null, values: ValueChecks): MessageRows {
  const { message: draft, lineNumber, byteOffset } = stored;
  values.lineNumber = lineNumber;
  const type = draft.type as string;
  const isGemini = type === 'gemini';
  // A message the CLI no longer loads (rewound, or left out of a replaced history) keeps its row and says so.
  const subtype: string | null = stored.departed ?? (draft.functionResponse ? 'function_response' : null);
  const usage = isGemini ? readTokens(draft.tokens, values) : null;
  const tokens: TokenCounts | null = usage === null || isZeroGenaiUsage(usage) ? null : genaiTokenCounts(usage);
  const message: MessageRecord = {
    ordinal,
    role: draft.role,
    sourceType: type,
    sourceSubtype: subtype,
    uuid: draft.id,
    parentUuid: null,
    timestamp: values.timestamp(draft.timestamp, 'timestamp'),
    model: draft.model,
    text: draft.text,
    thinking: draft.thinking,
    isSidechain: false,
    isCompactBoundary: false,
    // The message id and the session id name one response across files: a legacy .json and the .jsonl it was
    // resumed into hold the same messages, and the usage view bills such copies once (README "Usage").
    responseId: tokens === null ? null : draft.id,
    requestId: tokens === null ? null : sessionId,
    tokens,
    rawUsage: draft.tokens === undefined ? null : draft.tokens,
    lineNumber,
    byteOffset,
  };
  if (draft.textJoints !== undefined) message.textJoints = draft.textJoints;
  if (draft.thinkingJoints !== undefined) message.thinkingJoints = draft.thinkingJoints;
  const toolCalls = isGemini ? toolCallRows(draft, ordinal, values) : [];
  return { message, toolCalls, prompt: draft.prompt };
}

/** The CLI's own test for a resumable user message (`isIgnoredUserContent`): not empty, a command or injected context. */
function isPrompt(text: string): boolean {
  const trimmed = text.trim();
  return !(trimmed === '' || trimmed.startsWith('/') || trimmed.startsWith('?') || trimmed.startsWith('<session_context>') || trimmed.startsWith('<hook_context>'));
}

/** The pieces joined (joined-text.ts); one piece is itself, with no joint (what joinPieces gives, without its work). */
function joined(pieces: readonly string[]): JoinedText | null {
  if (pieces.length === 0) return null;
  return pieces.length === 1 ? { text: pieces[0] as string, joints: [] } : joinPieces(pieces);
}

/** The `thoughts` list's pieces, then the text of `thought: true` parts (most messages have neither). */
function thinkingPieces(thoughts: unknown, thoughtParts: readonly string[]): readonly string[] {
  if (!Array.isArray(thoughts) || thoughts.length === 0) return thoughtParts;
  const pieces = thoughtPieces(thoughts);
  return thoughtParts.length === 0 ? pieces : [...pieces, ...thoughtParts];
}

/** `thoughts: [{subject, description, timestamp}]`: "subject: description" per thought (either part alone when the other is empty). */
function thoughtPieces(thoughts: unknown[]): string[] {
  const pieces: string[] = [];
  for (const thought of thoughts) {
    if (!isRecord(thought)) continue;
    const subject = typeof thought['subject'] === 'string' ? thought['subject'].trim() : '';
    const description = typeof thought['description'] === 'string' ? thought['description'].trim() : '';
    const piece = subject !== '' && description !== '' ? `${subject}: ${description}` : subject || description;
    if (piece !== '') pieces.push(piece);
  }
  return pieces;
}

/**
 * `tokens: {input, output, cached, thoughts, tool, total}`, which the CLI fills from the response's GenAI
 * usageMetadata (`recordMessageTokens`: promptTokenCount, candidatesTokenCount, cachedContentTokenCount,
 * thoughtsTokenCount, toolUsePromptTokenCount, totalTokenCount).
 */
function readTokens(value: unknown, values: ValueChecks): GenaiUsage | null {
  const tokens = values.record(value, 'tokens');
  if (tokens === null) return null;
  return {
    prompt: values.count(tokens['input'], 'tokens.input'),
    candidates: values.count(tokens['output'], 'tokens.output'),
    cached: values.count(tokens['cached'], 'tokens.cached'),
    thoughts: values.count(tokens['thoughts'], 'tokens.thoughts'),
    toolUsePrompt: values.count(tokens['tool'], 'tokens.tool'),
    total: values.count(tokens['total'], 'tokens.total'),
  };
}

/** Statuses of a call that has not ended: its result is still to come. */
const PENDING = new Set(['validating', 'scheduled', 'awaiting_approval', 'executing']);

function callDrafts(calls: unknown[]): CallDraft[] {
  const drafts: CallDraft[] = [];
  for (const call of calls) {
    if (!isRecord(call) || typeof call['name'] !== 'string') continue;
    const status = typeof call['status'] === 'string' ? call['status'] : null;
    const result = resultOf(call['result']);
    const pending = (status === null || PENDING.has(status)) && result === null;
    drafts.push({
      callId: typeof call['id'] === 'string' ? call['id'] : null,
      name: call['name'],
      input: call['args'] ?? null,
      pending,
      resultText: pending ? null : (result?.text.text ?? (typeof call['resultDisplay'] === 'string' ? call['resultDisplay'] : '')),
      isError: pending ? null : status === 'error' || status === 'cancelled' || (result?.isError ?? false),
      timestamp: pending ? undefined : call['timestamp'],
      resultJoints: pending ? undefined : jointsOf(result?.text ?? null),
    });
  }
  return drafts;
}

function toolCallRows(draft: MessageDraft, messageOrdinal: number, values: ValueChecks): ToolCallRecord[] {
  values.list(draft.notToolCalls, 'toolCalls');
  const rows: ToolCallRecord[] = [];
  for (const call of draft.calls) {
    const row: ToolCallRecord = {
      messageOrdinal,
      callIndex: rows.length,
      callId: call.callId,
      name: call.name,
      input: call.input,
      inputText: null,
      resultText: call.resultText,
      isError: call.isError,
      resultTimestamp: call.pending ? null : values.timestamp(call.timestamp, 'toolCalls.timestamp'),
      resultFile: null,
    };
    if (call.resultJoints !== undefined) row.resultJoints = call.resultJoints;
    rows.push(row);
  }
  return rows;
}

/**
 * A call's `result`: the GenAI parts the CLI sent back (`functionResponse` parts, plus text parts some tools
 * add, e.g. read_many_files' file contents), as text; null when it has none.
 */
function resultOf(value: unknown): { text: JoinedText; isError: boolean } | null {
  if (value === undefined || value === null) return null;
  const parts = readParts(value);
  const pieces: string[] = [];
  let isError = false;
  for (const response of parts.functionResponses) {
    const read = responseResult(response.response);
    if (read.text !== null) pieces.push(read.text);
    isError ||= read.isError;
  }
  pieces.push(...parts.texts);
  return pieces.length === 0 ? null : { text: joinPieces(pieces), isError };
}
