import { agentDefinition } from '../agents/registry.js';
import { sidecarKey } from '../layout/s3-key.js';
import type { SessionLayout } from '../model.js';
import type { Logger } from '../log.js';
import { parseSession, type ResumedParse, type SessionParseOutcome } from '../parsers/parse-session.js';
import { selectParser, storedParserVersion } from '../parsers/registry.js';
import { RESUME_FORMAT } from '../parsers/resume-state.js';
import type { ParserDefinition, ParseResult } from '../parsers/types.js';
import { RedactingSink } from '../redaction/redacting-sink.js';
import { ObjectMissingError } from '../s3/errors.js';
import type { ObjectReader } from '../s3/object-reader.js';
import type { IngestedRange, ObjectCheckpoint, ObjectTransaction, ObjectVersion } from '../store/object-store.js';
import type { SecretFindingWriter } from '../store/secret-findings.js';
import type { SessionIdentity, SessionWriter } from '../store/session-writer.js';
import { LineTail, sha256, splitHead } from './line-tail.js';
import { StagedSink, type SidecarText } from './staged-sink.js';

/**
 * Streams one session object into its rows, inside the object's locked transaction, in one of two ways:
 * - full: the first record chooses the parser; once it gives its first row, the old rows go, the new ones are
 *   written in batches while the body streams, and the objects row records what was read. Content no parser
 *   takes (empty, whitespace, random bytes, the other agent's format), or whose records are all of unknown types,
 *   gives no row: nothing is deleted or written, it is recorded as skipped (never a session with no messages);
 * - delta: the body is the object from a little before the end of what was ingested; once those bytes are
 *   checked against the hash stored with the resume state, the parser continues from that state and the new
 *   rows are added (see shared/parsers/resume-state.ts). Bytes that do not match leave everything untouched
 *   and say so: the caller reads the object in full.
 * Either way the state to resume from next time is stored with the objects row. A tool call whose full output
 * sits in a sidecar file gets it before its row is written (staged-sink.ts). Secrets are redacted from every row
 * (and the sidecars read into them) before anything is written: see shared/redaction/.
 */

export interface WrittenSession {
  sessionId: string;
  /** How the object was read: whole, or only the bytes after what was already ingested. */
  read: 'full' | 'delta';
  /** Bytes fetched from S3 for this ingest (a delta's includes the re-read tail it checks). */
  bytesFetched: number;
  messages: number;
  toolCalls: number;
  /** Rows of an earlier ingest that a delta changed (results of pending calls, a response's tokens). */
  rowsRevised: number;
  malformedLines: number;
  valuesRejected: number;
  truncated: boolean;
  /** Tool results read in full from their sidecar files. */
  sidecarsRead: number;
  /** Secrets found and redacted (rows of secret_findings). */
  secretsFound: number;
}

export type WriteResult = { status: 'written'; session: WrittenSession } | { status: 'skipped'; reason: string };

export interface SessionInput {
  version: ObjectVersion;
  maxLineBytes: number;
  log: Logger;
  /** Where the session's sidecars are read from (its own bucket). */
  sidecars: { reader: ObjectReader; bucket: string };
}

/** What a delta continues from: the stored checkpoint and the parser restored from it. */
export interface DeltaPlan {
  checkpoint: ObjectCheckpoint;
  resume: ResumedParse;
  /** The offset the body starts at: the checked tail, then the new bytes. */
  readFrom: number;
}

