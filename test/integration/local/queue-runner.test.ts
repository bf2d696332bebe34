import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startQueueRunner, type BatchProgress, type QueueRunner, type SqsLambdaHandler } from '../../../infra/local/queue-runner.js';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';

// A tiny visibility timeout so redeliveries come quickly; the function timeout must fit inside it.
const FAST = { functionTimeoutMs: 1_000, visibilityTimeoutSeconds: 1, waitTimeSeconds: 1 } as const;

interface Delivery {
  body: string;
  receiveCount: string;
}

let emulator: RunningEmulator | undefined;
let runner: QueueRunner | undefined;

afterEach(async () => {
  await runner?.stop();
  await emulator?.stop();
  runner = undefined;
  emulator = undefined;
});

async function prepare(bodies: string[], maxReceiveCount = 5): Promise<RunningEmulator> {
  emulator = await startTestEmulator({ maxReceiveCount });
  for (const body of bodies) {
    await emulator.sqs.send(new SendMessageCommand({ QueueUrl: emulator.queueUrl, MessageBody: body }));
  }
  return emulator;
}

/** A stub handler that records what it was given and answers with `decide`. */
function recordingHandler(
  decide: (record: SQSRecord, invocation: number) => 'ok' | 'fail',
): { handler: SqsLambdaHandler; deliveries: Delivery[]; invocations: SQSEvent[] } {
  const deliveries: Delivery[] = [];
  const invocations: SQSEvent[] = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    invocations.push(event);
    const failures = [];
    for (const record of event.Records) {
      deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
      if (decide(record, invocations.length) === 'fail') failures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures: failures };
  };
  return { handler, deliveries, invocations };
}

function countsByBody(deliveries: Delivery[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const delivery of deliveries) counts[delivery.body] = (counts[delivery.body] ?? 0) + 1;
  return counts;
}

async function dlqBodies(running: RunningEmulator): Promise<string[]> {
  const received = await running.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: running.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (received.Messages ?? []).map((message) => message.Body ?? '');
}

