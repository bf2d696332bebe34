import { compareSequencers } from '../events/s3-event.js';
import { classifyKey, type ObjectLayout } from '../layout/s3-key.js';
import type { Logger } from '../log.js';
import { parseSession, type SessionParseOutcome } from '../parsers/parse-session.js';
import { currentParserVersion, selectParser } from '../parsers/registry.js';
import { ObjectChangedError, ObjectMissingError } from '../s3/errors.js';
import type { ObjectReader } from '../s3/object-reader.js';
import type { ObjectIdentity, ObjectStore, ObjectTransaction, ObjectVersion } from '../store/object-store.js';

/**
 * The only write path (DESIGN.md §4), used by the ingest Lambda, the backfill and the CLI:
 * lock the object's row → skip what is already stored → stream the object → parse → replace the session's rows.
 */

export interface IngestRequest {
  bucket: string;
  key: string;
  /** The version to ingest (unquoted). Null: whatever is there now (looked up with HeadObject). */
  etag: string | null;
  sequencer: string | null;
  size: number | null;
}

export type IngestOutcome =
  | {
      status: 'ingested';
      sessionId: string;
      messages: number;
      toolCalls: number;
      malformedLines: number;
      truncated: boolean;
    }
  /** Same ETag and parser version already stored: nothing fetched. */
  | { status: 'unchanged' }
  /** An event older than the one already applied to this key. */
  | { status: 'stale' }
  /** The object changed after the event: the newer event brings it. */
  | { status: 'superseded' }
  | { status: 'deleted' }
  | { status: 'skipped'; reason: string };

export interface IngestDependencies {
  store: ObjectStore;
  reader: ObjectReader;
  log: Logger;
  maxLineBytes: number;
}

export function objectUri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function objectIdentity(bucket: string, key: string, layout: ObjectLayout = classifyKey(key)): ObjectIdentity {
  return {
    uri: objectUri(bucket, key),
    bucket,
    key,
    machine: layout.machine,
    agent: layout.agent,
    kind: layout.kind,
  };
}

export async function ingestObject(request: IngestRequest, deps: IngestDependencies): Promise<IngestOutcome> {
  const { bucket, key } = request;
  const layout = classifyKey(key);
  const identity = objectIdentity(bucket, key, layout);
  const isSession = layout.kind === 'session' || layout.kind === 'subagent';

  let etag = request.etag;
  let size = request.size;
  if (etag === null && isSession) {
    try {
      const head = await deps.reader.head(bucket, key);
      etag = head.etag;
      size = head.size;
    } catch (error) {
      if (!(error instanceof ObjectMissingError)) throw error;
      return deps.store.withObjectLock(identity, async (tx) => {
        await tx.markDeleted(request.sequencer);
        return { status: 'deleted' };
      });
    }
  }

  return deps.store.withObjectLock(identity, async (tx) => {
    const { stored } = tx;
    if (request.sequencer !== null && stored.sequencer !== null && compareSequencers(request.sequencer, stored.sequencer) < 0) {
      return { status: 'stale' };
    }
    const version: ObjectVersion = { etag, size, lastModified: null, sequencer: request.sequencer };
    if (!isSession || layout.sessionId === null || layout.parserContext === null || layout.machine === null) {
      const reason = layout.reason ?? 'not a session';
      if (stored.state !== 'skipped' || stored.etag !== etag) await tx.markSkipped(version, reason, null);
      return { status: 'skipped', reason };
    }
    const alreadyStored =
      stored.etag !== null &&
      stored.etag === etag &&
      (stored.state === 'ingested' || stored.state === 'skipped') &&
      currentParserVersion(layout.agent, stored.parserVersion);
    if (alreadyStored) return { status: 'unchanged' };

    let opened;
    try {
      opened = await deps.reader.open(bucket, key, etag);
    } catch (error) {
      if (error instanceof ObjectChangedError) return { status: 'superseded' };
      if (error instanceof ObjectMissingError) {
        await tx.markDeleted(request.sequencer);
        return { status: 'deleted' };
      }
      throw error;
    }
    return writeSession(tx, layout, {
      body: opened.body,
      version: { ...version, etag: opened.etag, size: opened.size ?? size, lastModified: opened.lastModified },
      deps,
    });
  });
}

async function writeSession(
  tx: ObjectTransaction,
  layout: ObjectLayout,
  input: { body: AsyncIterable<Uint8Array>; version: ObjectVersion; deps: IngestDependencies },
): Promise<IngestOutcome> {
  const sessionId = layout.sessionId ?? '';
  const machine = layout.machine ?? '';
  const context = layout.parserContext ?? { fileStem: '', projectDir: null, parentSourceSessionId: null };
  await tx.savepoint('session_rows');
  const writer = await tx.beginSession({
    id: sessionId,
    machine,
    agent: layout.agent ?? 'unknown',
    kind: layout.kind === 'subagent' ? 'subagent' : 'session',
    parentSessionId: layout.parentSessionId,
  });
  const outcome = await parseSession(input.body, selectParser(layout.agent), context, writer, {
    maxLineBytes: input.deps.maxLineBytes,
  });
  if (outcome.parser === null || outcome.result === null) {
    await tx.rollbackTo('session_rows');
    const reason = 'content is not a Claude Code or Codex session';
    await tx.markSkipped(input.version, reason, null);
    return { status: 'skipped', reason };
  }
  const { parser, result } = outcome;
  await writer.finish({
    agent: parser.agent,
    summary: result.summary,
    malformedLines: outcome.lines.malformed,
    truncated: outcome.truncated,
  });
  const unknownLines = Object.values(result.counts.unknownTypes).reduce((sum, count) => sum + count, 0);
  await tx.markIngested(input.version, sessionId, parser.agent, {
    parserVersion: parser.version,
    bytesIngested: outcome.bytesComplete,
    linesTotal: outcome.lines.total,
    linesMalformed: outcome.lines.malformed,
    linesUnknown: unknownLines,
    linesIgnored: result.counts.ignoredLines,
    duplicateResponses: result.counts.duplicateResponses,
    truncated: outcome.truncated,
    note: describeOddities(outcome, result.counts.unknownTypes),
  });
  if (outcome.lines.malformed > 0 || outcome.truncated) {
    input.deps.log.warn('object had bad lines', {
      sessionId,
      malformed: outcome.lines.malformedByReason,
      samples: outcome.lines.malformedSamples,
      truncated: outcome.truncated,
    });
  }
  return {
    status: 'ingested',
    sessionId,
    messages: writer.messagesWritten,
    toolCalls: writer.toolCallsWritten,
    malformedLines: outcome.lines.malformed,
    truncated: outcome.truncated,
  };
}

/** One sentence for the objects.error column when the object landed with lines left out. */
function describeOddities(outcome: SessionParseOutcome, unknownTypes: Record<string, number>): string | null {
  const parts: string[] = [];
  const { malformedByReason, malformedSamples } = outcome.lines;
  for (const [reason, count] of Object.entries(malformedByReason)) {
    if (count > 0) parts.push(`${count} ${reason} line${count === 1 ? '' : 's'}`);
  }
  if (malformedSamples.length > 0) parts.push(`first at line ${malformedSamples.map((s) => s.lineNumber).join(', ')}`);
  const unknown = Object.entries(unknownTypes).map(([type, count]) => `${type}×${count}`);
  if (unknown.length > 0) parts.push(`unknown record types skipped: ${unknown.join(', ')}`);
  if (outcome.truncated) parts.push('final line torn (no newline, not JSON): kept out until the next upload');
  return parts.length === 0 ? null : parts.join('; ');
}
