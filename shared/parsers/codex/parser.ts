import type { JsonLine, ParseCounts, ParseResult, ParserSnapshot, SessionParser } from '../types.js';
import type { ParserContext, RecordSink, ToolCallRecord } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { asText, isRecord } from '../values.js';
import { joinedContent, isInjectedContext, reasoningText } from './content.js';
import { jointsOf } from '../joined-text.js';
import { ReplayGate, uuidV7Millis, type ReplayGateState } from './lineage.js';
import { PromptResolver, type ReleasedRow } from './prompts.js';
import { readEnvelope, type Envelope } from './records.js';
import { draftRow, type DraftRow, type RowFields } from './rows.js';
import { readOwnSession, SessionInfo, sessionMetaId, type SessionInfoState } from './session-info.js';
import { isCallItem, isOutputItem, readCall, readOutput } from './tool-calls.js';
import {
  isWrittenCall,
  PendingCalls,
  type CompletedWrittenCall,
  type PendingCallsState,
  type WrittenCall,
} from '../pending-calls.js';
import { toTokenCounts, TokenMeter, type Metered, type TokenMeterState } from './tokens.js';

const MISSING = '<missing>';

/** response_item payload types that carry nothing to store. */
const IGNORED_ITEM_TYPES: ReadonlySet<string> = new Set(['ghost_snapshot', 'compaction', 'compaction_summary', 'other']);

/** What a Codex parse resumes from (see resume-state.ts). */
interface CodexParserState {
  info: SessionInfoState;
  meter: TokenMeterState;
  calls: PendingCallsState;
  gate: ReplayGateState;
  prompts: { eventsSeen: boolean };
  counts: ParseCounts;
  ownSessionSeen: boolean;
  ownSessionId: string | null;
  nextOrdinal: number;
  turnId: string | null;
  lastTurnId: string | null;
  model: string | null;
}

/** One rollout file. Holds the session facts, calls waiting for output and a turn's undecided user input. */
export class CodexSessionParser implements SessionParser {
  private readonly info: SessionInfo;
  private readonly meter: TokenMeter;
  private readonly calls: PendingCalls;
  private readonly gate: ReplayGate;
  private readonly prompts: PromptResolver;
  private readonly counts: ParseCounts;
  private ownSessionSeen = false;
  private ownSessionId: string | null = null;
  private nextOrdinal = 0;
  /** The turn in progress; null between task_complete and the next turn. */
  private turnId: string | null = null;
  /** The last turn started, kept past its end: a token_count always belongs to one. */
  private lastTurnId: string | null = null;
  private model: string | null = null;

  constructor(
    private readonly context: ParserContext,
    private readonly values: ValueChecks,
    state?: CodexParserState,
  ) {
    this.info = state === undefined ? new SessionInfo() : SessionInfo.restore(state.info);
    this.meter = new TokenMeter(values, state?.meter);
    this.calls = new PendingCalls(state?.calls);
    this.gate = new ReplayGate(state?.gate);
    this.prompts = new PromptResolver(state?.prompts);
    this.counts = state === undefined
      ? { unknownTypes: {}, ignoredLines: 0, duplicateResponses: 0 }
      : { ...state.counts, unknownTypes: { ...state.counts.unknownTypes } };
    if (state === undefined) return;
    this.ownSessionSeen = state.ownSessionSeen;
    this.ownSessionId = state.ownSessionId;
    this.nextOrdinal = state.nextOrdinal;
    this.turnId = state.turnId;
    this.lastTurnId = state.lastTurnId;
    this.model = state.model;
  }

  /** A parser continuing from `snapshot()`; null when `state` does not have that shape. */
  static resume(context: ParserContext, values: ValueChecks, state: unknown): CodexSessionParser | null {
    return isCodexState(state) ? new CodexSessionParser(context, values, state) : null;
  }

  /** Null while user input is held undecided (see PromptResolver): the next upload is then read in full. */
  snapshot(): ParserSnapshot | null {
    const prompts = this.prompts.snapshot();
    return prompts === null ? null : { nextOrdinal: this.nextOrdinal, state: this.state(prompts) };
  }

  private state(prompts: { eventsSeen: boolean }): CodexParserState {
    return {
      info: this.info.snapshot(),
      meter: this.meter.snapshot(),
      calls: this.calls.snapshot(),
      gate: this.gate.snapshot(),
      prompts,
      counts: { ...this.counts, unknownTypes: { ...this.counts.unknownTypes } },
      ownSessionSeen: this.ownSessionSeen,
      ownSessionId: this.ownSessionId,
      nextOrdinal: this.nextOrdinal,
      turnId: this.turnId,
      lastTurnId: this.lastTurnId,
      model: this.model,
    };
  }