describe('queue runner', () => {
  it('hands the handler AWS-shaped SQS records and a context with the remaining time', async () => {
    const running = await prepare(['{"hello":1}']);
    let seen: { event: SQSEvent; remaining: number; functionName: string } | undefined;
    const handler = async (event: SQSEvent, context: Context) => {
      seen = { event, remaining: context.getRemainingTimeInMillis(), functionName: context.functionName };
    };

    runner = await startQueueRunner({ sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, functionName: 'ingest-test', ...FAST });
    await runner.drain();

    const record = seen?.event.Records[0];
    expect(seen?.event.Records).toHaveLength(1);
    expect(record).toMatchObject({
      body: '{"hello":1}',
      md5OfBody: createHash('md5').update('{"hello":1}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: running.queueArn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record?.messageId).not.toBe('');
    expect(record?.receiptHandle).not.toBe('');
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(seen?.functionName).toBe('ingest-test');
    expect(seen?.remaining).toBeGreaterThan(0);
    expect(seen?.remaining).toBeLessThanOrEqual(FAST.functionTimeoutMs);
  });

  it('deletes the messages that succeeded and redelivers only those listed in batchItemFailures', async () => {
    const running = await prepare(['a', 'b', 'c']);
    const { handler, deliveries } = recordingHandler((record) =>
      record.body === 'b' && record.attributes.ApproximateReceiveCount === '1' ? 'fail' : 'ok',
    );
    const progress: BatchProgress[] = [];

    runner = await startQueueRunner({ sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, onBatch: (p) => progress.push(p), ...FAST });
    await runner.drain();

    expect(countsByBody(deliveries)).toEqual({ a: 1, b: 2, c: 1 });
    expect(deliveries.filter((d) => d.body === 'b').map((d) => d.receiveCount)).toEqual(['1', '2']);
    expect(progress.reduce((sum, p) => sum + p.failed, 0)).toBe(1);
    expect(progress.reduce((sum, p) => sum + p.succeeded, 0)).toBe(3);
    expect(progress.some((p) => p.outcome === 'partial')).toBe(true);
    expect(await dlqBodies(running)).toEqual([]);
  });

  it('deletes nothing when the handler throws: the whole batch comes back', async () => {
    const running = await prepare(['a', 'b', 'c']);
    const deliveries: Delivery[] = [];
    let calls = 0;
    const handler = async (event: SQSEvent) => {
      calls += 1;
      for (const record of event.Records) deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
      if (calls === 1) throw new Error('database unreachable');
    };

    runner = await startQueueRunner({ sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, ...FAST });
    await runner.drain();

    const firstBatch = deliveries.filter((d) => d.receiveCount === '1').map((d) => d.body).sort();
    expect(firstBatch).toEqual(['a', 'b', 'c']);
    expect(countsByBody(deliveries)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('treats a failure entry naming no message of the batch as a failure of the whole batch', async () => {
    const running = await prepare(['a', 'b']);
    const deliveries: string[] = [];
    let calls = 0;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      calls += 1;
      deliveries.push(...event.Records.map((record) => record.body));
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: '' }] : [] };
    };

    runner = await startQueueRunner({ sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, ...FAST });
    await runner.drain();

    expect(deliveries.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('deletes nothing when the handler runs past the function timeout', async () => {
    const running = await prepare(['slow']);
    const deliveries: string[] = [];
    const outcomes: string[] = [];
    const handler = async (event: SQSEvent) => {
      deliveries.push(event.Records[0]?.attributes.ApproximateReceiveCount ?? '');
      if (deliveries.length === 1) await sleep(1_500);
    };

    runner = await startQueueRunner({
      sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, onBatch: (p) => outcomes.push(p.outcome),
      functionTimeoutMs: 500, visibilityTimeoutSeconds: 1, waitTimeSeconds: 1,
    });
    await runner.drain();

    expect(deliveries).toEqual(['1', '2']);
    expect(outcomes).toEqual(['timeout', 'ok']);
  });

  it('leaves a message that always fails to SQS, which moves it to the DLQ after maxReceiveCount receives', async () => {
    const running = await prepare(['poison', 'fine'], 2);
    const { handler, deliveries } = recordingHandler((record) => (record.body === 'poison' ? 'fail' : 'ok'));

    runner = await startQueueRunner({ sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, ...FAST });
    await runner.drain();

    expect(countsByBody(deliveries)).toEqual({ poison: 2, fine: 1 });
    expect(await dlqBodies(running)).toEqual(['poison']);
  });

  it('runs `concurrency` batches at once, as Lambda runs several invocations; each message handled once', async () => {
    const running = await prepare(['a', 'b', 'c']);
    let now = 0;
    let most = 0;
    const handled: string[] = [];
    // Each batch waits until a second one is running too (or, alone, for a while): two at once are seen only if
    // the runner starts a batch while another runs.
    const handler = async (event: SQSEvent): Promise<void> => {
      now += 1;
      most = Math.max(most, now);
      for (let waited = 0; now < 2 && waited < 50; waited += 1) await sleep(10);
      handled.push(...event.Records.map((record) => record.body));
      now -= 1;
    };

    runner = await startQueueRunner({
      sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler, batchSize: 1, concurrency: 3,
      functionTimeoutMs: 5_000, visibilityTimeoutSeconds: 5, waitTimeSeconds: 1,
    });
    await runner.drain();

    expect(most).toBeGreaterThanOrEqual(2);
    expect(handled.sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses a visibility timeout shorter than the function timeout, as AWS does for an event source mapping', async () => {
    const running = await prepare([]);

    const starting = startQueueRunner({
      sqs: running.sqs, queueUrl: running.queueUrl, region: running.region, handler: async () => {}, functionTimeoutMs: 30_000, visibilityTimeoutSeconds: 10,
    });

    await expect(starting).rejects.toThrow(/visibility timeout \(10 s\) must be at least the function timeout/);
  });
});
