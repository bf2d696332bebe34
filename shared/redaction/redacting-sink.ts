import { toTitle } from '../parsers/title.js';
import type { BufferedSink } from '../parsers/parse-session.js';
import type { MessageRecord, RecordSink, RowRevision, SessionSummary, ToolCallRecord } from '../model.js';
import { SecretScanner, type Finding } from './scanner.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../store/sql-values.js';

/**
 * The one place secrets are taken out of a session: between the parser and whatever stores or prints its rows.
 * Every free-text field a row carries (message text and thinking, the usage object as written, tool-call input
 * (keys too), arguments and result, the full result read from a sidecar, the session title) goes through the
 * scanner; each secret found is reported to
 * `findings` with where it was. Rows without secrets pass through unchanged (the same strings).
 */

export const FINDING_FIELDS = ['text', 'thinking', 'tool_input', 'tool_result', 'sidecar', 'title', 'usage'] as const;
export type FindingField = (typeof FINDING_FIELDS)[number];

export interface SecretFinding extends Finding {
  /** The message the secret was in (for tool calls, the message holding the call); null for the title. */
  messageOrdinal: number | null;
  callIndex: number | null;
  field: FindingField;
}

/** Where findings go; a buffered one is flushed together with the rows. */
export interface FindingSink {
  add(finding: SecretFinding): void;
  shouldFlush?(): boolean;
  flush?(): Promise<void>;
}

const DEFAULT_SCANNER = new SecretScanner();

type ToolResultRevision = Extract<RowRevision, { kind: 'tool-result' }>;

export class RedactingSink implements BufferedSink {
  /** Titles cut from prompts that held secrets, before → after redaction (see redactSummary). */
  private readonly redactedTitles = new Map<string, string>();
  private static readonly MAX_TITLES = 10_000;
  /** Records whose result is a sidecar's full text, already redacted by withSidecarResult: not scanned again. */
  private readonly sidecarResults = new WeakSet<object>();
  findingsReported = 0;

  constructor(
    private readonly inner: RecordSink,
    private readonly findings: FindingSink,
    private readonly scanner: SecretScanner = DEFAULT_SCANNER,
  ) {}

  message(record: MessageRecord): void {
    const where = { messageOrdinal: record.ordinal, callIndex: null };
    const text = this.scan(record.text, 'text', where, record.textJoints);
    const thinking = this.scan(record.thinking, 'thinking', where, record.thinkingJoints);
    // The usage object is stored as the log wrote it: any text in it (keys too) is scanned as well.
    const rawUsage = nestsDeeperThan(record.rawUsage, MAX_JSON_DEPTH) ? record.rawUsage : this.scanJson(record.rawUsage, 'usage', where);
    if (record.text !== null && text !== record.text && record.role === 'user') this.rememberTitle(record.text, text);
    const unchanged = text === record.text && thinking === record.thinking && rawUsage === record.rawUsage;
    // The joints locate separators in the text as written; the redacted text has its own, which nothing needs.
    const { textJoints: _text, thinkingJoints: _thinking, ...rest } = record;
    this.inner.message(unchanged ? record : { ...rest, text, thinking, rawUsage });
  }

  toolCall(record: ToolCallRecord): void {
    const where = { messageOrdinal: record.messageOrdinal, callIndex: record.callIndex };
    // Input nested deeper than the writer stores is stored as NULL (and counted) there; scanning it would only
    // overflow the stack.
    const input = nestsDeeperThan(record.input, MAX_JSON_DEPTH) ? record.input : this.scanJson(record.input, 'tool_input', where);
    const inputText = this.scan(record.inputText, 'tool_input', where);
    const resultText = this.sidecarResults.has(record) ? record.resultText : this.scan(record.resultText, 'tool_result', where, record.resultJoints);
    const unchanged = input === record.input && inputText === record.inputText && resultText === record.resultText;
    const { resultJoints: _joints, ...rest } = record;
    this.inner.toolCall(unchanged ? record : { ...rest, input, inputText, resultText });
  }

  /** A delta's change to a row an earlier ingest wrote: a result that arrived for a pending call is scanned too. */
  revise(revision: RowRevision): void {
    if (revision.kind !== 'tool-result') {
      this.inner.revise(revision);
      return;
    }
    const where = { messageOrdinal: revision.messageOrdinal, callIndex: revision.callIndex };
    const resultText = this.sidecarResults.has(revision)
      ? revision.resultText
      : this.scan(revision.resultText, 'tool_result', where, revision.resultJoints);
    const { resultJoints: _joints, ...rest } = revision;
    this.inner.revise(resultText === revision.resultText ? revision : { ...rest, resultText });
  }

