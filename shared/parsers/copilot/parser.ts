import type { JsonLine, ParseResult, ParserSnapshot, SessionParser } from '../types.js';
import type { MessageRecord, MessageRole, ParserContext, RecordSink, SessionSummary, TokenCounts, ToolCallRecord } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { toTitle } from '../title.js';
import { addTokenCounts, emptyTokenCounts } from '../token-counts.js';
import { asText, isRecord, maxTimestamp, minTimestamp, mostFrequent, pathBasename } from '../values.js';
import { isWrittenCall, type PendingCallsState, type WrittenCall } from '../pending-calls.js';
import { isOtelSpan } from './detect.js';
import { readChatSpan } from './otel.js';
import {
  isZeroUsage,
  numbersFromEventUsage,
  snapshotIncrease,
  tokensFromNumbers,
  type CopilotUsageNumbers,
} from './tokens.js';

const MISSING = '<missing>';

/** Session event types that carry nothing sessionlake stores beyond what the handlers below read. */
const IGNORED_EVENTS: ReadonlySet<string> = new Set([
  'session.start', 'session.resume', 'session.model_change', 'session.usage_checkpoint', 'session.info',
  'session.warning', 'session.error', 'session.idle', 'session.title_changed', 'session.context_changed',
  'session.usage_info', 'session.truncation', 'session.compaction_start', 'session.mode_changed',
  'session.plan_changed', 'session.workspace_file_changed', 'session.task_complete', 'session.skills_loaded',
  'session.mcp_servers_loaded', 'session.tools_updated', 'assistant.turn_start', 'assistant.turn_end',
  'assistant.intent', 'assistant.reasoning', 'assistant.idle', 'tool.execution_start', 'tool.user_requested',
  'tool.execution_progress', 'tool.execution_partial_result', 'subagent.started', 'subagent.completed',
  'subagent.failed', 'subagent.selected', 'subagent.deselected', 'hook.start', 'hook.end', 'abort',
  'pending_messages.modified', 'permission.requested', 'permission.completed', 'system.notification',
  // the system prompt the CLI sent (26 KB in 1.0.102): not a message of the conversation
  'system.message',
  // the OTel export's other records: metric aggregates and log records repeat the spans' usage
  'metric', 'log',
]);

/** Session facts and the running process, as they are (see resume-state.ts); `title` is text from the log. */
interface CopilotFacts {
  sessionId: string | null;
  cwd: string | null;
  gitBranch: string | null;
  cliVersion: string | null;
  title: string | null;
  startedAt: string | null;
  endedAt: string | null;
  prompts: number;
  messages: number;
  toolCalls: number;
  currentModel: string | null;
  sawSpans: boolean;
  /** When the running Copilot process started (session.start / session.resume), and whether it wrote usage records. */
  processStartedAt: string | null;
  processHasUsageRecords: boolean;
}

/** What a Copilot parse resumes from (see resume-state.ts): no row content, no tool call arguments. */
interface CopilotParserState {
  nextOrdinal: number;
  ignoredLines: number;
  duplicateResponses: number;
  unknownTypes: [string, number][];
  facts: CopilotFacts;
  tokens: TokenCounts;
  billedByModel: [string, number][];
  rowsByModel: [string, number][];
  /** Per model, the last `session.shutdown` snapshot of the file: the next one bills what it adds to it. */
  lastSnapshot: [string, CopilotUsageNumbers][];
  /** Calls waiting for their result, written as pending by the ingest that took the state. */
  calls: PendingCallsState;
}

/**
 * Reads one Copilot CLI object, a session's `events.jsonl` or an OpenTelemetry file export (index.ts says what
 * each record becomes). Both are only appended to, and every record is final when written, so any line boundary
 * can be resumed from: the state holds what a later shutdown's bill depends on (the last snapshot per model, the
 * process window) beside the session facts and the calls waiting for their result.
 */
