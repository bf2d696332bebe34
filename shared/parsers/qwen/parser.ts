import type { JsonLine, ParseCounts, ParseResult, ParserSnapshot, SessionParser } from '../types.js';
import type { MessageRecord, MessageRole, ParserContext, RecordSink, TokenCounts, ToolCallRecord } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { joinPieces, jointsOf, type JoinedText } from '../joined-text.js';
import { asText, isRecord } from '../values.js';
import {
  isWrittenCall,
  PendingCalls,
  type CompletedWrittenCall,
  type PendingCallsState,
  type WrittenCall,
} from '../pending-calls.js';
import { readParts, responseResult, type FunctionResponsePart } from '../genai/parts.js';
import { isApiResponseEvent, isTypedByUser, messageParts, readEnvelope, systemPayload, type QwenEnvelope } from './records.js';
import { QwenSummary, type QwenSummaryState } from './summary.js';
import { tokensFromApiResponse, tokensFromUsageMetadata } from './tokens.js';

const MISSING = '<missing>';

/** What a Qwen parse resumes from (see resume-state.ts). */
interface QwenParserState {
  nextOrdinal: number;
  counts: ParseCounts;
  summary: QwenSummaryState;
  calls: PendingCallsState;
  /** `[uuid, parent]` of records that gave no row: a row's parentUuid skips over them. */
  links: [string, string | null][];
  /** The last record's uuid and what a record hanging off it links to. */
  tail: [string | null, string | null];
}

/** Streams one Qwen Code chat (or subagent transcript); see index.ts for what each record becomes. */
export class QwenSessionParser implements SessionParser {
  private nextOrdinal: number;
  private readonly counts: Omit<ParseCounts, 'unknownTypes'>;
  /** A Map, so that a type named like an Object.prototype member (`constructor`, `__proto__`) is counted like any other. */
  private readonly unknownTypes: Map<string, number>;
  private readonly summary: QwenSummary;
  private readonly calls: PendingCalls;
  private readonly links: Map<string, string | null>;
  /** The last record's uuid, and what its children link to: most records hang off the one before (no lookup). */
  private lastUuid: string | null;
  private lastResolved: string | null;

  constructor(
    private readonly context: ParserContext,
    private readonly values: ValueChecks,
    state?: QwenParserState,
  ) {
    this.nextOrdinal = state?.nextOrdinal ?? 0;
    this.counts = { ignoredLines: state?.counts.ignoredLines ?? 0, duplicateResponses: state?.counts.duplicateResponses ?? 0 };
    this.unknownTypes = new Map(state === undefined ? [] : Object.entries(state.counts.unknownTypes));
    this.summary = new QwenSummary(state?.summary);
    this.calls = new PendingCalls(state?.calls);
    this.links = new Map(state?.links);
    [this.lastUuid, this.lastResolved] = state?.tail ?? [null, null];
  }

  static resume(context: ParserContext, values: ValueChecks, state: unknown): QwenSessionParser | null {
    return isQwenState(state) ? new QwenSessionParser(context, values, state) : null;
  }

  snapshot(): ParserSnapshot {
    const state: QwenParserState = {
      nextOrdinal: this.nextOrdinal,
      counts: this.allCounts(),
      summary: this.summary.snapshot(),
      calls: this.calls.snapshot(),
      links: [...this.links],
      tail: [this.lastUuid, this.lastResolved],
    };
    return { nextOrdinal: this.nextOrdinal, state };
  }

  line(line: JsonLine, sink: RecordSink): void {
    const envelope = readEnvelope(line, this.values);
    this.summary.observeEnvelope(line.value, envelope);
    switch (envelope.type) {
      case 'user':
        this.user(line, envelope, sink);
        return;
      case 'assistant':
        this.assistant(line, envelope, sink);
        return;
      case 'tool_result':
        this.toolResult(line, envelope, sink);
        return;
      case 'system':
        this.system(line, envelope, sink);
        return;
      default:
        this.unknown(envelope.type ?? MISSING);
        this.skip(envelope);
    }
  }

  finish(sink: RecordSink): ParseResult {
    for (const call of this.calls.drain()) this.emitCall(call, sink);
    return { summary: this.summary.build(this.context), counts: this.allCounts() };
  }

  private user(line: JsonLine, envelope: QwenEnvelope, sink: RecordSink): void {
    const text = joined(readParts(messageParts(line.value)).texts);
    const typed = isTypedByUser(envelope);
    this.emit(line, envelope, { role: typed ? 'user' : 'system', text }, sink);
    if (!typed) return;
    const shown = asText(systemPayload(line.value)['displayText']) ?? text?.text ?? null;
    if (shown !== null && shown.trim() !== '') this.summary.observePrompt(shown);
  }

