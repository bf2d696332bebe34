import { toTitle } from '../parsers/claude/prompts.js';
import type { BufferedSink } from '../parsers/parse-session.js';
import type { MessageRecord, RecordSink, RowRevision, SessionSummary, ToolCallRecord } from '../model.js';
import { SecretScanner, type Finding } from './scanner.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../store/sql-values.js';

/**
 * The one place secrets are taken out of a session: between the parser and whatever stores or prints its rows.
 * Every free-text field a row carries (message text and thinking, tool-call input, arguments and result, the full
 * result read from a sidecar, the session title) goes through the scanner; each secret found is reported to
 * `findings` with where it was. Rows without secrets pass through unchanged (the same strings).
 */

export const FINDING_FIELDS = ['text', 'thinking', 'tool_input', 'tool_result', 'sidecar', 'title'] as const;
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

export class RedactingSink implements BufferedSink {
  /** Titles cut from prompts that held secrets, before → after redaction (see redactSummary). */
  private readonly redactedTitles = new Map<string, string>();
  private static readonly MAX_TITLES = 10_000;
  findingsReported = 0;

  constructor(
    private readonly inner: RecordSink,
    private readonly findings: FindingSink,
    private readonly scanner: SecretScanner = DEFAULT_SCANNER,
  ) {}

  message(record: MessageRecord): void {
    const where = { messageOrdinal: record.ordinal, callIndex: null };
    const text = this.scan(record.text, 'text', where);
    const thinking = this.scan(record.thinking, 'thinking', where);
    if (record.text !== null && text !== record.text && record.role === 'user') this.rememberTitle(record.text, text);
    this.inner.message(text === record.text && thinking === record.thinking ? record : { ...record, text, thinking });
  }

  toolCall(record: ToolCallRecord): void {
    const where = { messageOrdinal: record.messageOrdinal, callIndex: record.callIndex };
    // Input nested deeper than the writer stores is stored as NULL (and counted) there; scanning it would only
    // overflow the stack.
    const input = nestsDeeperThan(record.input, MAX_JSON_DEPTH) ? record.input : this.scanJson(record.input, where);
    const inputText = this.scan(record.inputText, 'tool_input', where);
    const resultText = this.scan(record.resultText, 'tool_result', where);
    const unchanged = input === record.input && inputText === record.inputText && resultText === record.resultText;
    this.inner.toolCall(unchanged ? record : { ...record, input, inputText, resultText });
  }

  /** A delta's change to a row an earlier ingest wrote: a result that arrived for a pending call is scanned too. */
  revise(revision: RowRevision): void {
    if (revision.kind !== 'tool-result') {
      this.inner.revise(revision);
      return;
    }
    const resultText = this.scan(revision.resultText, 'tool_result', { messageOrdinal: revision.messageOrdinal, callIndex: revision.callIndex });
    this.inner.revise(resultText === revision.resultText ? revision : { ...revision, resultText });
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

  /** A tool's full output read from its sidecar file, redacted. */
  redactSidecar(text: string, where: { messageOrdinal: number; callIndex: number }): string {
    return this.scan(text, 'sidecar', where);
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
  ): T {
    if (value === null || value === '') return value;
    const redaction = this.scanner.redact(value);
    if (redaction.findings.length === 0) return value;
    for (const finding of redaction.findings) this.report({ ...finding, ...where, field });
    return redaction.text as T;
  }

  /** Every string value in parsed tool input (keys are names, not values). Unchanged input is returned as is. */
  private scanJson(value: unknown, where: { messageOrdinal: number; callIndex: number }): unknown {
    if (typeof value === 'string') return this.scan(value, 'tool_input', where);
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      value.forEach((item, index) => {
        const redacted = this.scanJson(item, where);
        if (redacted !== item) (copy ??= [...value])[index] = redacted;
      });
      return copy ?? value;
    }
    if (value !== null && typeof value === 'object') {
      let copy: Record<string, unknown> | null = null;
      for (const [key, item] of Object.entries(value)) {
        const redacted = this.scanJson(item, where);
        if (redacted !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = redacted;
      }
      return copy ?? value;
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
