import { sidecarKey, type SessionLayout } from '../layout/s3-key.js';
import type { Logger } from '../log.js';
import { parseSession, type SessionParseOutcome } from '../parsers/parse-session.js';
import { selectParser, storedParserVersion } from '../parsers/registry.js';
import { RedactingSink } from '../redaction/redacting-sink.js';
import { ObjectMissingError } from '../s3/errors.js';
import type { ObjectReader } from '../s3/object-reader.js';
import type { ObjectTransaction, ObjectVersion } from '../store/object-store.js';
import type { SecretFindingWriter } from '../store/secret-findings.js';
import type { SessionWriter } from '../store/session-writer.js';

/**
 * Streams one session object into its rows, inside the object's locked transaction: the old rows go, the new
 * ones are written in batches while the body streams, and the objects row records what was read. Content that
 * holds no session record (empty, whitespace, random bytes, the other agent's format) is rolled back to the
 * savepoint and recorded as skipped, so it never becomes a session with no messages. Secrets are redacted from
 * every row (and the sidecars read into them) before anything is written: see shared/redaction/.
 */

export interface WrittenSession {
  sessionId: string;
  messages: number;
  toolCalls: number;
  malformedLines: number;
  valuesRejected: number;
  truncated: boolean;
  /** Tool results read in full from their sidecar files. */
  sidecarsRead: number;
  /** Secrets found and redacted (rows of secret_findings). */
  secretsFound: number;
}

export type WriteResult = { status: 'written'; session: WrittenSession } | { status: 'skipped'; reason: string };

export async function writeSession(
  tx: ObjectTransaction,
  layout: SessionLayout,
  input: {
    body: AsyncIterable<Uint8Array>;
    version: ObjectVersion;
    maxLineBytes: number;
    log: Logger;
    /** Where the session's sidecars are read from (its own bucket). */
    sidecars: { reader: ObjectReader; bucket: string };
  },
): Promise<WriteResult> {
  await tx.savepoint('session_rows');
  const writer = await tx.beginSession({
    id: layout.sessionId,
    machine: layout.machine,
    agent: layout.agent,
    kind: layout.kind,
    parentSessionId: layout.parentSessionId,
  });
  const findings = await tx.beginSecretFindings(layout.sessionId);
  const sink = new RedactingSink(writer, findings);
  const outcome = await parseSession(input.body, selectParser(layout.agent), layout.parserContext, sink, {
    maxLineBytes: input.maxLineBytes,
  });
  const notSession = whyNotASession(outcome, layout);
  if (notSession !== null || outcome.parser === null || outcome.result === null) {
    await tx.rollbackTo('session_rows');
    const reason = notSession ?? 'no session record';
    await tx.markSkipped(input.version, reason, outcome.parser === null ? null : storedParserVersion(outcome.parser));
    return { status: 'skipped', reason };
  }
  const { parser, result } = outcome;
  await writer.finish({
    agent: parser.agent,
    summary: sink.redactSummary(result.summary),
    malformedLines: outcome.lines.malformed,
    truncated: outcome.truncated,
  });
  const sidecarsRead = await readSavedResults(
    { writer, sink, findings },
    layout,
    input.sidecars,
    input.maxLineBytes,
    input.log,
  );
  const secretsFound = await findings.finish();
  const unknownLines = Object.values(result.counts.unknownTypes).reduce((sum, count) => sum + count, 0);
  const valuesRejected = outcome.rejectedValues.total + writer.jsonRejected;
  await tx.markIngested(input.version, layout.sessionId, parser.agent, {
    parserVersion: storedParserVersion(parser),
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
  if (outcome.lines.malformed > 0 || outcome.truncated || valuesRejected > 0) {
    input.log.warn('object had bad lines or values', {
      sessionId: layout.sessionId,
      malformed: outcome.lines.malformedByReason,
      samples: outcome.lines.malformedSamples,
      valuesRejected: outcome.rejectedValues.samples,
      truncated: outcome.truncated,
    });
  }
  return {
    status: 'written',
    session: {
      sessionId: layout.sessionId,
      messages: writer.messagesWritten,
      toolCalls: writer.toolCallsWritten,
      malformedLines: outcome.lines.malformed,
      valuesRejected,
      truncated: outcome.truncated,
      sidecarsRead,
      secretsFound,
    },
  };
}

/**
 * Reads each full tool output Claude Code saved beside the log into its tool call. A sidecar not uploaded yet
 * is tolerated (the preview stays): when it arrives, its event or the backfill ingests this session again.
 */
async function readSavedResults(
  { writer, sink, findings }: { writer: SessionWriter; sink: RedactingSink; findings: SecretFindingWriter },
  layout: SessionLayout,
  sidecars: { reader: ObjectReader; bucket: string },
  maxBytes: number,
  log: Logger,
): Promise<number> {
  let read = 0;
  for (const ref of writer.savedResults) {
    const key = sidecarKey(layout, ref.recordedPath);
    if (key === null) continue;
    let text: string | typeof TOO_LARGE;
    try {
      const opened = await sidecars.reader.open(sidecars.bucket, key, null);
      text = await readText(opened.body, maxBytes);
    } catch (error) {
      if (error instanceof ObjectMissingError) continue;
      throw error;
    }
    if (text === TOO_LARGE) {
      log.warn('sidecar larger than the line limit, preview kept', { key });
      continue;
    }
    const where = { messageOrdinal: ref.messageOrdinal, callIndex: ref.callIndex };
    await findings.forgetToolResult(where);
    await writer.setSavedResult(ref, sink.redactSidecar(text, where));
    read += 1;
  }
  return read;
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
  const agentName = layout.agent === 'claude' ? 'Claude Code' : 'Codex';
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