  line(line: JsonLine, sink: RecordSink): void {
    const envelope = readEnvelope(line.value, this.values);
    this.info.observeTimestamp(envelope.timestamp);
    switch (envelope.type) {
      case 'session_meta':
        this.sessionMeta(envelope);
        return;
      case 'turn_context':
        this.turnContext(line, envelope);
        return;
      case 'response_item':
        this.responseItem(line, envelope, sink);
        return;
      case 'event_msg':
        this.event(line, envelope, sink);
        return;
      case 'compacted':
        this.compacted(line, envelope, sink);
        return;
      default:
        this.unknown(envelope.type ?? MISSING);
    }
  }

  finish(sink: RecordSink): ParseResult {
    this.emit(this.prompts.settle(), sink);
    for (const call of this.calls.drain()) this.emitCall(call, sink);
    return { summary: this.info.build(this.context), counts: this.counts };
  }

  private sessionMeta(envelope: Envelope): void {
    const payload = envelope.payload;
    if (payload === null) {
      this.counts.ignoredLines += 1;
      return;
    }
    if (!this.ownSessionSeen) {
      const own = readOwnSession(payload, this.values);
      this.ownSessionSeen = true;
      this.ownSessionId = own.id;
      this.info.observeOwnSession(own, payload);
      this.gate.ownSession(own.parentId !== null, createdMillis(own.id, own.createdAt, envelope.timestamp));
      return;
    }
    // A later session_meta is never this session's: a copied ancestor's (see ReplayGate) or a stray one.
    const id = sessionMetaId(payload);
    if (id !== null && id !== this.ownSessionId) this.gate.foreignSession();
    this.counts.ignoredLines += 1;
  }

  private turnContext(line: JsonLine, envelope: Envelope): void {
    const payload = envelope.payload;
    if (payload === null) {
      this.counts.ignoredLines += 1;
      return;
    }
    const turnId = asText(payload['turn_id']);
    const model = asText(payload['model']);
    this.gate.turn(turnId);
    this.model = model ?? this.model;
    if (this.gate.inCopiedHistory) {
      this.counts.ignoredLines += 1;
      return;
    }
    this.startTurn(turnId);
    this.info.observeTurnContext(asText(payload['cwd']), model, turnId, line.lineNumber);
  }

  private responseItem(line: JsonLine, envelope: Envelope, sink: RecordSink): void {
    const payload = envelope.payload;
    // Hand-written and old logs leave out payload.type on messages.
    const kind = envelope.payloadType ?? (payload !== null && 'role' in payload ? 'message' : null);
    if (payload === null || kind === null) {
      this.unknown(`response_item:${MISSING}`);
      return;
    }
    if (this.gate.inCopiedHistory) {
      this.counts.ignoredLines += 1;
      return;
    }
    if (kind === 'message') {
      this.message(line, envelope, payload, sink);
    } else if (kind === 'reasoning') {
      this.reasoning(line, envelope, payload, sink);
    } else if (isCallItem(kind)) {
      this.call(line, envelope, kind, payload, sink);
    } else if (isOutputItem(kind)) {
      this.output(envelope, payload, sink);
    } else if (kind === 'agent_message') {
      // A message from another agent of a multi-agent session: input, but not typed by the user.
      this.emit(this.prompts.row(draftRow(line, envelope, this.inputFields('system', payload))), sink);
    } else if (IGNORED_ITEM_TYPES.has(kind)) {
      this.counts.ignoredLines += 1;
    } else {
      this.unknown(`response_item:${kind}`);
    }
  }

  private message(line: JsonLine, envelope: Envelope, payload: Record<string, unknown>, sink: RecordSink): void {
    const role = asText(payload['role']);
    switch (role) {
      case 'user': {
        const row = draftRow(line, envelope, this.inputFields('user', payload));
        const released = isInjectedContext(row.text)
          ? this.prompts.row({ ...row, role: 'system' })
          : this.prompts.userItem(row, row.text);
        this.emit(released, sink);
        return;
      }
      case 'developer':
      case 'system':
        this.emit(this.prompts.row(draftRow(line, envelope, this.inputFields(role, payload))), sink);
        return;
      case 'assistant':
        this.emitNow(draftRow(line, envelope, this.outputFields(textFields(payload['content']))), sink);
        return;
      default:
        this.unknown(`response_item:message/${role ?? MISSING}`);
    }
  }

