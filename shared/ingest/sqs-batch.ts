import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidEventError } from '../events/errors.js';
import { compareSequencers, decodeSqsBody, type ObjectEvent } from '../events/s3-event.js';
import type { Logger } from '../log.js';
import { handleObject, objectUri, recordObjectFailure, type IngestDependencies, type OutcomeStatus } from './handle-object.js';

/**
 * One SQS batch: each message succeeds or fails alone and failures are returned, never thrown, so SQS
 * retries only those (ReportBatchItemFailures) and moves a message that keeps failing to the DLQ. This loop
 * only decodes, hands each object to `handleObject`, and reports; it is also the one place that acts on
 * whether an error can be cured by a retry.
 *
 * Written by hand rather than with Powertools' BatchProcessor (which can run records one at a time and pass
 * the context): the loop also fails the records it does not start when the Lambda's time runs short, and
 * records permanent object failures instead of retrying them, and it is short.
 */

export interface BatchDependencies extends IngestDependencies {
  /** Do not start a record with less Lambda time left than this. */
  timeReserveMs: number;
  /** The queue's maxReceiveCount: a failure on that receive sends the message to the DLQ, and says so. */
  maxReceiveCount: number;
}

export type RecordResult =
  | { messageId: string; ok: true; outcomes: OutcomeStatus[] }
  /** `retryable`: the work may succeed later (database or S3 unreachable, no time left); false for a malformed message. */
  | { messageId: string; ok: false; reason: string; retryable: boolean };

/**
 * Every message of the batch failed for a reason a retry may cure (the database is down, say). Thrown by the
 * handler rather than returned as batch item failures: SQS retries the same messages either way, but only a
 * thrown error counts in the function's `Errors` metric, so the errors alarm fires within minutes instead of
 * when the messages reach the DLQ after their last receive.
 */
export class WholeBatchFailedError extends Error {
  override readonly name = 'WholeBatchFailedError';
}

const BODY_EXCERPT_CHARS = 1024;

export async function processSqsBatch(
  event: SQSEvent,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
  deps: BatchDependencies,
): Promise<SQSBatchResponse & { results: RecordResult[] }> {
  const decoded = event.Records.map((record) => ({ record, body: decodeRecord(record) }));
  const latest = latestEvents(decoded.flatMap(({ body }) => (body.kind === 'events' ? body.events : [])));
  const results: RecordResult[] = [];
  for (const { record, body } of decoded) {
    if (context.getRemainingTimeInMillis() < deps.timeReserveMs) {
      results.push({ messageId: record.messageId, ok: false, reason: 'not started: Lambda time running out', retryable: true });
      continue;
    }
    results.push(await processRecord(record, body, latest, deps));
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

type RecordBody = { kind: 'test-event' } | { kind: 'events'; events: ObjectEvent[] } | { kind: 'invalid'; reason: string };

function decodeRecord(record: SQSRecord): RecordBody {
  try {
    return decodeSqsBody(record.body);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return { kind: 'invalid', reason: `invalid message: ${error.message}` };
  }
}

/**
 * The newest event of each key in the batch (by S3 sequencer). Several messages for one key in one batch (a
 * session log synced again and again while the agent writes) then cost one ingest: the newest event's, which
 * reads the object as it is now; the older ones are answered `stale` without a lookup. Events without a
 * sequencer and verification requests are not ordered against others and are each handled.
 */
function latestEvents(events: ObjectEvent[]): Map<string, ObjectEvent> {
  const latest = new Map<string, ObjectEvent>();
  for (const event of events) {
    if (event.sequencer === null || event.verify) continue;
    const uri = objectUri(event.bucket, event.key);
    const seen = latest.get(uri);
    if (seen === undefined || compareSequencers(event.sequencer, seen.sequencer ?? '') > 0) latest.set(uri, event);
  }
  return latest;
}

async function processRecord(
  record: SQSRecord,
  body: RecordBody,
  latest: Map<string, ObjectEvent>,
  deps: BatchDependencies,
): Promise<RecordResult> {
  const log = deps.log.child({ messageId: record.messageId });
  if (body.kind === 'test-event') {
    log.info('s3:TestEvent acknowledged');
    return { messageId: record.messageId, ok: true, outcomes: [] };
  }
  if (body.kind === 'invalid') return fail(record, body.reason, false, deps, log);
  const outcomes: OutcomeStatus[] = [];
  for (const event of body.events) {
    const uri = objectUri(event.bucket, event.key);
    const newest = latest.get(uri);
    if (newest !== undefined && newest !== event && event.sequencer !== null && !event.verify) {
      outcomes.push('stale');
      log.info('object event superseded by a newer one in the same batch', { uri, eventName: event.eventName, sequencer: event.sequencer });
      continue;
    }
    try {
      const outcome = await handleObject(
        {
          bucket: event.bucket,
          key: event.key,
          change: event.action,
          source: 'event',
          etag: event.etag,
          size: event.size,
          sequencer: event.sequencer,
          verify: event.verify,
        },
        deps,
      );
      outcomes.push(outcome.status);
      log.info('object processed', { uri, eventName: event.eventName, ...outcome });
    } catch (error) {
      const { permanent, reason } = await recordObjectFailure(event, error, { ...deps, log });
      if (permanent) {
        // Retrying the message cannot help; the object is recorded `failed` and the backfill revisits it.
        log.error('object failed, not retried', { uri, error: reason });
        outcomes.push('failed');
        continue;
      }
      return fail(record, `${uri}: ${reason}`, true, deps, log);
    }
  }
  return { messageId: record.messageId, ok: true, outcomes };
}

async function fail(record: SQSRecord, reason: string, retryable: boolean, deps: BatchDependencies, log: Logger): Promise<RecordResult> {
  const parsedCount = Number(record.attributes?.ApproximateReceiveCount);
  const receiveCount = Number.isFinite(parsedCount) ? parsedCount : null;
  if (receiveCount !== null && receiveCount >= deps.maxReceiveCount) {
    log.error('message failed its last receive and goes to the DLQ', { reason, receiveCount });
  } else {
    log.error('message failed, SQS retries it', { reason, receiveCount });
  }
  await deps.store
    .recordMessageFailure({
      messageId: record.messageId,
      reason,
      bodyExcerpt: record.body.slice(0, BODY_EXCERPT_CHARS),
      receiveCount,
    })
    .catch((error: unknown) => log.warn('could not record the message failure', { error }));
  return { messageId: record.messageId, ok: false, reason, retryable };
}

/**
 * The Lambda's answer to SQS: the failed messages, or a `WholeBatchFailedError` when none succeeded and every
 * failure may clear on a retry (see the error). A batch with a malformed message in it is answered normally: that
 * message fails alone, however often it is retried.
 */
export function lambdaBatchResponse(batch: { batchItemFailures: SQSBatchItemFailure[]; results: RecordResult[] }): SQSBatchResponse {
  const { results } = batch;
  if (results.length > 0 && results.every((result) => !result.ok && result.retryable)) {
    const first = results[0] as Extract<RecordResult, { ok: false }>;
    throw new WholeBatchFailedError(`all ${results.length} messages of the batch failed and are retried; the first: ${first.reason}`);
  }
  return { batchItemFailures: batch.batchItemFailures };
}
