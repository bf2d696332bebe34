import { DEFAULT_MAX_LINE_BYTES, readLines, type RawLine, type ReadLinesOptions } from '../lines/line-reader.js';
import { RESUME_FORMAT, type LineStatsState, type ResumePoint } from './resume-state.js';
import { ValueChecks } from './value-checks.js';
import { isRecord } from './values.js';
import type { ParseResult, ParserDefinition, SessionParser } from './types.js';
import type { MessageRecord, ParserContext, RecordSink, RowRevision, ToolCallRecord } from '../model.js';

/**
 * Drives one parser over the bytes of one object: line reader → JSON decode → parser → sink.
 * Pure apart from consuming the byte stream it is given.
 */

export const MALFORMED_REASONS = ['invalid-json', 'not-an-object', 'too-long'] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export interface MalformedLine {
  lineNumber: number;
  byteOffset: number;
  reason: MalformedReason;
}

export interface LineStats {
  /** Every line, blank ones included. */
  total: number;
  blank: number;
  malformed: number;
  malformedByReason: Record<MalformedReason, number>;
  /** The first few malformed lines, for the error column and logs. */
  malformedSamples: MalformedLine[];
  /** Lines that decoded to a JSON object (handed to a parser, or used to choose one). */
  records: number;
  /** Lines that held raw control characters (NUL and other C0) outside JSON escapes; kept with them removed or escaped. */
  controlCharacters: number;
  /** Lines that were not valid UTF-8; kept with the bad bytes as U+FFFD. */
  invalidUtf8: number;
}

export interface SessionParseOutcome {
  /** Null when the content matched no parser (see `unroutable`). */
  parser: ParserDefinition | null;
  result: ParseResult | null;
  lines: LineStats;
  /**
   * The final line had no newline and was not valid JSON: a write caught mid-line. It is not counted as
   * malformed; the next upload of the object brings it whole.
   */
  truncated: boolean;
  /** Bytes read from the object. */
  bytesRead: number;
  /** Bytes up to the end of the last complete line: where a later delta read must resume. */
  bytesComplete: number;
  /** Numbers and dates present in the log that cannot be stored: set to NULL, counted here. */
  rejectedValues: ValueChecks;
  /** Where a later delta can continue from (see resume-state.ts); null when no parser read the object. */
  resumePoint: ResumePoint | null;
}

/** A parse continuing from a saved point: the source then holds the object's bytes from `point.byteOffset`. */
export interface ResumedParse {
  definition: ParserDefinition;
  parser: SessionParser;
  values: ValueChecks;
  point: ResumePoint;
}

/** The parser and counters restored from `point`, or null when the point cannot be resumed by `definition`. */
export function resumeParse(definition: ParserDefinition, context: ParserContext, point: ResumePoint): ResumedParse | null {
  const values = new ValueChecks(point.values);
  const parser = definition.resume(context, values, point.parser);
  return parser === null ? null : { definition, parser, values, point };
}

export interface ParseSessionOptions extends Omit<ReadLinesOptions, 'start'> {
  resume?: ResumedParse;
}

/** A sink that holds rows and writes them in batches; the driver gives it a chance to flush after each line. */
export interface BufferedSink extends RecordSink {
  shouldFlush(): boolean;
  flush(): Promise<void>;
}

function isBufferedSink(sink: RecordSink): sink is BufferedSink {
  return typeof (sink as Partial<BufferedSink>).flush === 'function';
}

/** A fixed parser, or one chosen from the object's first JSON record (null: not a session we know). */
export type ParserSelector = ParserDefinition | ((firstRecord: Record<string, unknown>) => ParserDefinition | null);

/**
 * Where rows go: a sink, or a function that opens one once the parser is chosen, so that nothing (deleting the
 * rows of an earlier version, say) happens before the content is known to be a session of a known agent.
 */
export type SinkSource = RecordSink | ((parser: ParserDefinition) => Promise<RecordSink>);

