import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import type pg from 'pg';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../shared/config.js';
import { ingestNow } from '../../shared/backfill/actions.js';
import { runBackfill } from '../../shared/backfill/reconcile.js';
import { processSqsBatch } from '../../shared/ingest/sqs-batch.js';
import { silentLogger } from '../../shared/log.js';
import { createObjectLister } from '../../shared/s3/listing.js';
import { createObjectReader } from '../../shared/s3/object-reader.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import { runMigrations } from '../../shared/store/migrate.js';
import { ObjectStore } from '../../shared/store/object-store.js';
import { createPool } from '../../shared/store/pool.js';
import { startEmulator, type RunningEmulator } from '../local/emulator.js';
import { startQueueRunner, type QueueRunner } from '../local/queue-runner.js';
import { ChaosBucket, type ModelObject } from './bucket.js';
import { DEFAULT_RATES, EventChannel, FaultCounter, faultyReader, type FaultKind, type FaultRates } from './faults.js';
import { Random } from './random.js';
import { compareWithDatabase, type Verdict } from './truth.js';

/**
 * A seeded chaos run over the local stack — the real emulator, the real batch handler, real Postgres — with a
 * ground truth. Objects across several machines are created, grown, rewritten, edited in place and grown (a
 * secret scrubber), replaced, deleted and created again while notifications are dropped, duplicated and
 * reordered, S3 answers with errors and broken bodies, Postgres connections die mid-transaction and Lambda time
 * runs out mid-batch, with several workers on the same keys. A final backfill pass (faults off) repairs what the
 * lost notifications left out and verifies what delta ingest trusted; then the database is compared with the
 * truth computed from the final bucket alone.
 */

export interface ChaosOptions {
  seed: number;
  /** Sessions planned per machine (the bucket also gets their subagents and sidecars). */
  sessionsPerMachine: number;
  machines: number;
  workers: number;
  /** Rounds of writes after the first upload. */
  rounds: number;
  /** Writes per round. */
  writesPerRound: number;
  databaseUrl: string;
  rates?: FaultRates;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  objects: number;
  writes: Record<string, number>;
  events: number;
  injected: Record<FaultKind, number>;
  injectedTotal: number;
  outcomes: Record<string, number>;
  dlq: number;
  backfill: { listed: number; repaired: number; verified: number; deleted: number; failed: number };
  /** The same comparison before the backfill pass: what the events alone left wrong (dropped notifications). */
  beforeRepair: Verdict;
  verdict: Verdict;
}

const FUNCTION_TIMEOUT_MS = 4_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  // Separate streams: the write plan and each worker's fault decisions follow from the seed alone; only the
  // interleaving of the workers is left to the scheduler.
  const random = new Random(options.seed);
  const channelRandom = new Random(options.seed ^ 0x9e3779b9);
  const rates = options.rates ?? DEFAULT_RATES;
  const faults = new FaultCounter();
  const emulator = await startEmulator({ port: 0, bucket: `chaos-${options.seed}`, queueName: `chaos-${options.seed}`, notifications: false, maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT });
  const admin = createPool({ connectionString: options.databaseUrl, max: 2 });
  const pools: pg.Pool[] = [admin];
  const runners: QueueRunner[] = [];
  try {
    await runMigrations(options.databaseUrl);
    const channel = new EventChannel(emulator.sqs, emulator.queueUrl, channelRandom, rates, faults);
    const bucket = new ChaosBucket(emulator.s3, emulator.bucket, emulator.region, random, (record) => channel.deliver(record));
    const machines = Array.from({ length: options.machines }, (_, i) => `machine-${i + 1}`);
    bucket.plan(machines, options.sessionsPerMachine);
    const outcomes: Record<string, number> = {};
    const rewriteBeforeRead = async (key: string): Promise<boolean> => {
      const object = bucket.objects.get(key);
      if (object === undefined || object.content === null || object.role === 'sidecar') return false;
      await bucket.grow(object);
      return true;
    };
    for (let worker = 0; worker < options.workers; worker += 1) {
      const workerRandom = new Random(options.seed + 1_000 * (worker + 1));
      runners.push(await startWorker(emulator, options.databaseUrl, pools, { random: workerRandom, rates, faults, outcomes, rewriteBeforeRead, killer: admin }));
    }

    log(`chaos: seed ${options.seed}: uploading ${bucket.sessionKeys().length} sessions on ${machines.length} machines`);
    for (const object of bucket.sessionKeys()) await bucket.create(object);
    for (let round = 0; round < options.rounds; round += 1) {
      for (let i = 0; i < options.writesPerRound; i += 1) await mutate(bucket, random, faults, rates);
      await channel.releaseSome();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await channel.releaseAll();
    log(`chaos: ${channel.sent} notifications sent; draining ${options.workers} workers`);
    for (const runner of runners) await runner.drain({ pollMs: 200 });
    for (const runner of runners.splice(0)) await runner.stop();
    const dlq = await visibleMessages(emulator, emulator.dlqUrl);

    // The repair: one backfill pass with the faults off, as the schedule would run it once the objects have gone
    // quiet (the run is over): delta-ingested objects are verified too.
    faults.enabled = false;
    const ingestPool = createPool({ connectionString: options.databaseUrl, max: 4 });
    pools.push(ingestPool);
    const ingest = { store: new ObjectStore(ingestPool, { lockTimeoutMs: 10_000 }), reader: createObjectReader(emulator.s3), log: silentLogger, maxLineBytes: 64 * 1024 * 1024 };
    const beforeRepair = await compareWithDatabase(admin, emulator.bucket, bucket);
    const repaired = await runBackfill(
      { bucket: emulator.bucket, prefix: '' },
      { store: new BackfillStore(admin), lister: createObjectLister(emulator.s3), ingest, actions: ingestNow(ingest, 4), log: silentLogger },
      { holder: `chaos seed ${options.seed}`, leaseMs: 120_000, verifyQuietMs: 0 },
    );
    if (repaired.status === 'busy') throw new Error('the backfill found its own prefix busy');
    const counts = repaired.counts;
    const verdict = await compareWithDatabase(admin, emulator.bucket, bucket);
    return {
      seed: options.seed,
      objects: [...bucket.objects.values()].filter((object) => object.created).length,
      writes: bucket.writes,
      events: channel.sent,
      injected: faults.counts,
      injectedTotal: faults.total,
      outcomes,
      dlq,
      backfill: {
        listed: counts.listed,
        repaired: counts.new + counts.changed + counts.retried + counts.reparsed,
        verified: counts.verified,
        deleted: counts.deleted,
        failed: counts.failed,
      },
      beforeRepair,
      verdict,
    };
  } finally {
    for (const runner of runners) await runner.stop().catch(() => {});
    await emulator.stop();
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  }
}

