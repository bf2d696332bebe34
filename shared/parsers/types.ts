import type { ValueChecks } from './value-checks.js';

/**
 * The contract between the agent parsers and everything that drives them (ingest, CLI, tests, bench).
 *
 * A parser is pure: it receives decoded JSON objects one line at a time and hands finished rows to a
 * sink. It never does I/O and never reads the clock, so the same code runs in Lambda, the CLI and tests.
 */

export const AGENTS = ['claude', 'codex'] as const;
export type Agent = (typeof AGENTS)[number];

/** One JSONL line that decoded to a JSON object. Lines that did not are counted by the driver. */
export interface JsonLine {
  readonly value: Record<string, unknown>;
  /** 1-based line number in the object. */
  readonly lineNumber: number;
  /** Byte offset of the first byte of the line in the object (after any BOM is counted). */
  readonly byteOffset: number;
}

/** Token counts of one billed model response. `null` means the source did not say. */
export interface TokenCounts {
  input: number | null;
  output: number | null;
  cacheCreationInput: number | null;
  cacheReadInput: number | null;
  reasoningOutput: number | null;
  /**
   * The part of cacheCreationInput written to the 1-hour cache (Claude `cache_creation.ephemeral_1h_input_tokens`);
   * the rest is 5-minute writes. Absent when the log gave no split.
   */
  cacheCreation1hInput?: number;
  /**
   * Server-side compaction iterations of the request (Claude `usage.iterations[]` of type `compaction`), which
   * the top-level fields leave out but Anthropic bills. Absent when the request had none.
   */
  compaction?: CompactionTokens;
}

/** Token sums of a request's compaction iterations (README "Compaction iterations"). */
export interface CompactionTokens {
  input: number;
  output: number;
  cacheCreationInput: number;
  cacheCreation1hInput: number;
  cacheReadInput: number;
}

export type MessageRole = 'user' | 'assistant' | 'system' | 'developer' | 'tool';

export interface MessageRecord {
  /** 0-based position in the session, assigned in line order; unique per session. */
  ordinal: number;
  role: MessageRole;
  /** The record's own type and subtype, e.g. `assistant`, `system`/`compact_boundary`, `response_item`/`message`. */
  sourceType: string;
  sourceSubtype: string | null;
  uuid: string | null;
  parentUuid: string | null;
  /** ISO-8601 as written in the log, or null when absent or not a valid date. */
  timestamp: string | null;
  model: string | null;
  text: string | null;
  thinking: string | null;
  isSidechain: boolean;
  isCompactBoundary: boolean;
  /** Claude `message.id`; null elsewhere. */
  responseId: string | null;
  /** Claude top-level `requestId`; Codex turn id. */
  requestId: string | null;
  /**
   * Billed tokens. Set on exactly one row per billed model response, null on every other row, so that
   * `SUM()` over messages never counts one response twice.
   */
  tokens: TokenCounts | null;
  /** The usage object exactly as the log wrote it on this line (kept on every line that had one). */
  rawUsage: unknown;
  lineNumber: number;
  byteOffset: number;
}

export interface ToolCallRecord {
  messageOrdinal: number;
  /** 0-based position of the call among the calls of its message. */
  callIndex: number;
  /** Claude `tool_use.id`, Codex `call_id`; null when the log gave none. */
  callId: string | null;
  name: string;
  /** Parsed input/arguments. */
  input: unknown;
  /** The arguments as written, only when they were text that is not valid JSON. */
  inputText: string | null;
  /** Null while no result was seen (a pending call). */
  resultText: string | null;
  isError: boolean | null;
  resultTimestamp: string | null;
  /**
   * Where the agent saved the full result when it kept only a preview in the log (Claude Code's persisted
   * output, `…/<session>/tool-results/<file>`), as the log wrote the path; the ingest reads it into resultText.
   */
  resultFile: string | null;
}

