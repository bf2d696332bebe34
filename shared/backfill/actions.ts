import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeObjectKey, VERIFY_CONFIGURATION_ID } from '../events/s3-event.js';
import { handleObject, recordObjectFailure, type IngestDependencies } from '../ingest/handle-object.js';
import type { Logger } from '../log.js';
import type { ObjectActions, WorkItem } from './reconcile.js';

/** The CLI's actions: the write path now, `concurrency` objects at a time. */
export function ingestNow(deps: IngestDependencies, concurrency: number): ObjectActions {
  return {
    mode: 'ingest',
    async run(bucket, items, onDone) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < items.length) {
          const item = items[next++];
          if (item === undefined) return;
          const { key, etag, size } = item.object;
          try {
            await handleObject({ bucket, key, change: 'created', source: 'listing', etag, size, sequencer: null, verify: item.verify }, deps);
            onDone(item, false);
          } catch (error) {
            const { reason } = await recordObjectFailure({ bucket, key }, error, deps);
            deps.log.error('backfill: object failed', { uri: `s3://${bucket}/${key}`, error: reason });
            onDone(item, true);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    },
  };
}

const SQS_BATCH = 10;

/**
 * The scheduled Lambda's actions: S3-shaped `ObjectCreated` messages on the ingest queue, so the ingest
 * Lambda does the work and its event source keeps the concurrency capped. Without a sequencer (a listing has
 * none), the write path still refuses a version older than the stored one: the GET asks for the listed ETag.
 */
export function enqueueOnIngestQueue(sqs: SQSClient, queueUrl: string, region: string, log: Logger): ObjectActions {
  return {
    mode: 'enqueue',
    async run(bucket, items, onDone) {
      for (let start = 0; start < items.length; start += SQS_BATCH) {
        const batch = items.slice(start, start + SQS_BATCH);
        let failedIds = new Set<string>();
        try {
          const response = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((item, index) => ({ Id: String(index), MessageBody: JSON.stringify(createdEvent(bucket, item, region)) })),
            }),
          );
          failedIds = new Set((response.Failed ?? []).map((entry) => entry.Id ?? ''));
          for (const failure of response.Failed ?? []) log.warn('backfill: could not enqueue', { code: failure.Code, reason: failure.Message });
        } catch (error) {
          log.warn('backfill: could not enqueue a batch', { error });
          failedIds = new Set(batch.map((_item, index) => String(index)));
        }
        batch.forEach((item, index) => onDone(item, failedIds.has(String(index))));
      }
    },
  };
}

/** An `ObjectCreated:Put` notification as S3 writes it, for one listed object (no sequencer: not an event). */
export function createdEvent(bucket: string, item: WorkItem, region: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'sessionlake-backfill' },
        s3: {
          s3SchemaVersion: '1.0',
          // A verification is asked for by name (the ingest path reads it); the others only label the message.
          configurationId: item.verify ? VERIFY_CONFIGURATION_ID : `sessionlake-backfill-${item.decision}`,
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeObjectKey(item.object.key), size: item.object.size, eTag: item.object.etag },
        },
      },
    ],
  };
}