/** One Lambda-like worker: its own connection, the real batch handler, faulty S3 and a clock that can run out. */
async function startWorker(
  emulator: RunningEmulator,
  databaseUrl: string,
  pools: pg.Pool[],
  context: {
    random: Random;
    rates: FaultRates;
    faults: FaultCounter;
    outcomes: Record<string, number>;
    rewriteBeforeRead: (key: string) => Promise<boolean>;
    killer: pg.Pool;
  },
): Promise<QueueRunner> {
  const pool = createPool({ connectionString: databaseUrl, max: 1 });
  pools.push(pool);
  const deps = {
    store: new ObjectStore(pool, { lockTimeoutMs: 2_000 }),
    reader: faultyReader(createObjectReader(emulator.s3), { ...context, rewrite: context.rewriteBeforeRead }),
    log: silentLogger,
    maxLineBytes: 64 * 1024 * 1024,
    timeReserveMs: 500,
    maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
  };
  return startQueueRunner({
    sqs: emulator.sqs,
    queueUrl: emulator.queueUrl,
    queueArn: emulator.queueArn,
    region: emulator.region,
    waitTimeSeconds: 1,
    functionTimeoutMs: FUNCTION_TIMEOUT_MS,
    handler: async (event: SQSEvent, lambda: Context) => {
      // Lambda time running out mid-batch: after the first record, the clock says there is none left.
      const cut = event.Records.length > 1 && context.faults.roll('lambda-time-out', context.random, context.rates.timeOut);
      if (cut) context.faults.hit('lambda-time-out');
      let started = 0;
      const clock = {
        awsRequestId: lambda.awsRequestId,
        getRemainingTimeInMillis: () => (cut && started++ >= 1 ? 0 : lambda.getRemainingTimeInMillis()),
      };
      const response = await processSqsBatch(event, clock, deps);
      for (const result of response.results) {
        const statuses = result.ok ? result.outcomes : ['failed-retried'];
        for (const status of statuses) context.outcomes[status] = (context.outcomes[status] ?? 0) + 1;
      }
      return { batchItemFailures: response.batchItemFailures };
    },
  });
}

async function mutate(bucket: ChaosBucket, random: Random, faults: FaultCounter, rates: FaultRates): Promise<void> {
  const object: ModelObject = random.pick(bucket.sessionKeys());
  if (object.content === null) {
    await bucket.create(object);
    return;
  }
  if (faults.roll('ingested-prefix-rewritten', random, rates.rewritePrefix)) {
    faults.hit('ingested-prefix-rewritten');
    await bucket.scrub(object);
    return;
  }
  const roll = random.next();
  if (roll < 0.45) await bucket.grow(object);
  else if (roll < 0.6) await bucket.rewrite(object);
  else if (roll < 0.75) await bucket.replace(object);
  else await bucket.delete(object);
}

async function visibleMessages(emulator: RunningEmulator, queueUrl: string): Promise<number> {
  const result = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(result.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export function summaryLine(report: ChaosReport): string {
  const { verdict } = report;
  return (
    `chaos: objects=${report.objects} events=${report.events} injected=${report.injectedTotal} ` +
    `lost=${verdict.lost.length} duplicated=${verdict.duplicated.length} stale=${verdict.stale.length} misbilled=${verdict.misbilled.length} dlq=${report.dlq} seed=${report.seed}`
  );
}
