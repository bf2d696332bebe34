import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidEventError } from '../events/errors.js';
import { compareSequencers, decodeSqsBody, type ObjectEvent } from '../events/s3-event.js';
import type { Logger } from '../log.js';
import { ingestObject, objectIdentity, type IngestDependencies, type IngestOutcome } from './ingest-object.js';

/**
 * One SQS batch: each message succeeds or fails alone and failures are returned, never thrown, so SQS
 * retries only those (ReportBatchItemFailures) and moves a message that keeps failing to the DLQ.
 *
 * Written by hand rather than with Powertools' BatchProcessor: records must run one at a time on the
 * environment's single Postgres connection, and unstarted records are failed when the Lambda's time runs
 * short, neither of which that processor does for us.
 */

export interface BatchDependencies extends IngestDependencies {
  /** Do not start a record with less Lambda time left than this. */
  timeReserveMs: number;
}

export type RecordResult =
  | { messageId: string; ok: true; outcomes: IngestOutcome['status'][] }
  | { messageId: string; ok: false; reason: string };

const BODY_EXCERPT_CHARS = 1024;

export async function processSqsBatch(
  event: SQSEvent,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
  deps: BatchDependencies,
): Promise<SQSBatchResponse & { results: RecordResult[] }> {
  const results: RecordResult[] = [];
  for (const record of event.Records) {
    if (context.getRemainingTimeInMillis() < deps.timeReserveMs) {
      results.push({ messageId: record.messageId, ok: false, reason: 'not started: Lambda time running out' });
      continue;
    }
    results.push(await processRecord(record, deps));
  }
  const batchItemFailures: SQSBatchItemFailure[] = results
    .filter((result) => !result.ok)
    .map((result) => ({ itemIdentifier: result.messageId }));
  deps.log.info('batch done', {
    requestId: context.awsRequestId,
    records: event.Records.length,
    failed: batchItemFailures.length,
  });
  return { batchItemFailures, results };
}

async function processRecord(record: SQSRecord, deps: BatchDependencies): Promise<RecordResult> {
  const log = deps.log.child({ messageId: record.messageId });
  let events: ObjectEvent[];
  try {
    const decoded = decodeSqsBody(record.body);
    if (decoded.kind === 'test-event') {
      log.info('s3:TestEvent acknowledged');
      return { messageId: record.messageId, ok: true, outcomes: [] };
    }
    events = decoded.events;
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return fail(record, `invalid message: ${error.message}`, deps, log);
  }
  const outcomes: IngestOutcome['status'][] = [];
  for (const event of events) {
    const uri = `s3://${event.bucket}/${event.key}`;
    try {
      const outcome = await ingestEvent(event, deps);
      outcomes.push(outcome.status);
      log.info('object processed', { uri, eventName: event.eventName, ...outcome });
    } catch (error) {
      const reason = `${uri}: ${describe(error)}`;
      await deps.store
        .recordAttemptFailure(objectIdentity(event.bucket, event.key), describe(error))
        .catch((recordError: unknown) => log.warn('could not record the failed attempt', { error: recordError }));
      return fail(record, reason, deps, log);
    }
  }
  return { messageId: record.messageId, ok: true, outcomes };
}

async function ingestEvent(event: ObjectEvent, deps: BatchDependencies): Promise<IngestOutcome> {
  if (event.action === 'removed') {
    return deps.store.withObjectLock(objectIdentity(event.bucket, event.key), async (tx) => {
      const stored = tx.stored.sequencer;
      if (event.sequencer !== null && stored !== null && compareSequencers(event.sequencer, stored) < 0) {
        return { status: 'stale' };
      }
      await tx.markDeleted(event.sequencer);
      return { status: 'deleted' };
    });
  }
  return ingestObject(
    { bucket: event.bucket, key: event.key, etag: event.etag, sequencer: event.sequencer, size: event.size },
    deps,
  );
}

async function fail(record: SQSRecord, reason: string, deps: BatchDependencies, log: Logger): Promise<RecordResult> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  log.error('message failed', { reason, receiveCount: Number.isFinite(receiveCount) ? receiveCount : null });
  await deps.store
    .recordMessageFailure({
      messageId: record.messageId,
      reason,
      bodyExcerpt: record.body.slice(0, BODY_EXCERPT_CHARS),
      receiveCount: Number.isFinite(receiveCount) ? receiveCount : null,
    })
    .catch((error: unknown) => log.warn('could not record the message failure', { error }));
  return { messageId: record.messageId, ok: false, reason };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