export class CopilotSessionParser implements SessionParser {
  private nextOrdinal: number;
  private readonly counts: { ignoredLines: number; duplicateResponses: number };
  /** A Map, so that a type named like an Object.prototype member (`constructor`, `__proto__`) is counted like any other. */
  private readonly unknownTypes: Map<string, number>;
  /**
   * Calls waiting for their result, by id (the first call of an id waits; a later one with the same id is a lone
   * call). After a resume, calls that waited when the state was taken are `WrittenCall`s: their row exists.
   */
  private readonly calls: Map<string, ToolCallRecord | WrittenCall>;
  private readonly loneCalls: ToolCallRecord[] = [];
  private readonly billedByModel: Map<string, number>;
  private readonly rowsByModel: Map<string, number>;
  private readonly tokens: TokenCounts;
  private readonly lastSnapshot: Map<string, CopilotUsageNumbers>;
  private readonly facts: CopilotFacts;

  constructor(
    private readonly context: ParserContext,
    private readonly values: ValueChecks,
    state?: CopilotParserState,
  ) {
    this.nextOrdinal = state?.nextOrdinal ?? 0;
    this.counts = { ignoredLines: state?.ignoredLines ?? 0, duplicateResponses: state?.duplicateResponses ?? 0 };
    this.unknownTypes = new Map(state?.unknownTypes);
    this.calls = new Map(state?.calls.map(([callId, messageOrdinal, callIndex]) => [callId, { messageOrdinal, callIndex }]));
    this.billedByModel = new Map(state?.billedByModel);
    this.rowsByModel = new Map(state?.rowsByModel);
    this.tokens = state === undefined ? emptyTokenCounts() : { ...state.tokens };
    this.lastSnapshot = new Map(state?.lastSnapshot.map(([model, numbers]) => [model, { ...numbers }]));
    this.facts = state === undefined ? emptyFacts() : { ...state.facts };
  }

  static resume(context: ParserContext, values: ValueChecks, state: unknown): CopilotSessionParser | null {
    return isCopilotState(state) ? new CopilotSessionParser(context, values, state) : null;
  }

  snapshot(): ParserSnapshot {
    const state: CopilotParserState = {
      nextOrdinal: this.nextOrdinal,
      ...this.counts,
      unknownTypes: [...this.unknownTypes],
      facts: { ...this.facts },
      tokens: { ...this.tokens },
      billedByModel: [...this.billedByModel],
      rowsByModel: [...this.rowsByModel],
      lastSnapshot: [...this.lastSnapshot].map(([model, numbers]) => [model, { ...numbers }]),
      calls: [...this.calls].map(([callId, call]) => [callId, call.messageOrdinal, call.callIndex]),
    };
    return { nextOrdinal: this.nextOrdinal, state };
  }

  line(line: JsonLine, sink: RecordSink): void {
    const value = line.value;
    if (value['type'] === 'span' && isOtelSpan(value)) {
      this.span(line, sink);
      return;
    }
    const type = asText(value['type']) ?? MISSING;
    const data = isRecord(value['data']) ? value['data'] : {};
    const timestamp = this.values.timestamp(value['timestamp'], 'timestamp');
    this.widen(timestamp);
    switch (type) {
      case 'session.start':
        this.start(data, timestamp, asText(data['startTime']));
        break;
      case 'session.resume':
        this.start(data, timestamp, asText(data['resumeTime']));
        break;
      case 'session.model_change':
        this.facts.currentModel = asText(data['newModel']) ?? this.facts.currentModel;
        break;
      case 'user.message':
        this.userMessage(line, data, timestamp, sink);
        return;
      case 'assistant.message':
        this.assistantMessage(line, data, timestamp, sink);
        return;
      case 'tool.execution_complete':
        this.toolComplete(line, data, timestamp, sink);
        return;
      case 'session.usage_record':
        this.usageRecord(line, data, timestamp, sink);
        return;
      case 'session.shutdown':
        this.shutdown(line, data, timestamp, sink);
        return;
      case 'session.compaction_complete':
        this.emit(line, timestamp, { role: 'system', isCompactBoundary: true }, sink);
        return;
      default:
        if (!IGNORED_EVENTS.has(type)) {
          this.unknownTypes.set(type, (this.unknownTypes.get(type) ?? 0) + 1);
          return;
        }
    }
    this.counts.ignoredLines += 1;
  }