  /**
   * A parser's saved state with the string values under `textKeys` (the text it keeps from the log: a title cut
   * from a prompt, its agent definition's `savedStateTextKeys`) redacted as the session's title is, so the state
   * stored for a later delta holds no secret either.
   */
  redactTitles(state: unknown, textKeys: readonly string[]): unknown {
    if (Array.isArray(state)) return state.map((item) => this.redactTitles(item, textKeys));
    if (state === null || typeof state !== 'object') return state;
    return Object.fromEntries(
      Object.entries(state).map(([key, value]) => [
        key,
        textKeys.includes(key) && typeof value === 'string'
          ? (this.redactedTitles.get(value) ?? this.scanner.redact(value).text)
          : this.redactTitles(value, textKeys),
      ]),
    );
  }

  shouldFlush(): boolean {
    return (isBuffered(this.inner) && this.inner.shouldFlush()) || this.findings.shouldFlush?.() === true;
  }

  async flush(): Promise<void> {
    if (isBuffered(this.inner)) await this.inner.flush();
    await this.findings.flush?.();
  }

  /**
   * The row with its result (the log's preview) replaced by the tool's full output read from its sidecar file,
   * redacted (findings under `sidecar`), before the row goes on: toolCall/revise then do not scan it again.
   */
  withSidecarResult<T extends ToolCallRecord | ToolResultRevision>(record: T, text: string): T {
    const where = { messageOrdinal: record.messageOrdinal, callIndex: record.callIndex };
    const { resultJoints: _joints, ...rest } = record;
    const filled = { ...rest, resultText: this.scan(text, 'sidecar', where) } as T;
    this.sidecarResults.add(filled);
    return filled;
  }

  /**
   * The summary with its title redacted. The title is the first prompt cut to 200 characters, so a secret in
   * the prompt may be cut in half there, where no rule would match it: a title cut from a prompt that held a
   * secret is replaced by the title of the redacted prompt (already counted on its message). Any other title is
   * scanned itself.
   */
  redactSummary(summary: SessionSummary): SessionSummary {
    if (summary.title === null) return summary;
    const title = this.redactedTitles.get(summary.title) ?? this.scan(summary.title, 'title', { messageOrdinal: null, callIndex: null });
    return title === summary.title ? summary : { ...summary, title };
  }

  private rememberTitle(original: string, redacted: string | null): void {
    if (redacted === null || this.redactedTitles.size >= RedactingSink.MAX_TITLES) return;
    this.redactedTitles.set(toTitle(original), toTitle(redacted));
  }

  private scan<T extends string | null>(
    value: T,
    field: FindingField,
    where: { messageOrdinal: number | null; callIndex: number | null },
    joints?: readonly number[],
  ): T {
    if (value === null || value === '') return value;
    const redaction = this.scanner.redact(value, joints);
    if (redaction.findings.length === 0) return value;
    for (const finding of redaction.findings) this.report({ ...finding, ...where, field });
    return redaction.text as T;
  }

  /**
   * Every string in parsed JSON (tool input, a usage object): values, and keys too (a map of headers or environment variables keyed by a
   * token is a real shape). Unchanged input is returned as is; a key with a secret is replaced where it stands.
   */
  private scanJson(value: unknown, field: FindingField, where: { messageOrdinal: number; callIndex: number | null }): unknown {
    if (typeof value === 'string') return this.scan(value, field, where);
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      value.forEach((item, index) => {
        const redacted = this.scanJson(item, field, where);
        if (redacted !== item) (copy ??= [...value])[index] = redacted;
      });
      return copy ?? value;
    }
    if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      let copy: [string, unknown][] | null = null;
      keys.forEach((key, index) => {
        const item = object[key];
        const redactedKey = this.scan(key, field, where);
        const redacted = this.scanJson(item, field, where);
        if (copy === null && (redactedKey !== key || redacted !== item)) copy = keys.slice(0, index).map((kept) => [kept, object[kept]]);
        copy?.push([redactedKey, redacted]);
      });
      return copy === null ? value : Object.fromEntries(copy);
    }
    return value;
  }

  private report(finding: SecretFinding): void {
    this.findingsReported += 1;
    this.findings.add(finding);
  }
}

function isBuffered(sink: RecordSink): sink is BufferedSink {
  return typeof (sink as Partial<BufferedSink>).flush === 'function';
}
