import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueueRunner, type QueueRunner } from '../../../infra/local/queue-runner.js';
import { processSqsBatch } from '../../../shared/ingest/sqs-batch.js';
import { silentLogger } from '../../../shared/log.js';
import { createObjectReader } from '../../../shared/s3/object-reader.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { createPool } from '../../../shared/store/pool.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';

/**
 * A message that can never be processed goes round SQS's redrive until the DLQ holds it, while an upload
 * sent beside it lands; the reason stays in message_failures for whoever looks at the DLQ.
 */
describe('a poison message on the ingest queue', () => {
  let emulator: RunningEmulator;
  let database: FreshDatabase;
  let pool: pg.Pool;
  let runner: QueueRunner;

  beforeAll(async () => {
    [emulator, database] = await Promise.all([startTestEmulator({ maxReceiveCount: 2 }), freshDatabase()]);
    await runMigrations(database.url);
    pool = createPool({ connectionString: database.url, max: 2 });
    const deps = {
      store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }),
      reader: createObjectReader(emulator.s3),
      log: silentLogger,
      maxLineBytes: 1024 * 1024,
      timeReserveMs: 100,
    };
    runner = await startQueueRunner({
      sqs: emulator.sqs,
      queueUrl: emulator.queueUrl,
      queueArn: emulator.queueArn,
      region: emulator.region,
      handler: (event, context) => processSqsBatch(event, context, deps),
      functionTimeoutMs: 1_000,
      visibilityTimeoutSeconds: 1,
      waitTimeSeconds: 1,
      idle: () => emulator.bridge.idle(),
    });
  });

  afterAll(async () => {
    await runner?.stop();
    await pool?.end();
    await Promise.all([emulator?.stop(), database?.drop()]);
  });

  it('ends in the DLQ with its reason recorded, and the good upload beside it lands', async () => {
    const poison = '{"Records":[{"eventVersion":"1.0","eventName":"ObjectCreated:Put"}]}';
    await emulator.sqs.send(new SendMessageCommand({ QueueUrl: emulator.queueUrl, MessageBody: poison }));
    await emulator.s3.send(
      new PutObjectCommand({
        Bucket: emulator.bucket,
        Key: 'box/raw/claude/-w/good.jsonl',
        Body: '{"type":"user","message":{"content":"hello"}}\n',
      }),
    );

    await runner.drain();

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