  finish(sink: RecordSink): ParseResult {
    // A call that waited when the state was taken is written already, as pending.
    for (const call of this.calls.values()) if (!isWrittenCall(call)) sink.toolCall(call);
    for (const record of this.loneCalls) sink.toolCall(record);
    this.calls.clear();
    return { summary: this.summary(), counts: { ...this.counts, unknownTypes: Object.fromEntries(this.unknownTypes) } };
  }

  private start(data: Record<string, unknown>, timestamp: string | null, startTime: string | null): void {
    const facts = this.facts;
    facts.sessionId ??= asText(data['sessionId']);
    facts.cliVersion ??= asText(data['copilotVersion']);
    const context = isRecord(data['context']) ? data['context'] : {};
    facts.cwd ??= asText(context['cwd']);
    facts.gitBranch ??= asText(context['branch']);
    facts.currentModel = asText(data['selectedModel']) ?? facts.currentModel;
    facts.processStartedAt = this.values.timestamp(startTime, 'startTime') ?? timestamp;
    facts.processHasUsageRecords = false;
  }

  private userMessage(line: JsonLine, data: Record<string, unknown>, timestamp: string | null, sink: RecordSink): void {
    const text = asText(data['content']);
    this.emit(line, timestamp, { role: 'user', text }, sink);
    if (text === null || line.value['agentId'] !== undefined) return;
    this.facts.prompts += 1;
    if (this.facts.title === null) {
      const title = toTitle(text);
      if (title.length > 0) this.facts.title = title;
    }
  }

  private assistantMessage(line: JsonLine, data: Record<string, unknown>, timestamp: string | null, sink: RecordSink): void {
    const model = asText(data['model']) ?? this.facts.currentModel;
    const ordinal = this.emit(
      line,
      timestamp,
      { role: 'assistant', text: asText(data['content']), thinking: asText(data['reasoningText']), model, rawUsage: null },
      sink,
    );
    const requests = Array.isArray(data['toolRequests']) ? data['toolRequests'] : [];
    for (const [callIndex, request] of requests.entries()) {
      if (!isRecord(request)) continue;
      const callId = asText(request['toolCallId']);
      const record: ToolCallRecord = {
        messageOrdinal: ordinal,
        callIndex,
        callId,
        name: asText(request['name']) ?? MISSING,
        input: request['arguments'] ?? null,
        inputText: null,
        resultText: null,
        isError: null,
        resultTimestamp: null,
        resultFile: null,
      };
      this.facts.toolCalls += 1;
      if (callId === null || this.calls.has(callId)) this.loneCalls.push(record);
      else this.calls.set(callId, record);
    }
  }

  private toolComplete(line: JsonLine, data: Record<string, unknown>, timestamp: string | null, sink: RecordSink): void {
    const callId = asText(data['toolCallId']);
    const output = isRecord(data['result']) ? data['result'] : null;
    const error = isRecord(data['error']) ? data['error'] : null;
    const text = asText(output?.['content']) ?? asText(error?.['message']) ?? null;
    const failed = data['success'] === false || (output === null && error !== null);
    const pending = callId === null ? undefined : this.calls.get(callId);
    if (pending === undefined) {
      // A result whose call is not in the file (a user-requested tool): its text stays on a row of its own.
      this.emit(line, timestamp, { role: 'tool', text }, sink);
      return;
    }
    this.calls.delete(callId as string);
    const result = { resultText: text, isError: failed, resultTimestamp: timestamp };
    if (!isWrittenCall(pending)) sink.toolCall({ ...(pending as ToolCallRecord), ...result });
    else sink.revise({ kind: 'tool-result', messageOrdinal: pending.messageOrdinal, callIndex: pending.callIndex, ...result, resultFile: null });
    this.counts.ignoredLines += 1;
  }