export async function writeSession(
  tx: ObjectTransaction,
  layout: SessionLayout,
  input: SessionInput & { body: AsyncIterable<Uint8Array> },
): Promise<WriteResult> {
  // The old rows go only when the parser gives its first row (see staged-sink.ts): content no parser takes, or
  // whose records are all of unknown types, writes nothing but the skip.
  const opened: { sinks: SessionSinks | null } = { sinks: null };
  const openRows = async (): Promise<RedactingSink> => {
    const writer = await tx.beginSession(sessionIdentity(layout));
    const findings = await tx.beginSecretFindings(layout.sessionId);
    opened.sinks = { writer, findings, sink: new RedactingSink(writer, findings) };
    return opened.sinks.sink;
  };
  let staged: StagedSink | null = null;
  const tail = new LineTail();
  const fetched = new ByteCounter();
  const outcome = await parseSession(
    tail.watch(fetched.count(input.body)),
    selectParser(layout.agent),
    layout.parserContext,
    async () => (staged = new StagedSink(openRows, sidecarReader(layout, input))),
    { maxLineBytes: input.maxLineBytes },
  );
  const stage = staged as StagedSink | null;
  // Content that gave rows is a session whatever else it held; otherwise it must have a record the parser knows.
  const notSession = stage?.opened === true ? null : whyNotASession(outcome, layout);
  if (notSession !== null || stage === null || outcome.parser === null || outcome.result === null) {
    const reason = notSession ?? 'no session record';
    await tx.markSkipped(input.version, reason, outcome.parser === null ? null : storedParserVersion(outcome.parser));
    await tx.saveCheckpoint(null);
    return { status: 'skipped', reason };
  }
  // A session whose known records gave no rows (only metadata, say) opens its rows here.
  await stage.drain();
  if (opened.sinks === null) throw new Error('the session rows were not opened');
  const parsed = { outcome, parser: outcome.parser, result: outcome.result };
  const session = await finishSession(tx, layout, opened.sinks, stage, parsed, tail, input, { read: 'full', bytesFetched: fetched.bytes });
  await recordRanges(tx, tail, input.version, null);
  return { status: 'written', session };
}

/**
 * Adds what a new version of the object appended. Returns 'prefix-changed' (nothing written) when the bytes
 * before the resume point are not the ones ingested.
 */
export async function writeSessionDelta(
  tx: ObjectTransaction,
  layout: SessionLayout,
  input: SessionInput & { body: AsyncIterable<Uint8Array>; plan: DeltaPlan },
): Promise<WriteResult | { status: 'prefix-changed' }> {
  const { checkpoint, resume } = input.plan;
  const fetched = new ByteCounter();
  const { head, rest, cancel } = await splitHead(fetched.count(input.body), checkpoint.tailBytes);
  if (head.length !== checkpoint.tailBytes || !sha256(head).equals(checkpoint.tailSha256)) {
    await cancel();
    return { status: 'prefix-changed' };
  }
  const fromOrdinal = resume.point.nextOrdinal;
  const writer = await tx.resumeSession(sessionIdentity(layout), fromOrdinal);
  // The findings of rows written again (from the resume point on) go with them; the others stay.
  const findings = await tx.resumeSecretFindings(layout.sessionId, fromOrdinal);
  const sink = new RedactingSink(writer, findings);
  const stage = new StagedSink(async () => sink, sidecarReader(layout, input));
  const tail = new LineTail({ bytes: head, end: checkpoint.byteOffset });
  const outcome = await parseSession(tail.watch(rest), resume.definition, layout.parserContext, stage, {
    maxLineBytes: input.maxLineBytes,
    resume,
  });
  if (outcome.result === null) throw new Error('a resumed parse ended without a result');
  await stage.drain();
  const parsed = { outcome, parser: resume.definition, result: outcome.result };
  const session = await finishSession(tx, layout, { writer, sink, findings }, stage, parsed, tail, input, { read: 'delta', bytesFetched: fetched.bytes });
  await recordRanges(tx, tail, input.version, checkpoint.etag);
  return { status: 'written', session };
}

/**
 * Records which bytes the stored rows were read from (migration 010). A full read covers one range, read from
 * this version. A delta adds the range it read to those of the version it continued (`continued`): those were
 * read from earlier versions and only their last 256 bytes were checked, so the set is unverified until the
 * backfill reads them again (shared/ingest/verify-ranges.ts). Ranges not known stay not known (no row: the
 * backfill then reads the object in full).
 */
async function recordRanges(tx: ObjectTransaction, tail: LineTail, version: ObjectVersion, continued: string | null): Promise<void> {
  if (version.etag === null) return;
  const { start, end, sha256: digest } = tail.range;
  const read: IngestedRange[] = end > start ? [{ end, sha256: digest }] : [];
  if (continued === null) {
    await tx.saveRanges({ etag: version.etag, ranges: read, verified: true });
    return;
  }
  const before = await tx.loadRanges();
  const known = before !== null && before.etag === continued && (before.ranges.at(-1)?.end ?? 0) === start;
  await tx.saveRanges(known ? { etag: version.etag, ranges: [...before.ranges, ...read], verified: false } : null);
}

