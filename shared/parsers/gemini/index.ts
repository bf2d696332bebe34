import type { ParserContext, RecordSink, SessionSummary } from '../../model.js';
import { toTitle } from '../title.js';
import { addTokenCounts, emptyTokenCounts } from '../token-counts.js';
import type { JsonLine, ParseCounts, ParseResult, ParserDefinition, ParserSnapshot, SessionParser } from '../types.js';
import { ValueChecks } from '../value-checks.js';
import { maxTimestamp, minTimestamp, mostFrequent } from '../values.js';
import { Conversation } from './conversation.js';
import { draftMessage, isKnownMessageType, messageRows } from './rows.js';

/**
 * Gemini CLI session parser (`~/.gemini/tmp/<project id>/chats/session-<time>-<id8>.jsonl`, older
 * `session-*.json`, subagents `chats/<parent session id>/<session id>.jsonl`). Read from the writer and reader
 * of @google/gemini-cli 0.61.0 (ChatRecordingService, `loadConversationRecord`); docs/agents/gemini.md has the
 * format and the decisions below with their reasons.
 *
 * Replay: the file is replayed the way the CLI reads it (conversation.ts: the last copy of a message id wins, at
 * the position of its first copy); rows are made at finish(), one per message id ever written. A message the CLI
 * no longer loads — dropped by `$rewindTo`, or left out when `$set.messages` replaced the history — keeps its row
 * with sourceSubtype `rewound` / `replaced`: its response was generated and billed all the same. Nothing is final
 * before the end of the file (a later copy can change any message), so the parser cannot be resumed:
 * `snapshot()` is null, every version is read whole (docs/agents/gemini.md says why that beats a delta here).
 * A legacy pretty-printed `.json` reaches the parser as ONE record (the driver's document fallback); its
 * `messages` array is read like the messages of a JSONL file.
 *
 * Messages (ordinals from 0 in first-written order; uuid = the message id)
 * - `user`: role `user`, text = its content's text parts; a real prompt (the CLI's own rule: not empty, not a
 *   `/` or `?` command, not `<session_context>`/`<hook_context>`) counts in userMessageCount, the first one
 *   (its `displayContent` when given: what the user typed) is the title. A user message of functionResponse
 *   parts only (the tool results the CLI sends back) is role `tool`, subtype `function_response`, text null:
 *   the results are on the tool calls.
 * - `gemini`: role `assistant`, text = content text, thinking = `thoughts[]` ("subject: description") and any
 *   `thought: true` parts, model = its `model` (per message: a session can mix models).
 * - `info`, `error`, `warning`: role `system`. Other types are counted in unknownTypes and not stored.
 *
 * Tool calls: `toolCalls[]` of a gemini message, one row each: callId `id`, input `args`, resultText = the text of
 * its `result` (functionResponse `output`, else `error`, else the response as JSON; plus text parts), isError =
 * status `error`/`cancelled` or a response with `error`; a call still validating/scheduled/awaiting approval/
 * executing with no result is pending (null).
 *
 * Tokens: `tokens` of a gemini message (its last copy: tokens arrive in a later copy) is that response's usage,
 * one billed row per message id. `tokens.input` is the whole prompt, cached part included: sessionlake's input
 * is input − cached (+ `tool`, the tool-use prompt Google bills as input), cacheReadInput = cached, output =
 * output + thoughts (reasoning inside output, as for Claude and Codex), reasoningOutput = thoughts
 * (shared/parsers/genai/usage.ts). All-zero tokens bill nothing. A billed row carries responseId = message id
 * and requestId = the session id, so copies of one response in two files are billed once.
 *
 * Session: sourceSessionId = `sessionId`; parent = the folder a subagent file sits in (from the key); project =
 * the key's project id folder; cwd = the first of `directories` (only subagents and `$set` write them);
 * originator = `kind` (`main`, `subagent`); startedAt/endedAt = `startTime`/`lastUpdated`, else the earliest/
 * latest message time; model = the model of the most billed responses.
 */