  /** One model call's usage, as the CLI keeps it durably (per call); billed on a row of its own. */
  private usageRecord(line: JsonLine, data: Record<string, unknown>, timestamp: string | null, sink: RecordSink): void {
    const usage = isRecord(data['usage']) ? data['usage'] : {};
    const numbers = numbersFromEventUsage(usage, this.values);
    const tokens = numbers === null ? null : tokensFromNumbers(numbers);
    const accounting = isRecord(usage['accounting']) ? usage['accounting'] : {};
    this.facts.processHasUsageRecords = true;
    this.emit(
      line,
      timestamp,
      {
        role: 'assistant',
        model: asText(usage['model']),
        tokens,
        rawUsage: usage,
        responseId: asText(usage['apiCallId']) ?? asText(accounting['usageId']),
        requestId: asText(accounting['sourceSessionId']) ?? this.facts.sessionId,
      },
      sink,
    );
  }

  /**
   * The process's per-model totals. Each model's row bills what this snapshot adds to the previous one of the same
   * model in the file (cumulative across resumes), or the whole snapshot when its counts went down (an older CLI
   * that restarted them). Not billed here when the process also wrote per-call usage records; billed rows carry
   * the process's start in request_id, where migration 025 looks for OTel spans of the same window.
   */
  private shutdown(line: JsonLine, data: Record<string, unknown>, timestamp: string | null, sink: RecordSink): void {
    const metrics = isRecord(data['modelMetrics']) ? data['modelMetrics'] : {};
    let emitted = false;
    for (const [model, metric] of Object.entries(metrics)) {
      if (!isRecord(metric)) continue;
      const numbers = numbersFromEventUsage(metric['usage'], this.values);
      if (numbers === null) continue;
      const previous = this.lastSnapshot.get(model);
      this.lastSnapshot.set(model, numbers);
      const increase = previous === undefined ? numbers : (snapshotIncrease(numbers, previous) ?? numbers);
      if (isZeroUsage(increase)) continue;
      let tokens = tokensFromNumbers(increase);
      if (this.facts.processHasUsageRecords && tokens !== null) {
        this.counts.duplicateResponses += 1;
        tokens = null;
      }
      this.emit(
        line,
        timestamp,
        {
          role: 'assistant',
          subtype: 'model_metrics',
          model,
          tokens,
          rawUsage: metric,
          requestId: tokens === null ? null : this.facts.processStartedAt,
        },
        sink,
      );
      emitted = true;
    }
    if (!emitted) this.counts.ignoredLines += 1;
    // The next process starts after this one ended (its session.resume, when written, says when exactly).
    this.facts.processStartedAt = timestamp;
    this.facts.processHasUsageRecords = false;
  }

  private span(line: JsonLine, sink: RecordSink): void {
    this.facts.sawSpans = true;
    const span = readChatSpan(line.value, this.values);
    if (span === null) {
      this.counts.ignoredLines += 1;
      return;
    }
    this.widen(span.timestamp);
    this.emit(
      line,
      span.timestamp,
      {
        role: 'assistant',
        sourceType: 'otel',
        subtype: span.operation,
        uuid: span.spanId,
        parentUuid: span.parentSpanId,
        model: span.model,
        tokens: span.tokens,
        rawUsage: span.usage,
        responseId: span.responseId,
        requestId: span.conversationId,
      },
      sink,
    );
  }