const MAX_MALFORMED_SAMPLES = 5;

export async function parseSession(
  source: AsyncIterable<Uint8Array>,
  selector: ParserSelector,
  context: ParserContext,
  sinkSource: SinkSource,
  options: ParseSessionOptions = {},
): Promise<SessionParseOutcome> {
  const { resume } = options;
  const read = new SessionRead(selector, context, sinkSource, resume);
  if (read.definition !== null) read.sink = await read.openSink(read.definition);
  // Until a line decodes to a record, the bytes are kept (up to the line cap): an object that turns out to be one
  // pretty-printed JSON document is then read as that one record, by a parser that reads documents.
  const document = resume === undefined ? new DocumentBuffer(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES) : null;
  read.document = document;
  const readOptions: ReadLinesOptions = {
    ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    ...(resume === undefined ? {} : { start: { byteOffset: read.bytesRead, linesBefore: resume.point.linesBefore } }),
  };
  await readAll(readLines(document === null ? source : document.keep(source), readOptions), read);

  const { lines, values } = read;
  const whole = lines.records === 0 ? document?.record() ?? null : null;
  if (whole !== null) {
    const chosen = read.definition ?? (typeof selector === 'function' ? selector(whole) : selector);
    if (chosen?.readsDocuments === true) {
      // One document: its lines were not malformed, they were pieces of it.
      if (read.definition === null) {
        read.definition = chosen;
        read.parser = chosen.create(context, values);
        read.sink = await read.openSink(chosen);
      }
      if (read.parser === null || read.sink === null) throw new Error('a parser without a sink');
      Object.assign(lines, { malformed: 0, malformedSamples: [], records: 1 });
      lines.malformedByReason = { 'invalid-json': 0, 'not-an-object': 0, 'too-long': 0 };
      read.truncated = false;
      read.bytesComplete = read.bytesRead;
      values.lineNumber = 1;
      read.parser.line({ value: whole, lineNumber: 1, byteOffset: 0 }, read.sink);
    }
  }

  if (!read.pointTaken) read.resumePoint = read.takeResumePoint(read.bytesRead);
  const { parser, sink } = read;
  return {
    parser: read.definition,
    result: parser === null || sink === null ? null : parser.finish(sink),
    lines,
    truncated: read.truncated,
    bytesRead: read.bytesRead,
    bytesComplete: read.bytesComplete,
    rejectedValues: values,
    resumePoint: read.resumePoint,
  };
}

/**
 * The line loop, apart from the rest of the parse: an async function keeps its live locals in a frame saved and
 * restored at every await, once per line here, so the fewer it has the cheaper a line (parseSession's many locals
 * cost a fifth of the JSON parse). The work per line is synchronous, in `SessionRead.line`.
 */
async function readAll(lines: AsyncIterable<RawLine>, read: SessionRead): Promise<void> {
  for await (const raw of lines) {
    const wait = read.line(raw);
    if (wait !== undefined) await wait;
  }
}

/** One parse's state: the line counts, the parser chosen and its sink, and how far the bytes were read. */
class SessionRead {
  readonly lines: LineStats;
  readonly values: ValueChecks;
  definition: ParserDefinition | null;
  parser: SessionParser | null;
  /** Open while a parser is known; null until one is (its rows have nowhere to go before). */
  sink: RecordSink | null = null;
  document: DocumentBuffer | null = null;
  unroutable = false;
  truncated = false;
  bytesRead: number;
  bytesComplete: number;
  resumePoint: ResumePoint | null = null;
  pointTaken = false;