export const GEMINI_PARSER_VERSION = 'gemini/1';

export const geminiParser: ParserDefinition = {
  agent: 'gemini',
  version: GEMINI_PARSER_VERSION,
  readsDocuments: true,
  create: (context, values) => new GeminiSessionParser(context, values ?? new ValueChecks()),
  // Never snapshotted, so there is nothing to resume from.
  resume: () => null,
};

/** A first record that is Gemini CLI's: the metadata line of a JSONL file, or a legacy whole-session document. */
export function looksLikeGemini(record: Record<string, unknown>): boolean {
  return typeof record['sessionId'] === 'string' && typeof record['projectHash'] === 'string';
}

class GeminiSessionParser implements SessionParser {
  private readonly conversation = new Conversation(draftMessage);
  private readonly counts: ParseCounts = { unknownTypes: {}, ignoredLines: 0, duplicateResponses: 0 };

  constructor(
    private readonly context: ParserContext,
    private readonly values: ValueChecks,
  ) {}

  line(line: JsonLine, _sink: RecordSink): void {
    const kind = this.conversation.apply(line.value, line.lineNumber, line.byteOffset);
    if (kind === 'unknown') this.countUnknown(line.value['type']);
    // `$set` and `$rewindTo` records carry no row of their own.
    else if (kind === 'set' || kind === 'rewind') this.counts.ignoredLines += 1;
  }

  finish(sink: RecordSink): ParseResult {
    const { metadata, messages } = this.conversation;
    // Earlier copies of a message (replaced by a later one) are what a re-appended message leaves behind.
    this.counts.ignoredLines += this.conversation.replacedCopies;
    const summary: SessionSummary = {
      sourceSessionId: metadata.sessionId,
      parentSourceSessionId: this.context.parentSourceSessionId,
      project: this.context.projectDir,
      cwd: metadata.directories[0] ?? null,
      gitBranch: null,
      cliVersion: null,
      originator: metadata.kind,
      title: null,
      startedAt: null,
      endedAt: null,
      model: null,
      messageCount: 0,
      userMessageCount: 0,
      toolCallCount: 0,
      tokens: emptyTokenCounts(),
    };
    const billedByModel = new Map<string, number>();
    let earliest: string | null = null;
    let latest: string | null = null;
    for (const stored of messages.values()) {
      const type = stored.message.type;
      if (!isKnownMessageType(type)) {
        this.countUnknown(type);
        continue;
      }
      const rows = messageRows(stored, summary.messageCount, metadata.sessionId, this.values);
      sink.message(rows.message);
      for (const call of rows.toolCalls) sink.toolCall(call);
      summary.messageCount += 1;
      summary.toolCallCount += rows.toolCalls.length;
      if (rows.prompt !== null) {
        summary.userMessageCount += 1;
        summary.title ??= toTitle(rows.prompt);
      }
      if (rows.message.tokens !== null) {
        addTokenCounts(summary.tokens, rows.message.tokens);
        const model = rows.message.model;
        if (model !== null) billedByModel.set(model, (billedByModel.get(model) ?? 0) + 1);
      }
      earliest = minTimestamp(earliest, rows.message.timestamp);
      latest = maxTimestamp(latest, rows.message.timestamp);
    }
    this.values.lineNumber = 1;
    summary.startedAt = this.values.timestamp(metadata.startTime, 'startTime') ?? earliest;
    summary.endedAt = maxTimestamp(this.values.timestamp(metadata.lastUpdated, 'lastUpdated'), latest);
    summary.model = mostFrequent(billedByModel);
    return { summary, counts: this.counts };
  }

  snapshot(): ParserSnapshot | null {
    return null;
  }

  private countUnknown(type: unknown): void {
    const name = typeof type === 'string' ? type : '<missing>';
    this.counts.unknownTypes[name] = (this.counts.unknownTypes[name] ?? 0) + 1;
  }
}