  private emit(line: JsonLine, timestamp: string | null, fields: RowFields, sink: RecordSink): number {
    const ordinal = this.nextOrdinal;
    this.nextOrdinal += 1;
    const value = line.value;
    const record: MessageRecord = {
      ordinal,
      role: fields.role,
      sourceType: fields.sourceType ?? asText(value['type']) ?? MISSING,
      sourceSubtype: fields.subtype ?? null,
      uuid: fields.uuid === undefined ? asText(value['id']) : fields.uuid,
      parentUuid: fields.parentUuid === undefined ? asText(value['parentId']) : fields.parentUuid,
      timestamp,
      model: fields.model ?? null,
      text: fields.text ?? null,
      thinking: fields.thinking ?? null,
      isSidechain: typeof value['agentId'] === 'string',
      isCompactBoundary: fields.isCompactBoundary ?? false,
      responseId: fields.responseId ?? null,
      requestId: fields.requestId ?? null,
      tokens: fields.tokens ?? null,
      rawUsage: fields.rawUsage ?? null,
      lineNumber: line.lineNumber,
      byteOffset: line.byteOffset,
    };
    sink.message(record);
    this.facts.messages += 1;
    if (record.model !== null) this.rowsByModel.set(record.model, (this.rowsByModel.get(record.model) ?? 0) + 1);
    if (record.tokens !== null) {
      addTokenCounts(this.tokens, record.tokens);
      if (record.model !== null) this.billedByModel.set(record.model, (this.billedByModel.get(record.model) ?? 0) + 1);
    }
    return ordinal;
  }

  private widen(timestamp: string | null): void {
    this.facts.startedAt = minTimestamp(this.facts.startedAt, timestamp);
    this.facts.endedAt = maxTimestamp(this.facts.endedAt, timestamp);
  }

  private summary(): SessionSummary {
    // An OTel export holds spans of many sessions: it is no session of its own (no source id, no project).
    const facts = this.facts;
    const isExport = facts.sawSpans && facts.sessionId === null;
    return {
      sourceSessionId: isExport ? null : (facts.sessionId ?? (this.context.fileStem.length > 0 ? this.context.fileStem : null)),
      parentSourceSessionId: isExport ? null : this.context.parentSourceSessionId,
      project: pathBasename(facts.cwd),
      cwd: facts.cwd,
      gitBranch: facts.gitBranch,
      cliVersion: facts.cliVersion,
      originator: isExport ? 'otel' : null,
      title: facts.title,
      startedAt: facts.startedAt,
      endedAt: facts.endedAt,
      model: mostFrequent(this.billedByModel) ?? mostFrequent(this.rowsByModel),
      messageCount: facts.messages,
      userMessageCount: facts.prompts,
      toolCallCount: facts.toolCalls,
      tokens: { ...this.tokens },
    };
  }
}

interface RowFields {
  role: MessageRole;
  sourceType?: string;
  subtype?: string | null;
  uuid?: string | null;
  parentUuid?: string | null;
  text?: string | null;
  thinking?: string | null;
  model?: string | null;
  tokens?: TokenCounts | null;
  rawUsage?: unknown;
  responseId?: string | null;
  requestId?: string | null;
  isCompactBoundary?: boolean;
}

function emptyFacts(): CopilotFacts {
  return {
    sessionId: null,
    cwd: null,
    gitBranch: null,
    cliVersion: null,
    title: null,
    startedAt: null,
    endedAt: null,
    prompts: 0,
    messages: 0,
    toolCalls: 0,
    currentModel: null,
    sawSpans: false,
    processStartedAt: null,
    processHasUsageRecords: false,
  };
}

function isCopilotState(state: unknown): state is CopilotParserState {
  if (!isRecord(state)) return false;
  const { facts, tokens } = state;
  return (
    typeof state['nextOrdinal'] === 'number' &&
    typeof state['ignoredLines'] === 'number' &&
    typeof state['duplicateResponses'] === 'number' &&
    Array.isArray(state['unknownTypes']) &&
    isRecord(facts) &&
    typeof facts['messages'] === 'number' &&
    typeof facts['processHasUsageRecords'] === 'boolean' &&
    isRecord(tokens) &&
    Array.isArray(state['billedByModel']) &&
    Array.isArray(state['rowsByModel']) &&
    Array.isArray(state['lastSnapshot']) &&
    Array.isArray(state['calls'])
  );
}
