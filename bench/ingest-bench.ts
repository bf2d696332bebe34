/**
 * End-to-end parts of `npm run bench`: the local stack (S3+SQS emulator with its notification bridge, the queue
 * runner calling the real batch handler, a real Postgres) fed by uploads, and the baselines measured on the
 * same machine in the same run.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import { startEmulator, type RunningEmulator } from '../infra/local/emulator.js';
import { startQueueRunner, type QueueRunner } from '../infra/local/queue-runner.js';
import { processSqsBatch, type BatchDependencies } from '../shared/ingest/sqs-batch.js';
import { readLines } from '../shared/lines/line-reader.js';
import { silentLogger } from '../shared/log.js';
import { createObjectReader, type ObjectReader } from '../shared/s3/object-reader.js';
import { runMigrations } from '../shared/store/migrate.js';
import { ObjectStore } from '../shared/store/object-store.js';
import { createPool } from '../shared/store/pool.js';
import type { InsertMethod } from '../shared/store/row-inserts.js';
import type { CorpusObject } from './corpus.js';

export interface FetchStats {
  gets: number;
  bytes: number;
  /** Time spent inside the batch handler (what the Lambda would be billed for), summed over batches. */
  handlerMs: number;
}

export interface BenchStack {
  emulator: RunningEmulator;
  databaseUrl: string;
  pool: pg.Pool;
  runner: QueueRunner;
  startRunner(): Promise<QueueRunner>;
  fetched: FetchStats;
  stop(): Promise<void>;
}

/** Counts every GET and every byte read from S3 by the write path. */
function countingReader(inner: ObjectReader, stats: FetchStats): ObjectReader {
  const counted = async (opened: Awaited<ReturnType<ObjectReader['open']>>) => {
    stats.gets += 1;
    async function* body(): AsyncGenerator<Uint8Array> {
      for await (const chunk of opened.body) {
        stats.bytes += chunk.length;
        yield chunk;
      }
    }
    return { ...opened, body: body() };
  };
  return {
    head: (bucket, key) => inner.head(bucket, key),
    open: async (bucket, key, etag) => counted(await inner.open(bucket, key, etag)),
    openFrom: async (bucket, key, etag, start) => counted(await inner.openFrom(bucket, key, etag, start)),
  };
}