/**
 * A change to a row emitted before the point a parse resumed from (delta ingest, see resume-state.ts). Only a
 * resumed parser emits revisions, and only for rows an earlier ingest of the same object wrote.
 */
export type RowRevision =
  /** The result of a call that was still pending: the same columns a paired call gets. */
  | {
      kind: 'tool-result';
      messageOrdinal: number;
      callIndex: number;
      resultText: string | null;
      isError: boolean | null;
      resultTimestamp: string | null;
      resultFile: string | null;
    }
  /** A response's billed tokens, set on the row that carries them and null on its other rows. */
  | { kind: 'billed-tokens'; ordinal: number; tokens: TokenCounts | null };

/**
 * Where finished rows go. Rows may arrive in any order; each arrives once. A sink that wraps another (e.g. one
 * that rewrites text) must pass revisions on too: `tool-result` carries result text.
 */
export interface RecordSink {
  message(record: MessageRecord): void;
  toolCall(record: ToolCallRecord): void;
  revise(revision: RowRevision): void;
}

export interface SessionSummary {
  /** The agent's own session id (Claude `sessionId`, Codex `session_meta.id`). */
  sourceSessionId: string | null;
  /** The parent's source session id when the log names one (Codex subagents, forks). */
  parentSourceSessionId: string | null;
  project: string | null;
  cwd: string | null;
  gitBranch: string | null;
  cliVersion: string | null;
  /** Codex originator/source (`cli`, `exec`, `vscode`, `subagent`); Claude `entrypoint`. */
  originator: string | null;
  /** First real user prompt. */
  title: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Main model of the session (the one with the most billed responses). */
  model: string | null;
  messageCount: number;
  userMessageCount: number;
  toolCallCount: number;
  /** Sums over billed responses. */
  tokens: TokenCounts;
}

export interface ParseCounts {
  /** Lines of a type the parser does not know, by type (`<missing>` when the line had none). */
  unknownTypes: Record<string, number>;
  /** Known record types that carry nothing to store (snapshots, progress, …). */
  ignoredLines: number;
  /** Lines that repeated a response already counted (same dedup key). */
  duplicateResponses: number;
}

export interface ParseResult {
  summary: SessionSummary;
  counts: ParseCounts;
}

/** What the S3 key layout tells the parser about the file it is reading. */
export interface ParserContext {
  /** File name without `.jsonl`, e.g. a Claude session uuid or `agent-<id>`. */
  fileStem: string;
  /** Claude's encoded project directory (`-Users-me-code-app`), when the layout has one. */
  projectDir: string | null;
  /** Parent session's source id known from the key layout (Claude subagent files). */
  parentSourceSessionId: string | null;
}

export interface SessionParser {
  /** Consume one decoded line. Finished rows go to `sink` as soon as they are final. */
  line(line: JsonLine, sink: RecordSink): void;
  /** Flush what is still held (pending tool calls, an open response) and summarise the session. */
  finish(sink: RecordSink): ParseResult;
  /**
   * The state to resume from after the lines consumed so far, or null when this point cannot be resumed
   * from. See resume-state.ts for what it holds and why.
   */
  snapshot(): ParserSnapshot | null;
}

export interface ParserSnapshot {
  /** The ordinal the next row gets: rows at or past it are written after the snapshot, and rewritten on resume. */
  nextOrdinal: number;
  /** JSON-serialisable; references to rows, no row content. */
  state: unknown;
}

export interface ParserDefinition {
  agent: Agent;
  /** Stored on the objects row; bump it when parsing changes so stored objects are re-ingested. */
  version: string;
  /** `values` reads and counts stored numbers and dates; the driver passes its own to collect the counts. */
  create(context: ParserContext, values?: ValueChecks): SessionParser;
  /** A parser continuing from `snapshot()`'s state; null when the state is not one this version wrote. */
  resume(context: ParserContext, values: ValueChecks, state: unknown): SessionParser | null;
}