function sessionIdentity(layout: SessionLayout): SessionIdentity {
  return {
    id: layout.sessionId,
    machine: layout.machine,
    agent: layout.agent,
    kind: layout.kind,
    parentSessionId: layout.parentSessionId,
  };
}

interface SessionSinks {
  writer: SessionWriter;
  /** Between the parser and the writer: every row's text goes through it (shared/redaction/). */
  sink: RedactingSink;
  findings: SecretFindingWriter;
}

/** The session's summary, its sidecars, the objects row and the next resume point: the same after either read. */
async function finishSession(
  tx: ObjectTransaction,
  layout: SessionLayout,
  { writer, sink, findings }: SessionSinks,
  stage: StagedSink,
  { outcome, parser, result }: { outcome: SessionParseOutcome; parser: ParserDefinition; result: ParseResult },
  tail: LineTail,
  input: SessionInput,
  read: Pick<WrittenSession, 'read' | 'bytesFetched'>,
): Promise<WrittenSession> {
  // The title's findings (redactSummary) and the rest are written before the summary, which counts them.
  const summary = sink.redactSummary(result.summary);
  await findings.flush();
  const { secretsFound } = await writer.finish({
    agent: parser.agent,
    summary,
    malformedLines: outcome.lines.malformed,
    truncated: outcome.truncated,
    findingsWritten: findings.written,
  });
  const unknownLines = Object.values(result.counts.unknownTypes).reduce((sum, count) => sum + count, 0);
  const valuesRejected = outcome.rejectedValues.total + writer.jsonRejected;
  const parserVersion = storedParserVersion(parser);
  await tx.markIngested(input.version, layout.sessionId, parser.agent, {
    parserVersion,
    bytesIngested: outcome.bytesComplete,
    linesTotal: outcome.lines.total,
    linesMalformed: outcome.lines.malformed,
    linesUnknown: unknownLines,
    linesIgnored: result.counts.ignoredLines,
    duplicateResponses: result.counts.duplicateResponses,
    valuesRejected,
    truncated: outcome.truncated,
    note: describeOddities(outcome, result.counts.unknownTypes, writer.jsonRejected),
  });
  await tx.saveCheckpoint(checkpointOf(outcome, tail, input.version, parserVersion, sink, agentDefinition(parser.agent).savedStateTextKeys));
  if (outcome.lines.malformed > 0 || outcome.truncated || valuesRejected > 0 || outcome.rejectedValues.disagreements > 0) {
    input.log.warn('object had bad lines or values', {
      sessionId: layout.sessionId,
      malformed: outcome.lines.malformedByReason,
      samples: outcome.lines.malformedSamples,
      valuesRejected: outcome.rejectedValues.samples,
      cacheWriteDisagreements: outcome.rejectedValues.disagreementSamples,
      truncated: outcome.truncated,
    });
  }
  return {
    sessionId: layout.sessionId,
    ...read,
    messages: writer.messagesWritten,
    toolCalls: writer.toolCallsWritten,
    rowsRevised: writer.rowsRevised,
    malformedLines: outcome.lines.malformed,
    valuesRejected,
    truncated: outcome.truncated,
    sidecarsRead: stage.sidecarsRead,
    secretsFound,
  };
}

/** Where the next version can be read on from; null when it cannot (it is then read in full). */
function checkpointOf(
  outcome: SessionParseOutcome,
  tail: LineTail,
  version: ObjectVersion,
  parserVersion: string,
  sink: RedactingSink,
  savedTextKeys: readonly string[],
): ObjectCheckpoint | null {
  const point = outcome.resumePoint;
  // At offset 0 there is nothing to skip; a tail that ends elsewhere than the point cannot vouch for it.
  if (point === null || point.byteOffset === 0 || version.etag === null || tail.tail.end !== point.byteOffset) return null;
  return {
    etag: version.etag,
    parserVersion,
    format: RESUME_FORMAT,
    byteOffset: point.byteOffset,
    tailBytes: tail.tail.bytes.length,
    tailSha256: sha256(tail.tail.bytes),
    // The state keeps the session's title (the only text in it): stored redacted, like the sessions row's.
    state: { ...point, parser: sink.redactTitles(point.parser, savedTextKeys) },
  };
}

/** Counts the bytes that pass. */
class ByteCounter {
  bytes = 0;

