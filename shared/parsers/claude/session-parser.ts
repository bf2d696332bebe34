import type { JsonLine, ParseResult, ParserSnapshot, SessionParser } from '../types.js';
import type { MessageRecord, MessageRole, ParserContext, RecordSink } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { asBoolean, asText, isRecord } from '../values.js';
import { readContent, readText, type MessageContent } from './content.js';
import { isRealPrompt } from './prompts.js';
import { classifyRecord, QUEUED_COMMAND, type MessageLineType } from './record-kind.js';
import { responseDedupKey } from './response-key.js';
import { ResponseBiller, type ResponseBillerState } from './responses.js';
import { SummaryBuilder, type SummaryState } from './summary.js';
import { tokensFromUsage } from './tokens.js';
import { ToolCallPairing, type ToolCallPairingState } from './tool-calls.js';

/** What a Claude parse resumes from (see resume-state.ts). */
interface ClaudeParserState {
  nextOrdinal: number;
  ignoredLines: number;
  unknownTypes: [string, number][];
  summary: SummaryState;
  tools: ToolCallPairingState;
  responses: ResponseBillerState;
}

const COMPACT_BOUNDARY = 'compact_boundary';

/** Streams one Claude Code transcript: rows go to the sink as soon as they are final. */
export class ClaudeSessionParser implements SessionParser {
  private nextOrdinal = 0;
  private ignoredLines = 0;
  /** A Map, so that a type named like an Object.prototype member is counted like any other. */
  private readonly unknownTypes: Map<string, number>;
  private readonly summary: SummaryBuilder;
  private readonly tools: ToolCallPairing;
  private readonly responses: ResponseBiller;

  constructor(
    private readonly context: ParserContext,
    private readonly values: ValueChecks,
    state?: ClaudeParserState,
  ) {
    this.nextOrdinal = state?.nextOrdinal ?? 0;
    this.ignoredLines = state?.ignoredLines ?? 0;
    this.unknownTypes = new Map(state?.unknownTypes);
    this.summary = state === undefined ? new SummaryBuilder() : SummaryBuilder.restore(state.summary);
    this.tools = new ToolCallPairing(state?.tools);
    this.responses = new ResponseBiller((response) => this.summary.observeBilled(response), state?.responses);
  }

  /** A parser continuing from `snapshot()`; null when `state` does not have that shape. */
  static resume(context: ParserContext, values: ValueChecks, state: unknown): ClaudeSessionParser | null {
    return isClaudeState(state) ? new ClaudeSessionParser(context, values, state) : null;
  }

  snapshot(): ParserSnapshot {
    return { nextOrdinal: this.nextOrdinal, state: this.state() };
  }

  private state(): ClaudeParserState {
    return {
      nextOrdinal: this.nextOrdinal,
      ignoredLines: this.ignoredLines,
      unknownTypes: [...this.unknownTypes],
      summary: this.summary.snapshot(),
      tools: this.tools.snapshot(),
      responses: this.responses.snapshot(),
    };
  }

  line(line: JsonLine, sink: RecordSink): void {
    const value = line.value;
    const timestamp = this.values.timestamp(value['timestamp'], 'timestamp');
    this.summary.observeLine(value, timestamp);
    const kind = classifyRecord(value);
    switch (kind.kind) {
      case 'message':
        if (kind.type === 'system') this.systemLine(line, timestamp, sink);
        else this.conversationLine(line, timestamp, kind.type, sink);
        return;
      case 'queued-command':
        this.queuedCommand(line, timestamp, sink);
        return;
      case 'ignored':
        this.ignoredLines += 1;
        return;
      case 'unknown':
        this.unknownTypes.set(kind.type, (this.unknownTypes.get(kind.type) ?? 0) + 1);
        return;
    }
  }

  finish(sink: RecordSink): ParseResult {
    this.responses.close(sink);
    this.tools.flush(sink);
    return {
      summary: this.summary.build(this.context, this.tools.callCount),
      counts: {
        unknownTypes: Object.fromEntries(this.unknownTypes),
        ignoredLines: this.ignoredLines,
        duplicateResponses: this.responses.duplicateResponses,
      },
    };
  }

