import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * A message that can never be processed goes round SQS's redrive until the DLQ holds it, while an upload
 * sent beside it lands; the reason stays in message_failures for whoever looks at the DLQ.
 */
describe('a poison message on the ingest queue', () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startIngestStack({
      emulator: { maxReceiveCount: 2 },
      runner: { functionTimeoutMs: 1_000, visibilityTimeoutSeconds: 1, waitTimeSeconds: 1 },
      timeReserveMs: 100,
    });
  });

  afterAll(() => stack?.stop());

  it('ends in the DLQ with its reason recorded, and the good upload beside it lands', async () => {
    const poison = '{"Records":[{"eventVersion":"1.0","eventName":"ObjectCreated:Put"}]}';
    const { emulator, pool } = stack;
    await emulator.sqs.send(new SendMessageCommand({ QueueUrl: emulator.queueUrl, MessageBody: poison }));
    await emulator.s3.send(
      new PutObjectCommand({
        Bucket: emulator.bucket,
        Key: 'box/raw/claude/-w/good.jsonl',
        Body: '{"type":"user","message":{"content":"hello"}}\n',
      }),
    );

    await stack.runner?.drain();

    const dlq = await emulator.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulator.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(dlq.Messages?.map((message) => message.Body)).toEqual([poison]);
    const failures = await pool.query<{ reason: string; failures: number; receive_count: number }>(
      'SELECT reason, failures, receive_count FROM sessionlake.message_failures',
    );
    expect(failures.rows).toEqual([
      { reason: 'invalid message: Records[0] has unsupported eventVersion "1.0" (2.x expected)', failures: 2, receive_count: 2 },
    ]);
    const landed = await pool.query('SELECT message_count FROM sessionlake.sessions');
    expect(landed.rows).toEqual([{ message_count: 1 }]);
  });
});
