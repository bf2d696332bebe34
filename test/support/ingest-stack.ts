/**
 * What an ingest integration test stands on: the S3/SQS emulator, a fresh migrated database, the write-path
 * dependencies built from them, and (optionally) the queue runner feeding the batch handler as the Lambda
 * SQS event source would. GetObject calls are recorded so tests can prove that nothing was fetched.
 */
import type pg from 'pg';
import { startQueueRunner, type QueueRunner, type QueueRunnerOptions } from '../../infra/local/queue-runner.js';
import type { EmulatorOptions } from '../../infra/local/emulator.js';
import { processSqsBatch, type BatchDependencies } from '../../shared/ingest/sqs-batch.js';
import { silentLogger } from '../../shared/log.js';
import { createObjectReader } from '../../shared/s3/object-reader.js';
import { runMigrations } from '../../shared/store/migrate.js';
import { ObjectStore } from '../../shared/store/object-store.js';
import { createPool } from '../../shared/store/pool.js';
import { freshDatabase, type FreshDatabase } from './database.js';
import { startTestEmulator, type RunningEmulator } from './emulator.js';

export interface IngestStack {
  emulator: RunningEmulator;
  database: FreshDatabase;
  pool: pg.Pool;
  deps: BatchDependencies;
  /** Present when started with `runner`. */
  runner: QueueRunner | null;
  /** Keys of every GetObject sent so far; tests reset it with `getObjectKeys.length = 0`. */
  getObjectKeys: string[];
  stop(): Promise<void>;
}

type RunnerTiming = Pick<QueueRunnerOptions, 'functionTimeoutMs' | 'visibilityTimeoutSeconds' | 'waitTimeSeconds'>;

export async function startIngestStack(
  options: { emulator?: EmulatorOptions; runner?: RunnerTiming; timeReserveMs?: number } = {},
): Promise<IngestStack> {
  const [emulator, database] = await Promise.all([startTestEmulator(options.emulator), freshDatabase()]);
  await runMigrations(database.url);
  const pool = createPool({ connectionString: database.url, max: 2 });
  const getObjectKeys: string[] = [];
  emulator.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') getObjectKeys.push((args.input as { Key: string }).Key);
      return next(args);
    },
    { step: 'initialize', name: 'recordGetObject' },
  );
  const deps: BatchDependencies = {
    store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }),
    reader: createObjectReader(emulator.s3),
    log: silentLogger,
    maxLineBytes: 1024 * 1024,
    timeReserveMs: options.timeReserveMs ?? 1_000,
    maxReceiveCount: options.emulator?.maxReceiveCount ?? 5,
  };
  const runner =
    options.runner === undefined
      ? null
      : await startQueueRunner({
          sqs: emulator.sqs,
          queueUrl: emulator.queueUrl,
          queueArn: emulator.queueArn,
          region: emulator.region,
          handler: (event, context) => processSqsBatch(event, context, deps),
          idle: () => emulator.bridge.idle(),
          ...options.runner,
        });
  return {
    emulator,
    database,
    pool,
    deps,
    runner,
    getObjectKeys,
    async stop() {
      await runner?.stop();
      await pool.end();
      await Promise.all([emulator.stop(), database.drop()]);
    },
  };
}