  private conversationLine(
    line: JsonLine,
    timestamp: string | null,
    type: Exclude<MessageLineType, 'system'>,
    sink: RecordSink,
  ): void {
    const value = line.value;
    const message = this.values.record(value['message'], 'message') ?? {};
    const content = readContent(message['content'], type === 'user');
    const isCompactSummary = asBoolean(value['isCompactSummary']) === true;
    const row = this.newRow(line, timestamp, type, type, null, content.text);
    row.thinking = content.thinking;
    if (content.textJoints !== undefined) row.textJoints = content.textJoints;
    if (content.thinkingJoints !== undefined) row.thinkingJoints = content.thinkingJoints;
    row.isCompactBoundary = isCompactSummary;
    row.responseId = asText(message['id']);
    row.rawUsage = message['usage'] ?? null;
    if (type === 'assistant') row.model = asText(message['model']);

    if (type === 'user') {
      this.notePrompt(row, asBoolean(value['isMeta']) === true, isCompactSummary);
      this.pairResults(content, row.timestamp, persistedOutputOfLine(value), sink);
    }
    this.addToolCalls(row.ordinal, content, sink);

    if (type === 'assistant') {
      const key = responseDedupKey(row.responseId, row.requestId);
      this.responses.add(row, key, tokensFromUsage(message['usage'], this.values), sink);
    } else {
      sink.message(row);
    }
  }

  private systemLine(line: JsonLine, timestamp: string | null, sink: RecordSink): void {
    const subtype = asText(line.value['subtype']);
    const row = this.newRow(line, timestamp, 'system', 'system', subtype, asText(line.value['content']));
    row.isCompactBoundary = subtype === COMPACT_BOUNDARY;
    sink.message(row);
  }

  private queuedCommand(line: JsonLine, timestamp: string | null, sink: RecordSink): void {
    const attachment = line.value['attachment'];
    const prompt = isRecord(attachment) ? attachment['prompt'] : null;
    const queued = readText(prompt);
    const row = this.newRow(line, timestamp, 'user', 'attachment', QUEUED_COMMAND, queued.text);
    if (queued.joints !== undefined) row.textJoints = queued.joints;
    this.notePrompt(row, false, false);
    sink.message(row);
  }

  private notePrompt(row: MessageRecord, isMeta: boolean, isCompactSummary: boolean): void {
    if (row.text !== null && isRealPrompt({ text: row.text, isMeta, isCompactSummary })) {
      this.summary.observeRealPrompt(row.text, row.isSidechain);
    }
  }

  private pairResults(content: MessageContent, timestamp: string | null, lineSavedTo: string | null, sink: RecordSink): void {
    for (const result of content.toolResults) {
      // The line's own `toolUseResult.persistedOutputPath` names the file when the line holds a single result.
      const savedTo = result.savedTo ?? (content.toolResults.length === 1 ? lineSavedTo : null);
      this.tools.result(result.toolUseId, { text: result.text, joints: result.joints, isError: result.isError, timestamp, savedTo }, sink);
    }
  }

  private addToolCalls(ordinal: number, content: MessageContent, sink: RecordSink): void {
    for (const use of content.toolUses) {
      this.tools.call(
        {
          messageOrdinal: ordinal,
          callIndex: use.callIndex,
          callId: use.callId,
          name: use.name,
          input: use.input,
          inputText: use.inputText,
          resultText: null,
          isError: null,
          resultTimestamp: null,
          resultFile: null,
        },
        sink,
      );
    }
  }

  private newRow(
    line: JsonLine,
    timestamp: string | null,
    role: MessageRole,
    sourceType: string,
    sourceSubtype: string | null,
    text: string | null,
  ): MessageRecord {
    const value = line.value;
    this.summary.observeRow();
    return {
      ordinal: this.nextOrdinal++,
      role,
      sourceType,
      sourceSubtype,
      uuid: asText(value['uuid']),
      parentUuid: asText(value['parentUuid']),
      timestamp,
      model: null,
      text,
      thinking: null,
      isSidechain: asBoolean(value['isSidechain']) === true,
      isCompactBoundary: false,
      responseId: null,
      requestId: asText(value['requestId']),
      tokens: null,
      rawUsage: null,
      lineNumber: line.lineNumber,
      byteOffset: line.byteOffset,
    };
  }
}

function isClaudeState(state: unknown): state is ClaudeParserState {
  if (!isRecord(state)) return false;
  const { summary, tools, responses } = state;
  return (
    typeof state['nextOrdinal'] === 'number' &&
    typeof state['ignoredLines'] === 'number' &&
    Array.isArray(state['unknownTypes']) &&
    isRecord(summary) &&
    isRecord(summary['tokens']) &&
    Array.isArray(summary['modelResponses']) &&
    isRecord(tools) &&
    Array.isArray(tools['waiting']) &&
    isRecord(responses) &&
    Array.isArray(responses['held']) &&
    Array.isArray(responses['seenKeys'])
  );
}

/** `toolUseResult.persistedOutputPath` of a user line (Claude Code 2.x), or null. */
function persistedOutputOfLine(value: Record<string, unknown>): string | null {
  const result = value['toolUseResult'];
  return isRecord(result) ? asText(result['persistedOutputPath']) : null;
}
