/**
 * The model every layer shares: the agents, the rows a parser produces for a session, and what the S3 key layout
 * says about an object. Parsers, the store, the key layout and the agent definitions all build on it; it imports
 * nothing.
 */

export const AGENTS = ['claude', 'codex', 'gemini', 'qwen', 'copilot'] as const;
export type Agent = (typeof AGENTS)[number];

export function isAgent(value: string): value is Agent {
  return (AGENTS as readonly string[]).includes(value);
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
  /**
   * Where `text` / `thinking` were joined from pieces: the index of each separator put between two (see
   * joined-text.ts); absent when written as one piece. Only the redaction reads them.
   */
  textJoints?: readonly number[];
  thinkingJoints?: readonly number[];
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
  /** Where `resultText` was joined from pieces (as MessageRecord.textJoints). */
  resultJoints?: readonly number[];
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
      resultJoints?: readonly number[];
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

/** What the S3 key layout tells the parser about the file it is reading. */
export interface ParserContext {
  /** File name without `.jsonl`, e.g. a Claude session uuid or `agent-<id>`. */
  fileStem: string;
  /** Claude's encoded project directory (`-Users-me-code-app`), when the layout has one. */
  projectDir: string | null;
  /** Parent session's source id known from the key layout (Claude subagent files). */
  parentSourceSessionId: string | null;
}

export const OBJECT_KINDS = ['session', 'subagent', 'sidecar', 'skipped'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export interface SessionLayout {
  kind: 'session' | 'subagent';
  machine: string;
  agent: Agent;
  /** Stable session id: the key without `.jsonl`. */
  sessionId: string;
  /** Session id of the parent session when the layout names it (Claude subagent files). */
  parentSessionId: string | null;
  parserContext: ParserContext;
}

/** A file an agent saves beside a session (Claude Code's tool results): not a session, but read into it. */
export interface SidecarLayout {
  kind: 'sidecar';
  machine: string;
  agent: Agent;
  /** Key of the session object whose tool results it holds. */
  sessionKey: string;
  /** That session's id (its key without the file suffix). */
  sessionId: string;
}

export interface SkippedLayout {
  kind: 'skipped';
  machine: string | null;
  agent: Agent | null;
  reason: string;
}

export type ObjectLayout = SessionLayout | SidecarLayout | SkippedLayout;
