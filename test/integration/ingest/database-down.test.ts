import { createServer } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBatchResponse, processSqsBatch, WholeBatchFailedError, type BatchDependencies } from '../../../shared/ingest/sqs-batch.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { createPool } from '../../../shared/store/pool.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The database is down: every message of a batch fails for a reason a retry may cure, and the handler's answer
 * must be an error (the errors alarm), not a list of failed items (which only the DLQ alarm sees, after the last
 * receive). The database here is a real Postgres URL on a port nothing listens on.
 */

let stack: IngestStack;
let down: BatchDependencies;
let downPool: ReturnType<typeof createPool>;

/** A local port that was free a moment ago: a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  stack = await startIngestStack();
  downPool = createPool({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/sessionlake`, max: 1 });
  down = { ...stack.deps, store: new ObjectStore(downPool, { lockTimeoutMs: 1_000 }) };
});
afterAll(async () => {
  await downPool?.end();
  await stack?.stop();
});

function notification(messageId: string, key: string, etag: string): SQSRecord {
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: stack.emulator.bucket }, object: { key, eTag: etag, sequencer: '01', size: 1 } },
      },
    ],
  });
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
    awsRegion: 'us-east-1',
  };
}

async function upload(key: string): Promise<string> {
  const put = await stack.emulator.s3.send(
    new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: '{"type":"user","message":{"content":"hi"}}\n' }),
  );
  return (put.ETag ?? '').replaceAll('"', '');
}

const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'down-1' };

describe('a batch while the database is down', () => {
  it('throws from the handler when every message failed for a retryable reason', async () => {
    const keys = ['box/raw/claude/-p/a.jsonl', 'box/raw/claude/-p/b.jsonl'];
    const records = await Promise.all(keys.map(async (key, i) => notification(`m-${i}`, key, await upload(key))));

    const batch = await processSqsBatch({ Records: records }, context, down);

    expect(batch.results.map((result) => [result.ok, !result.ok && result.retryable])).toEqual([
      [false, true],
      [false, true],
    ]);
    expect(() => lambdaBatchResponse(batch)).toThrow(WholeBatchFailedError);
    expect(() => lambdaBatchResponse(batch)).toThrow(/^all 2 messages of the batch failed and are retried; the first: s3:\/\/.*a\.jsonl: .*ECONNREFUSED/);
  });

  it('answers with the failed items when one of them is a malformed message, which no retry cures', async () => {
    const key = 'box/raw/claude/-p/c.jsonl';
    const records = [notification('m-ok', key, await upload(key)), { ...notification('m-bad', key, ''), body: 'not a notification' }];

    const batch = await processSqsBatch({ Records: records }, context, down);

    expect(lambdaBatchResponse(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-ok' }, { itemIdentifier: 'm-bad' }] });
  });

  it('answers normally once the database is back', async () => {
    const key = 'box/raw/claude/-p/d.jsonl';
    const batch = await processSqsBatch({ Records: [notification('m-up', key, await upload(key))] }, context, stack.deps);

    expect(lambdaBatchResponse(batch)).toEqual({ batchItemFailures: [] });
  });
});
