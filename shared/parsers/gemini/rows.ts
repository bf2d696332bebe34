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

export function messageRows(stored: StoredMessage, ordinal: number, sessionId: string | null, values: ValueChecks): MessageRows {
  const { record, lineNumber, byteOffset } = stored;
  values.lineNumber = lineNumber;
  const type = record['type'] as string;
  const parts = readParts(record['content']);
  const text = joined(parts.texts);
  const responses = parts.functionResponses;
  let role = ROLES[type] ?? 'system';
  // A message the CLI no longer loads (rewound, or left out of a replaced history) keeps its row and says so.
  let subtype: string | null = stored.departed;
  let prompt: string | null = null;
  if (type === 'user') {
    if (parts.texts.length === 0 && responses.length > 0) {
      // The CLI records the tool results it sends back as a user message of functionResponse parts.
      role = 'tool';
      subtype ??= 'function_response';
    } else {
      const shown = joined(readParts(record['displayContent']).texts) ?? text;
      if (shown !== null && isPrompt(shown.text)) prompt = shown.text;
    }
  }
  const thinking = type === 'gemini' ? joined(thinkingPieces(record['thoughts'], parts.thoughts)) : null;
  const usage = type === 'gemini' ? readTokens(record['tokens'], values) : null;
  const tokens: TokenCounts | null = usage === null || isZeroGenaiUsage(usage) ? null : genaiTokenCounts(usage);
  const model = typeof record['model'] === 'string' && record['model'] !== '' ? record['model'] : null;
  const message: MessageRecord = {
    ordinal,
    role,
    sourceType: type,
    sourceSubtype: subtype,
    uuid: record['id'] as string,
    parentUuid: null,
    timestamp: values.timestamp(record['timestamp'], 'timestamp'),
    model: type === 'gemini' ? model : null,
    text: role === 'tool' ? null : (text?.text ?? null),
    thinking: thinking?.text ?? null,
    isSidechain: false,
    isCompactBoundary: false,
    // The message id and the session id name one response across files: a legacy .json and the .jsonl it was
    // resumed into hold the same messages, and the usage view bills such copies once (README "Usage").
    responseId: tokens === null ? null : (record['id'] as string),
    requestId: tokens === null ? null : sessionId,
    tokens,
    rawUsage: type === 'gemini' && record['tokens'] !== undefined ? record['tokens'] : null,
    lineNumber,
    byteOffset,
  };
  const textJoints = role === 'tool' ? undefined : jointsOf(text);
  if (textJoints !== undefined) message.textJoints = textJoints;
  const thinkingJoints = jointsOf(thinking);
  if (thinkingJoints !== undefined) message.thinkingJoints = thinkingJoints;
  const toolCalls = type === 'gemini' ? toolCallRows(record['toolCalls'], ordinal, values) : [];
  return { message, toolCalls, prompt };
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

function toolCallRows(value: unknown, messageOrdinal: number, values: ValueChecks): ToolCallRecord[] {
  const calls = values.list(value, 'toolCalls') ?? [];
  const rows: ToolCallRecord[] = [];
  for (const call of calls) {
    if (!isRecord(call) || typeof call['name'] !== 'string') continue;
    const status = typeof call['status'] === 'string' ? call['status'] : null;
    const result = resultOf(call['result']);
    const pending = (status === null || PENDING.has(status)) && result === null;
    const row: ToolCallRecord = {
      messageOrdinal,
      callIndex: rows.length,
      callId: typeof call['id'] === 'string' ? call['id'] : null,
      name: call['name'],
      input: call['args'] ?? null,
      inputText: null,
      resultText: pending ? null : (result?.text.text ?? (typeof call['resultDisplay'] === 'string' ? call['resultDisplay'] : '')),
      isError: pending ? null : status === 'error' || status === 'cancelled' || (result?.isError ?? false),
      resultTimestamp: pending ? null : values.timestamp(call['timestamp'], 'toolCalls.timestamp'),
      resultFile: null,
    };
    const joints = pending ? undefined : jointsOf(result?.text ?? null);
    if (joints !== undefined) row.resultJoints = joints;
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
