import type { Agent, ParserContext, RecordSink, SessionSummary } from '../model.js';
import type { ValueChecks } from './value-checks.js';

/**
 * The contract between the agent parsers and everything that drives them (ingest, CLI, tests, bench); the rows
 * they produce are in shared/model.ts.
 *
 * A parser is pure: it receives decoded JSON objects one line at a time and hands finished rows to a
 * sink. It never does I/O and never reads the clock, so the same code runs in Lambda, the CLI and tests.
 */

/** One JSONL line that decoded to a JSON object. Lines that did not are counted by the driver. */
export interface JsonLine {
  readonly value: Record<string, unknown>;
  /** 1-based line number in the object. */
  readonly lineNumber: number;
  /** Byte offset of the first byte of the line in the object (after any BOM is counted). */
  readonly byteOffset: number;
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
  /**
   * Whether it also reads an object that is ONE JSON document spread over several lines (a session file an
   * older version of the agent wrote pretty-printed): when no line of the object is a JSON record but the whole
   * object is one JSON object, the driver hands it to the parser as one record (parse-session.ts). Absent: lines only.
   */
  readsDocuments?: boolean;
  /** `values` reads and counts stored numbers and dates; the driver passes its own to collect the counts. */
  create(context: ParserContext, values?: ValueChecks): SessionParser;
  /** A parser continuing from `snapshot()`'s state; null when the state is not one this version wrote. */
  resume(context: ParserContext, values: ValueChecks, state: unknown): SessionParser | null;
}