  private reasoning(line: JsonLine, envelope: Envelope, payload: Record<string, unknown>, sink: RecordSink): void {
    this.emit(this.prompts.settle(), sink);
    const thinking = reasoningText(payload);
    if (thinking === null) {
      // Encrypted reasoning only: nothing readable to keep.
      this.counts.ignoredLines += 1;
      return;
    }
    const thinkingJoints = jointsOf(thinking);
    this.emitNow(draftRow(line, envelope, this.outputFields({ thinking: thinking.text, ...(thinkingJoints === undefined ? {} : { thinkingJoints }) })), sink);
  }

  private call(
    line: JsonLine,
    envelope: Envelope,
    kind: string,
    payload: Record<string, unknown>,
    sink: RecordSink,
  ): void {
    const draft = readCall(kind, payload);
    const ordinal = this.emitNow(draftRow(line, envelope, this.outputFields({})), sink);
    const call: ToolCallRecord = {
      messageOrdinal: ordinal,
      callIndex: 0,
      callId: draft.callId,
      name: draft.name,
      input: draft.input,
      inputText: draft.inputText,
      resultText: null,
      isError: draft.isError,
      resultTimestamp: draft.isError === null ? null : envelope.timestamp,
      resultFile: null,
    };
    if (draft.settledOnArrival || draft.callId === null) {
      this.emitCall(call, sink);
      return;
    }
    const pushedOut = this.calls.add(draft.callId, call);
    if (pushedOut !== null) this.emitCall(pushedOut, sink);
  }

  private output(envelope: Envelope, payload: Record<string, unknown>, sink: RecordSink): void {
    this.emit(this.prompts.settle(), sink);
    const completed = this.calls.complete(readOutput(payload), envelope.timestamp);
    if (completed === null) {
      // No call waits for this id (its call is missing from the log).
      this.counts.ignoredLines += 1;
      return;
    }
    this.emitCall(completed, sink);
  }

  private event(line: JsonLine, envelope: Envelope, sink: RecordSink): void {
    const payload = envelope.payload;
    if (payload === null) {
      this.unknown(`event_msg:${MISSING}`);
      return;
    }
    switch (envelope.payloadType) {
      case 'token_count':
        this.billed(line, envelope, this.meter.tokenCount(payload['info']), payload['info'], sink);
        return;
      case 'turn.completed':
        this.billed(line, envelope, this.meter.turnCompleted(payload['usage']), payload['usage'], sink);
        return;
      case 'task_started':
        this.gate.turn(asText(payload['turn_id']));
        if (this.gate.inCopiedHistory) break;
        this.startTurn(asText(payload['turn_id']));
        return;
      case 'task_complete':
      case 'turn_aborted':
        if (this.gate.inCopiedHistory) break;
        this.emit(this.prompts.settle(), sink);
        this.turnId = null;
        return;
      case 'user_message': {
        if (this.gate.inCopiedHistory) break;
        const text = asText(payload['message']);
        const row = draftRow(line, envelope, { role: 'user', text, requestId: this.turnId });
        this.emit(this.prompts.userEvent(row, text), sink);
        return;
      }
      default:
        // UI events (agent_message, agent_reasoning, exec_command_end, …) repeat what response items hold.
        break;
    }
    this.counts.ignoredLines += 1;
  }

  private billed(line: JsonLine, envelope: Envelope, metered: Metered, rawUsage: unknown, sink: RecordSink): void {
    if (metered.kind === 'usage' && this.gate.inCopiedHistory) {
      // The parent's response: its own rollout counts it.
      this.counts.duplicateResponses += 1;
      return;
    }
    if (metered.kind !== 'usage') {
      if (metered.kind === 'repeat') this.counts.duplicateResponses += 1;
      else this.counts.ignoredLines += 1;
      return;
    }
    const reported = reportedModel(envelope.payload);
    this.model = reported ?? this.model;
    const tokens = toTokenCounts(metered.usage);
    const fields = { ...this.outputFields({ tokens, rawUsage }), requestId: this.turnId ?? this.lastTurnId };
    this.emitNow(draftRow(line, envelope, fields), sink);
    this.info.observeBilled(tokens, this.model);
  }