  constructor(
    private readonly selector: ParserSelector,
    private readonly context: ParserContext,
    private readonly sinkSource: SinkSource,
    resume: ResumedParse | undefined,
  ) {
    this.lines = resume === undefined ? emptyLineStats() : cloneLineStats(resume.point.lines);
    this.values = resume?.values ?? new ValueChecks();
    this.definition = resume?.definition ?? (typeof selector === 'function' ? null : selector);
    this.parser = resume?.parser ?? this.definition?.create(context, this.values) ?? null;
    const start = resume === undefined ? 0 : resume.point.byteOffset;
    this.bytesRead = start;
    this.bytesComplete = start;
  }

  async openSink(chosen: ParserDefinition): Promise<RecordSink> {
    return typeof this.sinkSource === 'function' ? this.sinkSource(chosen) : this.sinkSource;
  }

  takeResumePoint(byteOffset: number): ResumePoint | null {
    const snapshot = this.parser?.snapshot() ?? null;
    if (snapshot === null) return null;
    return {
      format: RESUME_FORMAT,
      byteOffset,
      linesBefore: this.lines.total,
      nextOrdinal: snapshot.nextOrdinal,
      lines: cloneLineStats(this.lines),
      values: this.values.snapshot(),
      parser: snapshot.state,
    };
  }

  /** Reads one line; a promise when the parse must wait before the next (a sink to open, rows to flush). */
  line(raw: RawLine): Promise<void> | undefined {
    const lines = this.lines;
    // A final line without newline is read again, whole, by the next delta: the resume point goes before it.
    if (!raw.terminated) {
      this.resumePoint = this.takeResumePoint(raw.byteOffset);
      this.pointTaken = true;
    }
    lines.total += 1;
    this.bytesRead = raw.byteOffset + raw.byteLength;
    if (raw.terminated) this.bytesComplete = this.bytesRead;
    if (raw.tooLong) {
      this.countMalformed(raw.lineNumber, raw.byteOffset, 'too-long');
      return undefined;
    }
    if (raw.invalidUtf8) lines.invalidUtf8 += 1;
    if (raw.text.trim() === '') {
      lines.blank += 1;
      return undefined;
    }
    let value: unknown;
    try {
      value = decodeJson(raw.text);
    } catch {
      if (!raw.terminated) {
        this.truncated = true;
      } else {
        this.countMalformed(raw.lineNumber, raw.byteOffset, 'invalid-json');
      }
      return undefined;
    }
    // A final line without newline that parses is complete: several real logs end that way.
    if (!raw.terminated) this.bytesComplete = this.bytesRead;
    if (value instanceof CleanedJson) {
      lines.controlCharacters += 1;
      value = value.value;
    }
    if (!isRecord(value)) {
      this.countMalformed(raw.lineNumber, raw.byteOffset, 'not-an-object');
      return undefined;
    }
    lines.records += 1;
    this.document?.release();
    if (this.parser === null) {
      const selector = this.selector;
      if (this.unroutable || typeof selector !== 'function') return undefined;
      const definition = selector(value);
      this.definition = definition;
      if (definition === null) {
        this.unroutable = true;
        return undefined;
      }
      this.parser = definition.create(this.context, this.values);
      return this.openAndDeliver(definition, value, raw);
    }
    return this.deliver(value, raw);
  }

  private async openAndDeliver(definition: ParserDefinition, value: Record<string, unknown>, raw: RawLine): Promise<void> {
    this.sink = await this.openSink(definition);
    await this.deliver(value, raw);
  }

  private deliver(value: Record<string, unknown>, raw: RawLine): Promise<void> | undefined {
    const { parser, sink } = this;
    if (parser === null || sink === null) throw new Error('a parser without a sink');
    this.values.lineNumber = raw.lineNumber;
    parser.line({ value, lineNumber: raw.lineNumber, byteOffset: raw.byteOffset }, sink);
    return isBufferedSink(sink) && sink.shouldFlush() ? sink.flush() : undefined;
  }

  private countMalformed(lineNumber: number, byteOffset: number, reason: MalformedReason): void {
    const lines = this.lines;
    lines.malformed += 1;
    lines.malformedByReason[reason] += 1;
    if (lines.malformedSamples.length < MAX_MALFORMED_SAMPLES) {
      lines.malformedSamples.push({ lineNumber, byteOffset, reason });
    }
  }
}