  private assistant(line: JsonLine, envelope: QwenEnvelope, sink: RecordSink): void {
    const value = line.value;
    const parts = readParts(messageParts(value));
    const model = asText(value['model']);
    const rawUsage = value['usageMetadata'] ?? null;
    let tokens = tokensFromUsageMetadata(rawUsage, this.values);
    if (tokens !== null && isSubagentRecord(envelope)) {
      // The parent chat's api_response telemetry bills this call, with its model (see index.ts).
      this.counts.duplicateResponses += 1;
      tokens = null;
    }
    const fields = { role: 'assistant' as const, text: joined(parts.texts), thinking: joined(parts.thoughts), model, tokens, rawUsage };
    const ordinal = this.emit(line, envelope, fields, sink);
    for (const [callIndex, call] of parts.functionCalls.entries()) {
      const record: ToolCallRecord = {
        messageOrdinal: ordinal,
        callIndex,
        callId: call.id,
        name: call.name,
        input: call.args,
        inputText: null,
        resultText: null,
        isError: null,
        resultTimestamp: null,
        resultFile: null,
      };
      if (call.id === null) {
        this.emitCall(record, sink);
        continue;
      }
      const pushedOut = this.calls.add(call.id, record);
      if (pushedOut !== null) this.emitCall(pushedOut, sink);
    }
  }

  private toolResult(line: JsonLine, envelope: QwenEnvelope, sink: RecordSink): void {
    const value = line.value;
    const parts = readParts(messageParts(value));
    const result = isRecord(value['toolCallResult']) ? value['toolCallResult'] : {};
    const resultCallId = asText(result['callId']);
    const responses: readonly FunctionResponsePart[] =
      parts.functionResponses.length > 0 ? parts.functionResponses : [{ id: resultCallId, name: null, response: result['error'] ?? null }];
    // A result no call waits for (its call is not in the log) keeps its text on the row.
    const orphans: string[] = [];
    for (const response of responses) {
      const callId = response.id ?? resultCallId;
      const answer = responseResult(response.response);
      const failed = (callId === resultCallId && result['status'] === 'error') || answer.isError;
      const completed = this.calls.complete({ callId, resultText: answer.text, isError: failed }, envelope.timestamp);
      if (completed !== null) this.emitCall(completed, sink);
      else if (answer.text !== null) orphans.push(answer.text);
    }
    this.emit(line, envelope, { role: 'tool', text: joined(orphans) }, sink);
  }

  private system(line: JsonLine, envelope: QwenEnvelope, sink: RecordSink): void {
    const payload = systemPayload(line.value);
    switch (envelope.subtype) {
      case 'ui_telemetry':
        this.telemetry(line, envelope, payload, sink);
        return;
      case 'chat_compression':
        this.emit(line, envelope, { role: 'system', isCompactBoundary: true }, sink);
        return;
      case 'rewind':
        // Kept as a row: its parentUuid is the node the conversation went back to (index.ts, "Rewind").
        this.emit(line, envelope, { role: 'system' }, sink);
        return;
      case 'custom_title': {
        const title = asText(payload['customTitle']);
        if (title !== null) this.summary.observeCustomTitle(title);
        break;
      }
      case 'parent_session': {
        const parent = asText(payload['parentSessionId']);
        if (parent !== null) this.summary.observeParentSession(parent);
        break;
      }
      case 'session_source': {
        const source = asText(payload['sourceType']);
        if (source !== null) this.summary.observeOriginator(source);
        break;
      }
      default:
        break;
    }
    this.counts.ignoredLines += 1;
    this.skip(envelope);
  }

  /**
   * `qwen-code.api_response` events repeat the usage of a response: the main conversation's is on its
   * assistant record (a duplicate here), a subagent's (`subagent_id`/`subagent_name` set) is billed here, on a row
   * of its own, because only this event names its model.
   */
  private telemetry(line: JsonLine, envelope: QwenEnvelope, payload: Record<string, unknown>, sink: RecordSink): void {
    const event = isRecord(payload['uiEvent']) ? payload['uiEvent'] : null;
    if (event === null || !isApiResponseEvent(asText(event['event.name']))) {
      this.counts.ignoredLines += 1;
      this.skip(envelope);
      return;
    }
    const bySubagent = asText(event['subagent_id']) !== null || asText(event['subagent_name']) !== null;
    const tokens = tokensFromApiResponse(event, this.values);
    if (!bySubagent || isSubagentRecord(envelope) || tokens === null) {
      if (tokens !== null) this.counts.duplicateResponses += 1;
      else this.counts.ignoredLines += 1;
      this.skip(envelope);
      return;
    }
    this.emit(
      line,
      { ...envelope, isSidechain: true },
      {
        role: 'assistant',
        model: asText(event['model']),
        tokens,
        rawUsage: event,
        responseId: asText(event['response_id']),
        requestId: asText(event['prompt_id']),
      },
      sink,
    );
  }