  private compacted(line: JsonLine, envelope: Envelope, sink: RecordSink): void {
    const payload = envelope.payload;
    if (payload === null || this.gate.inCopiedHistory) {
      this.counts.ignoredLines += 1;
      return;
    }
    this.emitNow(
      draftRow(line, envelope, {
        role: 'system',
        text: asText(payload['message']),
        isCompactBoundary: true,
        requestId: this.turnId,
      }),
      sink,
    );
  }

  private startTurn(turnId: string | null): void {
    this.turnId = turnId ?? this.turnId;
    this.lastTurnId = this.turnId ?? this.lastTurnId;
  }

  private inputFields(role: 'user' | 'developer' | 'system', payload: Record<string, unknown>): RowFields {
    return { role, ...textFields(payload['content']), requestId: this.turnId };
  }

  private outputFields(fields: Omit<RowFields, 'role'>): RowFields {
    return { role: 'assistant', model: this.model, requestId: this.turnId, ...fields };
  }

  /** Model activity: settles held user input, then writes the row at once and returns its ordinal. */
  private emitNow(row: DraftRow, sink: RecordSink): number {
    this.emit(this.prompts.settle(), sink);
    const ordinal = this.nextOrdinal;
    this.emit([{ row, isPrompt: false }], sink);
    return ordinal;
  }

  private emit(rows: readonly ReleasedRow[], sink: RecordSink): void {
    for (const { row, isPrompt } of rows) {
      sink.message({ ordinal: this.nextOrdinal, ...row });
      this.nextOrdinal += 1;
      this.info.observeRow();
      if (isPrompt) this.info.observePrompt(row.text);
    }
  }

  /** A call leaves: as a row, or, written pending by an earlier ingest, as a revision (or nothing new). */
  private emitCall(call: ToolCallRecord | WrittenCall | CompletedWrittenCall, sink: RecordSink): void {
    if (!isWrittenCall(call)) sink.toolCall(call);
    else if ('resultText' in call) {
      sink.revise({
        kind: 'tool-result',
        messageOrdinal: call.messageOrdinal,
        callIndex: call.callIndex,
        resultText: call.resultText,
        ...(call.resultJoints === undefined ? {} : { resultJoints: call.resultJoints }),
        isError: call.isError,
        resultTimestamp: call.resultTimestamp,
        resultFile: null,
      });
    }
    this.info.observeToolCall();
  }

  private unknown(type: string): void {
    this.counts.unknownTypes[type] = (this.counts.unknownTypes[type] ?? 0) + 1;
  }
}

function isCodexState(state: unknown): state is CodexParserState {
  if (!isRecord(state)) return false;
  const { info, meter, calls, gate, prompts, counts } = state;
  return (
    typeof state['nextOrdinal'] === 'number' &&
    isRecord(info) &&
    isRecord(info['tokens']) &&
    Array.isArray(info['countedTurns']) &&
    isRecord(meter) &&
    Array.isArray(calls) &&
    isRecord(gate) &&
    isRecord(prompts) &&
    isRecord(counts) &&
    isRecord(counts['unknownTypes'])
  );
}

/** When a session was created: its UUIDv7 id, else the session_meta's own timestamp, else the line's. */
function createdMillis(id: string | null, createdAt: string | null, lineTimestamp: string | null): number | null {
  const fromId = uuidV7Millis(id);
  if (fromId !== null) return fromId;
  for (const value of [createdAt, lineTimestamp]) {
    const millis = value === null ? Number.NaN : Date.parse(value);
    if (!Number.isNaN(millis)) return millis;
  }
  return null;
}

/** A model named by the token_count itself (`info.model` and the like), which ccusage also prefers. */
function reportedModel(payload: Record<string, unknown> | null): string | null {
  if (payload === null) return null;
  const info = isRecord(payload['info']) ? payload['info'] : null;
  const candidates = [
    info?.['model'],
    info?.['model_name'],
    info !== null && isRecord(info['metadata']) ? info['metadata']['model'] : undefined,
    payload['model'],
    isRecord(payload['metadata']) ? payload['metadata']['model'] : undefined,
  ];
  for (const candidate of candidates) {
    const model = typeof candidate === 'string' ? candidate.trim() : '';
    if (model.length > 0) return model;
  }
  return null;
}

/** A row's text from message content, with where its items were joined. */
function textFields(content: unknown): Pick<RowFields, 'text' | 'textJoints'> {
  const joined = joinedContent(content);
  const textJoints = jointsOf(joined);
  return { text: joined?.text ?? null, ...(textJoints === undefined ? {} : { textJoints }) };
}