function emptyLineStats(): LineStats {
  return {
    total: 0,
    blank: 0,
    malformed: 0,
    malformedByReason: { 'invalid-json': 0, 'not-an-object': 0, 'too-long': 0 },
    malformedSamples: [],
    records: 0,
    controlCharacters: 0,
    invalidUtf8: 0,
  };
}

function cloneLineStats(stats: LineStatsState): LineStats {
  return {
    ...stats,
    malformedByReason: { ...stats.malformedByReason },
    malformedSamples: stats.malformedSamples.map((sample) => ({ ...sample })),
  };
}

/**
 * The object's bytes while none of its lines has been a record, up to `limit` bytes; dropped (and no longer
 * collected) at the first record or past the limit. `record()` is the whole object as one JSON object, if it is one.
 */
class DocumentBuffer {
  private chunks: Uint8Array[] | null = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  async *keep(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      if (this.chunks !== null) {
        this.size += chunk.length;
        if (this.size > this.limit) this.release();
        else this.chunks.push(chunk.slice());
      }
      yield chunk;
    }
  }

  release(): void {
    this.chunks = null;
  }

  record(): Record<string, unknown> | null {
    if (this.chunks === null || this.size === 0) return null;
    const bytes = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.release();
    try {
      const value: unknown = decodeJson(new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/u, ''));
      const record = value instanceof CleanedJson ? value.value : value;
      return isRecord(record) ? record : null;
    } catch {
      return null;
    }
  }
}

/** A line that parsed only once raw control characters were taken out of it. */
class CleanedJson {
  constructor(readonly value: unknown) {}
}

// C0 control characters other than tab, LF and CR (which JSON allows as whitespace between tokens).
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/u;
const RAW_CONTROL_GLOBAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/gu;

/**
 * JSON.parse, and when that fails on a line holding raw control characters (JSON allows them only escaped),
 * a second try with raw NULs removed (Postgres cannot store them) and the other controls escaped, so the line
 * is kept rather than lost. Only the failure path pays for the retry.
 */
function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!RAW_CONTROL.test(text)) throw error;
    const cleaned = text.replace(RAW_CONTROL_GLOBAL, (char) =>
      char === '\u0000' ? '' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    return new CleanedJson(JSON.parse(cleaned));
  }
}

export interface CollectedSession {
  messages: MessageRecord[];
  toolCalls: ToolCallRecord[];
  /** Changes to rows of an earlier part (only when resumed). */
  revisions: RowRevision[];
  outcome: SessionParseOutcome;
}

/**
 * Parses a whole in-memory object (or, with `resume`, the bytes after the resume point) and collects every
 * row: for tests, the CLI and benchmarks.
 */
export async function parseSessionBytes(
  bytes: Uint8Array | string,
  selector: ParserSelector,
  context: ParserContext,
  options: ParseSessionOptions & { chunkSize?: number } = {},
): Promise<CollectedSession> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const { chunkSize = 64 * 1024, ...parseOptions } = options;
  const messages: MessageRecord[] = [];
  const toolCalls: ToolCallRecord[] = [];
  const revisions: RowRevision[] = [];
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let offset = 0; offset < data.length; offset += chunkSize) yield data.subarray(offset, offset + chunkSize);
  }
  const outcome = await parseSession(
    chunks(),
    selector,
    context,
    { message: (m) => messages.push(m), toolCall: (t) => toolCalls.push(t), revise: (r) => revisions.push(r) },
    parseOptions,
  );
  messages.sort((a, b) => a.ordinal - b.ordinal);
  toolCalls.sort((a, b) => a.messageOrdinal - b.messageOrdinal || a.callIndex - b.callIndex);
  return { messages, toolCalls, revisions, outcome };
}