  async *count(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.bytes += chunk.length;
      yield chunk;
    }
  }
}

/**
 * Reads the full tool outputs an agent saved beside its log (the layout's agent definition says which keys those
 * are), for StagedSink to put in place of the log's previews. A sidecar not uploaded yet is tolerated (the preview
 * stays): when it arrives, its notice ingests the session again.
 */
function sidecarReader(layout: SessionLayout, input: SessionInput): SidecarText {
  const { reader, bucket } = input.sidecars;
  return async (recordedPath) => {
    const key = sidecarKey(layout, recordedPath);
    if (key === null) return null;
    let text: string | typeof TOO_LARGE;
    try {
      const opened = await reader.open(bucket, key, null);
      text = await readText(opened.body, input.maxLineBytes);
    } catch (error) {
      if (error instanceof ObjectMissingError) return null;
      throw error;
    }
    if (text === TOO_LARGE) {
      input.log.warn('sidecar larger than the line limit, preview kept', { key });
      return null;
    }
    return text;
  };
}

const TOO_LARGE = Symbol('too large');

async function readText(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string | typeof TOO_LARGE> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) return TOO_LARGE;
    chunks.push(chunk.slice());
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

/** Why the content is not a session of the layout's agent, or null when it is one. */
function whyNotASession(outcome: SessionParseOutcome, layout: SessionLayout): string | null {
  const { lines } = outcome;
  if (lines.total === 0) return 'empty object';
  if (lines.records === 0) {
    return `no valid record: ${describeCount(lines.total, 'line')}, none a JSON object` +
      (lines.blank === lines.total ? ' (only blank lines)' : '');
  }
  const agentName = agentDefinition(layout.agent).displayName;
  if (outcome.parser === null || outcome.result === null) return `content is not a ${agentName} session`;
  const unknown = Object.values(outcome.result.counts.unknownTypes).reduce((sum, count) => sum + count, 0);
  if (unknown === lines.records) {
    return `no ${agentName} record: ${describeCount(lines.records, 'JSON line')}, all of unknown types`;
  }
  return null;
}

function describeCount(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One sentence for the objects.error column when the object landed with lines or values left out. */
function describeOddities(outcome: SessionParseOutcome, unknownTypes: Record<string, number>, jsonTooDeep: number): string | null {
  const parts: string[] = [];
  const { malformedByReason, malformedSamples } = outcome.lines;
  for (const [reason, count] of Object.entries(malformedByReason)) {
    if (count > 0) parts.push(describeCount(count, `${reason} line`));
  }
  if (malformedSamples.length > 0) parts.push(`first at line ${malformedSamples.map((s) => s.lineNumber).join(', ')}`);
  const rejected = outcome.rejectedValues;
  if (rejected.total > 0) {
    const where = rejected.samples.map((sample) => `${sample.field} at line ${sample.lineNumber}`).join(', ');
    parts.push(`${describeCount(rejected.total, 'value')} out of range or invalid, stored as NULL (${where})`);
  }
  if (rejected.disagreements > 0) {
    const where = rejected.disagreementSamples.map((sample) => `${sample.field} at line ${sample.lineNumber}`).join(', ');
    parts.push(`${describeCount(rejected.disagreements, 'cache-write total')} not equal to the 5-minute + 1-hour split, billed as the larger (${where})`);
  }
  if (outcome.lines.invalidUtf8 > 0) {
    parts.push(`${describeCount(outcome.lines.invalidUtf8, 'line')} with invalid UTF-8, kept with U+FFFD in place of the bad bytes`);
  }
  if (jsonTooDeep > 0) parts.push(`${describeCount(jsonTooDeep, 'JSON value')} nested too deep to store, stored as NULL`);
  if (outcome.lines.controlCharacters > 0) {
    parts.push(`${describeCount(outcome.lines.controlCharacters, 'line')} with raw control characters, kept (NUL removed, others escaped)`);
  }
  const unknown = Object.entries(unknownTypes).map(([type, count]) => `${type}×${count}`);
  if (unknown.length > 0) parts.push(`unknown record types skipped: ${unknown.join(', ')}`);
  if (outcome.truncated) parts.push('final line torn (no newline, not JSON): kept out until the next upload');
  return parts.length === 0 ? null : parts.join('; ');
}
