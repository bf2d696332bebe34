import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processSqsBatch, type BatchDependencies } from '../../../shared/ingest/sqs-batch.js';
import { silentLogger } from '../../../shared/log.js';
import { MemoryReader, MemoryStore } from '../../support/memory-store.js';

/** The batch loop with the store and S3 in memory: which notices of a batch reach the write path. */

const BUCKET = 'b';
// Outside the key layout: each notice that reaches the write path records one skip (no rows, no GET).
const KEY = 'laptop/raw/unknown-agent/x.jsonl';
const OTHER = 'laptop/raw/unknown-agent/y.jsonl';

function setup(): { store: MemoryStore; deps: BatchDependencies } {
  const store = new MemoryStore();
  return {
    store,
    deps: { store, reader: new MemoryReader(), log: silentLogger, maxLineBytes: 1024, timeReserveMs: 0, maxReceiveCount: 5 },
  };
}

const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r' };

function created(messageId: string, key: string, etag: string, sequencer: string): SQSRecord {
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key, eTag: etag, sequencer, size: 1 } },
      },
    ],
  });
  return { messageId, body, receiptHandle: messageId, attributes: { ApproximateReceiveCount: '1' } } as unknown as SQSRecord;
}

describe('processSqsBatch, store in memory', () => {
  it('several messages for one key in one batch are one ingest: the newest event, whatever its place', async () => {
    const { store, deps } = setup();
    const batch = [created('m1', KEY, 'e1', '00A'), created('m2', KEY, 'e3', '00C'), created('m3', OTHER, 'o1', '001'), created('m4', KEY, 'e2', '00B')];

    const response = await processSqsBatch({ Records: batch }, context, deps);

    expect(response.batchItemFailures).toEqual([]);
    expect(response.results.map((result) => (result.ok ? result.outcomes : result.reason))).toEqual([
      ['stale'],
      ['skipped'],
      ['skipped'],
      ['stale'],
    ]);
    // Two writes, one per key: before, the key's first and second messages were each written (the third was stale).
    expect(store.writes).toEqual([`markSkipped ${KEY}`, `markSkipped ${OTHER}`]);
    expect(store.locks).toBe(2);
  });
});