export async function createBenchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  // BENCH_DATABASE_TAG: a word in the database's name, to tell whose bench database it is on a shared server.
  const tag = (process.env['BENCH_DATABASE_TAG'] ?? '').replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const name = `sessionlake_bench_${tag === '' ? '' : `${tag}_`}${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      // BENCH_KEEP_DATABASE=1: left for a look at plans afterwards (drop it by hand).
      if (process.env['BENCH_KEEP_DATABASE'] === '1') {
        process.stderr.write(`kept database ${name}\n`);
        return;
      }
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** `concurrency`: batches the queue runner runs at once, as `npm start` does (infra/local/dev-stack.ts). */
export async function startBenchStack(adminUrl: string, insertMethod: InsertMethod, concurrency = 1): Promise<BenchStack> {
  const database = await createBenchDatabase(adminUrl);
  await runMigrations(database.url);
  await trackFunctions(database.url);
  // Notifications only for the corpus (machine `bench`): the large object is ingested by a child process alone.
  const emulator = await startEmulator({
    port: 0,
    bucket: 'bench-raw',
    queueName: `bench-ingest-${randomBytes(3).toString('hex')}`,
    filter: [{ prefix: 'bench/' }, { prefix: 'drain/' }, { prefix: 'billing-' }],
  });
  const pool = createPool({ connectionString: database.url, max: Math.max(2, concurrency) });
  const fetched: FetchStats = { gets: 0, bytes: 0, handlerMs: 0 };
  const deps: BatchDependencies = {
    store: new ObjectStore(pool, { lockTimeoutMs: 30_000, writer: { insertMethod } }),
    reader: countingReader(createObjectReader(emulator.s3), fetched),
    log: silentLogger,
    maxLineBytes: 64 * 1024 * 1024,
    timeReserveMs: 1_000,
    maxReceiveCount: 5,
  };
  const startRunner = () =>
    startQueueRunner({
      sqs: emulator.sqs,
      queueUrl: emulator.queueUrl,
      queueArn: emulator.queueArn,
      region: emulator.region,
      handler: (event, context) => processSqsBatch(event, context, deps),
      concurrency,
      idle: () => emulator.bridge.idle(),
      functionTimeoutMs: 900_000,
      visibilityTimeoutSeconds: 900,
      waitTimeSeconds: 1,
      onBatch: (progress) => {
        fetched.handlerMs += progress.durationMs;
      },
    });
  const runner = await startRunner();
  const stack: BenchStack = {
    emulator,
    databaseUrl: database.url,
    pool,
    runner,
    startRunner,
    fetched,
    async stop() {
      await stack.runner.stop();
      await pool.end();
      await emulator.stop();
      await database.drop();
    },
  };
  return stack;
}

/** Uploads 4 at a time (`aws s3 sync` runs 10 requests at once; 4 suit a shared 2-core machine). */
export async function upload(stack: BenchStack, objects: { key: string; bytes: Buffer }[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < objects.length; index = next++) {
      const object = objects[index];
      if (object === undefined) return;
      await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: object.key, Body: object.bytes }));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** A large object in 8 MiB parts, as `aws s3 cp` uploads it (the emulator takes at most 11 MiB per request). */
export async function uploadLarge(stack: BenchStack, key: string, bytes: Buffer): Promise<void> {
  const { s3, bucket } = stack.emulator;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { ETag: string; PartNumber: number }[] = [];
  const partSize = 8 * 1024 * 1024;
  for (let offset = 0, number = 1; offset < bytes.length; offset += partSize, number += 1) {
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: number, Body: bytes.subarray(offset, offset + partSize) }),
    );
    parts.push({ ETag: ETag ?? '', PartNumber: number });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

export interface Timed {
  ms: number;
  /** CPU time of this process (handler, emulator and upload client together). */
  cpuMs: number;
}

export async function timed(work: () => Promise<void>): Promise<Timed> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Uploads the objects and waits until every notification is handled: what a user waits for. */
export async function syncAndIngest(stack: BenchStack, objects: { key: string; bytes: Buffer }[]): Promise<Timed & FetchStats> {
  const before = { ...stack.fetched };
  const time = await timed(async () => {
    await upload(stack, objects);
    await stack.runner.drain({ pollMs: 20 });
  });
  return {
    ...time,
    gets: stack.fetched.gets - before.gets,
    bytes: stack.fetched.bytes - before.bytes,
    handlerMs: stack.fetched.handlerMs - before.handlerMs,
  };
}

/**
 * The ingester's own cost: the objects are uploaded while no runner polls, and only the draining of the queue
 * that follows is timed (the emulator shares this process, so uploads would otherwise slow the handler down).
 */
export async function uploadThenIngest(stack: BenchStack, objects: { key: string; bytes: Buffer }[]): Promise<Timed & FetchStats> {
  await stack.runner.stop();
  // Stopping aborts the runner's long poll on our side only: the emulator would still hand the first uploads'
  // messages to that poll (and hide them for the visibility timeout). Let it run out first.
  await sleep(1_500);
  await upload(stack, objects);
  await stack.emulator.bridge.idle();
  const before = { ...stack.fetched };
  const time = await timed(async () => {
    stack.runner = await stack.startRunner();
    await stack.runner.drain({ pollMs: 20 });
  });
  return {
    ...time,
    gets: stack.fetched.gets - before.gets,
    bytes: stack.fetched.bytes - before.bytes,
    handlerMs: stack.fetched.handlerMs - before.handlerMs,
  };
}

/**
 * Time spent in the database's functions (the billing triggers, the search step), for functionTimes. Needs a
 * superuser (track_functions is one's setting); without one the bench prints no function times.
 */
async function trackFunctions(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE ${client.escapeIdentifier(new URL(url).pathname.slice(1))} SET track_functions = 'all'`);
  } catch {
    // not a superuser: no function times
  } finally {
    await client.end();
  }
}

export type FunctionTimes = Map<string, { calls: number; totalMs: number; selfMs: number }>;

/**
 * Calls and time (total, and self: less the functions it called) of each sessionlake function so far. Backends
 * report their counts when idle at most every 10 s (Postgres 15), so this waits that long first.
 */
export async function functionTimes(pool: pg.Pool): Promise<FunctionTimes> {
  await sleep(11_000);
  const result = await pool.query<{ funcname: string; calls: string; total_time: number; self_time: number }>(
    `SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions WHERE schemaname = 'sessionlake'`,
  );
  return new Map(result.rows.map((row) => [row.funcname, { calls: Number(row.calls), totalMs: row.total_time, selfMs: row.self_time }]));
}