  private emit(line: JsonLine, envelope: QwenEnvelope, fields: RowFields, sink: RecordSink): number {
    const ordinal = this.nextOrdinal;
    this.nextOrdinal += 1;
    const row: MessageRecord = {
      ordinal,
      role: fields.role,
      sourceType: envelope.type ?? MISSING,
      sourceSubtype: envelope.subtype,
      uuid: envelope.uuid,
      parentUuid: this.resolve(envelope.parentUuid),
      timestamp: envelope.timestamp,
      model: fields.model ?? null,
      text: fields.text?.text ?? null,
      thinking: fields.thinking?.text ?? null,
      isSidechain: envelope.isSidechain,
      isCompactBoundary: fields.isCompactBoundary ?? false,
      responseId: fields.responseId ?? null,
      requestId: fields.requestId ?? null,
      tokens: fields.tokens ?? null,
      rawUsage: fields.rawUsage ?? null,
      lineNumber: line.lineNumber,
      byteOffset: line.byteOffset,
    };
    const textJoints = jointsOf(fields.text ?? null);
    const thinkingJoints = jointsOf(fields.thinking ?? null);
    // Spreads in a literal cost more than the rest of the row: only text joined from pieces pays for them.
    const record = textJoints === undefined && thinkingJoints === undefined ? row : withJoints(row, textJoints, thinkingJoints);
    sink.message(record);
    this.lastUuid = envelope.uuid;
    this.lastResolved = envelope.uuid;
    this.summary.observeRow(record.model);
    if (record.tokens !== null) this.summary.observeBilled(record.tokens, record.model);
    return ordinal;
  }

  /** A record without a row: rows that hang off it hang off its nearest ancestor with a row instead. */
  private skip(envelope: QwenEnvelope): void {
    const resolved = this.resolve(envelope.parentUuid);
    if (envelope.uuid !== null) this.links.set(envelope.uuid, resolved);
    this.lastUuid = envelope.uuid;
    this.lastResolved = resolved;
  }

  private resolve(parentUuid: string | null): string | null {
    if (parentUuid === null) return null;
    if (parentUuid === this.lastUuid) return this.lastResolved;
    const linked = this.links.get(parentUuid);
    return linked === undefined ? parentUuid : linked;
  }

  private emitCall(call: ToolCallRecord | WrittenCall | CompletedWrittenCall, sink: RecordSink): void {
    if (!isWrittenCall(call)) sink.toolCall(call);
    else if ('resultText' in call) {
      sink.revise({
        kind: 'tool-result',
        messageOrdinal: call.messageOrdinal,
        callIndex: call.callIndex,
        resultText: call.resultText,
        isError: call.isError,
        resultTimestamp: call.resultTimestamp,
        resultFile: null,
      });
    }
    // Counted when it leaves: a snapshot is taken before finish(), so a call still waiting was not counted yet.
    this.summary.observeToolCall();
  }

  private unknown(type: string): void {
    this.unknownTypes.set(type, (this.unknownTypes.get(type) ?? 0) + 1);
  }

  private allCounts(): ParseCounts {
    return { ...this.counts, unknownTypes: Object.fromEntries(this.unknownTypes) };
  }
}

interface RowFields {
  role: MessageRole;
  text?: JoinedText | null;
  thinking?: JoinedText | null;
  model?: string | null;
  tokens?: TokenCounts | null;
  rawUsage?: unknown;
  responseId?: string | null;
  requestId?: string | null;
  isCompactBoundary?: boolean;
}

/** The row with its joints, placed after `thinking` as rows have always carried them. */
function withJoints(row: MessageRecord, textJoints: readonly number[] | undefined, thinkingJoints: readonly number[] | undefined): MessageRecord {
  const { isSidechain, isCompactBoundary, responseId, requestId, tokens, rawUsage, lineNumber, byteOffset, ...head } = row;
  return {
    ...head,
    ...(textJoints === undefined ? {} : { textJoints }),
    ...(thinkingJoints === undefined ? {} : { thinkingJoints }),
    isSidechain,
    isCompactBoundary,
    responseId,
    requestId,
    tokens,
    rawUsage,
    lineNumber,
    byteOffset,
  };
}

/** A record of a subagent transcript (attachJsonlTranscriptWriter writes both fields on each). */
function isSubagentRecord(envelope: QwenEnvelope): boolean {
  return envelope.isSidechain && envelope.agentId !== null;
}

/** Text pieces joined (joined-text.ts), or null when there are none. */
function joined(pieces: readonly string[]): JoinedText | null {
  if (pieces.length === 0) return null;
  // One piece is itself, with no joint: what joinPieces gives, without its work.
  return pieces.length === 1 ? { text: pieces[0] as string, joints: [] } : joinPieces(pieces);
}

function isQwenState(state: unknown): state is QwenParserState {
  if (!isRecord(state)) return false;
  const { counts, summary } = state;
  return (
    typeof state['nextOrdinal'] === 'number' &&
    isRecord(counts) &&
    isRecord(counts['unknownTypes']) &&
    isRecord(summary) &&
    isRecord(summary['tokens']) &&
    Array.isArray(summary['billedByModel']) &&
    Array.isArray(state['calls']) &&
    Array.isArray(state['links']) &&
    Array.isArray(state['tail'])
  );
}
