import type { MessageRecord, RowRevision, ToolCallRecord } from '../model.js';
import type { BufferedSink } from '../parsers/parse-session.js';
import type { RedactingSink } from '../redaction/redacting-sink.js';

/**
 * Between the parser and the rows' way to Postgres (redaction, then the session writer), for two things the rows
 * need before anything is written:
 * - the way out is opened (which deletes the rows of the earlier version) only by the first row the parser gives:
 *   content whose records are all of unknown types gives none, so nothing is opened and nothing undone;
 * - a tool call (or a delta's revision of one) whose full output the agent saved to a sidecar file gets that
 *   output as its result before it goes on, so its row is written once, whole (no update afterwards).
 * Rows wait here only while the way out is not open or a sidecar is being read, at most one line's rows: the
 * parse driver flushes after every line for which shouldFlush says so.
 */

/** The full text of the sidecar a log recorded at `recordedPath`, or null to keep the preview (missing, too large, not the session's). */
export type SidecarText = (recordedPath: string) => Promise<string | null>;

type ToolResultRevision = Extract<RowRevision, { kind: 'tool-result' }>;

type Held =
  | { kind: 'message'; record: MessageRecord }
  | { kind: 'tool-call'; record: ToolCallRecord; sidecar: Promise<string | null> | null }
  | { kind: 'revision'; revision: RowRevision; sidecar: Promise<string | null> | null };

export class StagedSink implements BufferedSink {
  private out: RedactingSink | null = null;
  private readonly held: Held[] = [];
  /** Results taken from sidecar files. */
  sidecarsRead = 0;

  constructor(
    private readonly open: () => Promise<RedactingSink>,
    private readonly sidecarText: SidecarText,
  ) {}

  /** Whether the way out was opened (the earlier version's rows are gone from this transaction). */
  get opened(): boolean {
    return this.out !== null;
  }

  message(record: MessageRecord): void {
    if (this.out !== null && this.held.length === 0) this.out.message(record);
    else this.held.push({ kind: 'message', record });
  }

  toolCall(record: ToolCallRecord): void {
    const sidecar = this.read(record.resultFile);
    if (this.out !== null && this.held.length === 0 && sidecar === null) this.out.toolCall(record);
    else this.held.push({ kind: 'tool-call', record, sidecar });
  }

  revise(revision: RowRevision): void {
    const sidecar = revision.kind === 'tool-result' ? this.read(revision.resultFile) : null;
    if (this.out !== null && this.held.length === 0 && sidecar === null) this.out.revise(revision);
    else this.held.push({ kind: 'revision', revision, sidecar });
  }

  shouldFlush(): boolean {
    return this.held.length > 0 || (this.out?.shouldFlush() ?? false);
  }

  async flush(): Promise<void> {
    const out = await this.drain();
    if (out.shouldFlush()) await out.flush();
  }

  /** Opens the way out (once) and hands it every row held, in order, with their sidecars read in. */
  async drain(): Promise<RedactingSink> {
    this.out ??= await this.open();
    const out = this.out;
    for (const item of this.held.splice(0)) {
      const text = item.kind === 'message' ? null : await item.sidecar;
      if (text !== null) this.sidecarsRead += 1;
      if (item.kind === 'message') out.message(item.record);
      else if (item.kind === 'tool-call') out.toolCall(text === null ? item.record : out.withSidecarResult(item.record, text));
      else out.revise(text === null ? item.revision : out.withSidecarResult(item.revision as ToolResultRevision, text));
    }
    return out;
  }

  /** Starts reading a sidecar at once, so that the reads of one line overlap (awaited in order by drain). */
  private read(recordedPath: string | null): Promise<string | null> | null {
    if (recordedPath === null) return null;
    const reading = this.sidecarText(recordedPath);
    // Awaited by drain; until then a failure must not count as unhandled.
    reading.catch(() => undefined);
    return reading;
  }
}