/** What the functions took between two readings, most total time first. */
export function functionTimesBetween(before: FunctionTimes, after: FunctionTimes): { name: string; calls: number; totalMs: number; selfMs: number }[] {
  return [...after.entries()]
    .map(([name, now]) => {
      const then = before.get(name) ?? { calls: 0, totalMs: 0, selfMs: 0 };
      return { name, calls: now.calls - then.calls, totalMs: now.totalMs - then.totalMs, selfMs: now.selfMs - then.selfMs };
    })
    .filter((entry) => entry.calls > 0)
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** The triggers that decide billing and move the rollups (migration 012): off, the write path writes rows only. */
const BILLING_TRIGGERS = [
  ['messages', 'billing_messages_inserted'],
  ['messages', 'billing_messages_deleted'],
  ['messages', 'billing_messages_updated'],
  ['sessions', 'billing_sessions_updated'],
] as const;

export async function setBillingTriggers(pool: pg.Pool, enabled: boolean): Promise<void> {
  for (const table of ['messages', 'sessions']) {
    const clauses = BILLING_TRIGGERS.filter(([on]) => on === table).map(([, name]) => `${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${name}`);
    await pool.query(`ALTER TABLE sessionlake.${table} ${clauses.join(', ')}`);
  }
}

export async function countRows(pool: pg.Pool): Promise<{ messages: number; toolCalls: number; failed: number }> {
  const result = await pool.query<{ messages: number; tool_calls: number; failed: number }>(
    `SELECT (SELECT count(*)::int FROM sessionlake.messages) AS messages, (SELECT count(*)::int FROM sessionlake.tool_calls) AS tool_calls,
       (SELECT count(*)::int FROM sessionlake.objects WHERE state <> 'ingested') AS failed`,
  );
  const row = result.rows[0];
  return { messages: row?.messages ?? 0, toolCalls: row?.tool_calls ?? 0, failed: row?.failed ?? 0 };
}

/**
 * The floor for a first ingest: GET every object, split its lines and JSON.parse each, and COPY the same rows
 * the ingest stored (exported beforehand, untimed) into tables shaped like ours, indexes included.
 * `readAndParseMs`: the GET + JSON.parse part alone (the bare read of the same bytes).
 */
export async function baselineIngest(stack: BenchStack, corpus: CorpusObject[]): Promise<Timed & { readAndParseMs: number }> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const exported: Record<string, Buffer> = {};
    const lists: Record<string, string> = {};
    for (const table of ['messages', 'tool_calls']) {
      // The partitioned tables (migration 027) are copied out through a query, of the columns COPY FROM takes
      // (not the generated ones).
      const columns = await client.query<{ name: string }>(
        `SELECT quote_ident(column_name) AS name FROM information_schema.columns
         WHERE table_schema = 'sessionlake' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
        [table],
      );
      const list = columns.rows.map((column) => column.name).join(', ');
      const chunks: Buffer[] = [];
      const stream = client.query(pgCopyStreams.to(`COPY (SELECT ${list} FROM sessionlake.${table}) TO STDOUT`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      exported[table] = Buffer.concat(chunks);
      lists[table] = list;
    }
    await client.query('DROP SCHEMA IF EXISTS bench_baseline CASCADE; CREATE SCHEMA bench_baseline');
    await client.query('CREATE TABLE bench_baseline.messages (LIKE sessionlake.messages INCLUDING ALL)');
    await client.query('CREATE TABLE bench_baseline.tool_calls (LIKE sessionlake.tool_calls INCLUDING ALL)');
    const reader = createObjectReader(stack.emulator.s3);
    let readAndParseMs = 0;
    const time = await timed(async () => {
      const started = performance.now();
      for (const object of corpus) {
        const opened = await reader.open(stack.emulator.bucket, object.key, null);
        for await (const line of readLines(opened.body)) if (line.text !== '') JSON.parse(line.text);
      }
      readAndParseMs = performance.now() - started;
      for (const [table, rows] of Object.entries(exported)) {
        await pipeline(Readable.from([rows]), client.query(pgCopyStreams.from(`COPY bench_baseline.${table} (${lists[table]}) FROM STDIN`)));
      }
    });
    return { ...time, readAndParseMs };
  } finally {
    await client.query('DROP SCHEMA IF EXISTS bench_baseline CASCADE').catch(() => undefined);
    await client.end();
  }
}
