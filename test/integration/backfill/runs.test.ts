import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgressWriter } from '../../../cli/backfill-progress.js';
import { enqueueOnIngestQueue } from '../../../shared/backfill/actions.js';
import type { BackfillProgress } from '../../../shared/backfill/reconcile.js';
import { runScheduledBackfill } from '../../../shared/backfill/scheduled.js';
import { silentLogger } from '../../../shared/log.js';
import { createObjectLister, type ObjectLister } from '../../../shared/s3/listing.js';
import { BackfillStore } from '../../../shared/store/backfill-store.js';
import { backfillHarness, type BackfillHarness } from '../../support/backfill.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The run mechanics of the backfill on the real emulator and Postgres: one run per prefix (lease), a run that
 * dies is resumed once its lease expires, a scheduled run out of time pauses and the next one finishes, and a
 * large listing costs a fixed number of statements per page.
 */

const NOTIFICATIONS_OFF = { prefix: 'notifications-are-off/' };

async function putMany(stack: IngestStack, keys: string[], concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        if (key === undefined) return;
        await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: `not a session: ${key}` }));
      }
    }),
  );
}

/** A lister that hands over `pages` pages, then fails as a process killed mid-listing would stop. */
function dyingAfter(lister: ObjectLister, pages: number): ObjectLister {
  let served = 0;
  return {
    async listPage(input) {
      if (served++ >= pages) throw new Error('killed');
      return lister.listPage(input);
    },
  };
}

async function runRows(stack: IngestStack) {
  const result = await stack.pool.query(
    `SELECT id::int, status, resumed_from::int, listed, "new", unchanged, continuation_token IS NOT NULL AS has_token
     FROM sessionlake.backfill_runs ORDER BY id`,
  );
  return result.rows;
}

describe('one backfill at a time per prefix', () => {
  let stack: IngestStack;
  let harness: BackfillHarness;
  const keys = Array.from({ length: 30 }, (_, i) => `m/raw/claude/-p/file-${String(i).padStart(3, '0')}.txt`);

  beforeAll(async () => {
    stack = await startIngestStack({ emulator: { filter: NOTIFICATIONS_OFF } });
    harness = backfillHarness(stack);
    await putMany(stack, keys);
  });

  afterAll(() => stack?.stop());

  it('a second run finds the first one\'s lease, names its holder and touches nothing', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstPageAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      firstPageAsked = resolve;
    });
    const lister = createObjectLister(stack.emulator.s3);
    const slow: ObjectLister = {
      async listPage(input) {
        firstPageAsked();
        await held;
        return lister.listPage(input);
      },
    };
    const first = harness.run({ lister: slow, holder: 'first worker' });
    await asked;

    const second = await harness.run({ holder: 'second worker' });

    expect(second).toMatchObject({ status: 'busy', holder: 'first worker' });
    expect(await runRows(stack)).toHaveLength(1);
    release();
    expect(await first).toMatchObject({ status: 'finished', counts: { listed: 30, new: 30, ingested: 30 } });
    expect(await runRows(stack)).toEqual([{ id: expect.any(Number), status: 'finished', resumed_from: null, listed: 30, new: 30, unchanged: 0, has_token: false }]);
  });

  it('a run killed mid-way keeps its lease until it expires; the next run then resumes where it stopped', async () => {
    await putMany(stack, Array.from({ length: 10 }, (_, i) => `m/raw/claude/-p/later-${i}.txt`));
    // A store whose run never gets to finish(): the process died, the lease row stays behind.
    const dying = new BackfillStore(stack.pool);
    dying.finish = async () => 0;

    const killed = await harness.run({ lister: dyingAfter(createObjectLister(stack.emulator.s3), 2), store: dying, pageSize: 10, leaseMs: 1_000 });
    const busy = await harness.run({ pageSize: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const resumed = await harness.run({ pageSize: 10 });

    expect(killed).toMatchObject({ status: 'failed', counts: { listed: 20 } });
    expect(busy).toMatchObject({ status: 'busy' });
    // 40 keys in all; the killed run compared the first 20 (2 pages of 10), so the resumed one lists the other 20.
    expect(resumed).toMatchObject({ status: 'finished', resumedFrom: killed.status === 'busy' ? -1 : killed.runId, counts: { listed: 20 } });
    const rows = await runRows(stack);
    expect(rows.slice(1).map((row) => [row.status, row.listed])).toEqual([
      ['abandoned', 20],
      ['finished', 20],
    ]);
    const landed = await stack.pool.query(`SELECT count(*)::int AS n FROM sessionlake.objects WHERE key LIKE 'm/raw/claude/-p/later-%' AND state = 'skipped'`);
    expect(landed.rows[0]?.n).toBe(10);
  });
});

describe('the scheduled backfill', () => {
  let stack: IngestStack;
  const keys = Array.from({ length: 25 }, (_, i) => `box/raw/claude/-q/s-${String(i).padStart(2, '0')}.jsonl`);

  beforeAll(async () => {
    stack = await startIngestStack({ emulator: { filter: NOTIFICATIONS_OFF } });
    await putMany(stack, keys);
  });

  afterAll(() => stack?.stop());

  it('stops listing when its time runs short, saves where it was, and the next call finishes the listing', async () => {
    const deps = {
      store: new BackfillStore(stack.pool),
      lister: createObjectLister(stack.emulator.s3),
      ingest: stack.deps,
      actions: enqueueOnIngestQueue(stack.emulator.sqs, stack.emulator.queueUrl, stack.emulator.region, silentLogger),
      log: silentLogger,
      holder: 'lambda r1',
      leaseMs: 60_000,
    };
    // Time enough for two pages of the default size 1000 would be everything; pages of 10 make three.
    let pagesAllowed = 2;
    const target = { bucket: stack.emulator.bucket, prefix: 'box/' };
    const withPages = (allowed: () => number) => ({ ...deps, timeLeftMs: () => (allowed() > 0 ? 60_000 : 0) });
    const lister = deps.lister;
    let served = 0;
    const counting: ObjectLister = {
      async listPage(input) {
        served += 1;
        pagesAllowed -= 1;
        return lister.listPage({ ...input, maxKeys: 10 });
      },
    };

    const first = await runScheduledBackfill([target], { ...withPages(() => pagesAllowed), lister: counting });
    pagesAllowed = 100;
    const second = await runScheduledBackfill([target], { ...withPages(() => pagesAllowed), lister: counting });

    expect(first.results[0]?.result).toMatchObject({ status: 'paused', counts: { listed: 20, new: 20, enqueued: 20 } });
    expect(second.results[0]?.result).toMatchObject({ status: 'finished', counts: { listed: 5, new: 5, enqueued: 5 } });
    expect(served).toBe(3);
    const rows = await runRows(stack);
    expect(rows.map((row) => [row.status, row.listed, row.has_token])).toEqual([
      ['paused', 20, true],
      ['finished', 5, false],
    ]);
    expect(rows[1]?.resumed_from).toBe(rows[0]?.id);
    // The work went to the ingest queue as S3 notifications, one per new key.
    const bodies: string[] = [];
    for (;;) {
      const received = await stack.emulator.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.emulator.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!received.Messages?.length) break;
      bodies.push(...received.Messages.map((message) => message.Body ?? ''));
    }
    const enqueuedKeys = bodies.map((body) => decodeURIComponent((JSON.parse(body).Records[0].s3.object.key as string).replace(/\+/g, ' '))).sort();
    expect(enqueuedKeys).toEqual(keys);
  });

  it('the Lambda adapter runs it from its environment', async () => {
    const env = {
      DATABASE_URL: stack.database.url,
      SESSIONLAKE_BACKFILL_PREFIXES: `s3://${stack.emulator.bucket}/box/`,
      SESSIONLAKE_INGEST_QUEUE_URL: stack.emulator.queueUrl,
      AWS_ENDPOINT_URL_S3: stack.emulator.endpoint,
      AWS_ENDPOINT_URL_SQS: stack.emulator.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: stack.emulator.region,
      SESSIONLAKE_LOG_LEVEL: 'error',
    };
    const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    try {
      const { handler } = await import('../../../functions/backfill/handler.js');
      const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 120_000 } as unknown as Context;

      const report = await handler({} as never, context);

      expect(report.results).toEqual([
        { prefix: `s3://${stack.emulator.bucket}/box/`, result: expect.objectContaining({ status: 'finished', counts: expect.objectContaining({ listed: 25, new: 25, enqueued: 25 }) }) },
      ]);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('a listing of 20 000 keys', () => {
  let stack: IngestStack;
  let harness: BackfillHarness;
  const KEYS = 20_000;

  beforeAll(async () => {
    stack = await startIngestStack({ emulator: { filter: NOTIFICATIONS_OFF } });
    harness = backfillHarness(stack);
    const keys = Array.from({ length: KEYS }, (_, i) => `bulk/raw/claude/-p/k${String(i).padStart(5, '0')}.txt`);
    stack.emulator.seedObjects(keys.map((key) => ({ key, body: `not a session: ${key}` })));
  }, 300_000);

  afterAll(() => stack?.stop());

  it('completes with the right counts, a progress line per page, and two statements per page', async () => {
    const lines: string[] = [];
    const writer = createProgressWriter({ write: (text: string) => lines.push(text), isTTY: false }, { intervalMs: 0 });
    const seen: BackfillProgress[] = [];

    const first = await harness.run({ onProgress: (progress) => { seen.push({ ...progress, counts: { ...progress.counts } }); writer.update(progress); } });
    harness.queries.count = 0;
    stack.getObjectKeys.length = 0;
    const second = await harness.run();

    expect(first).toMatchObject({ status: 'finished', pages: 20, counts: { listed: KEYS, new: KEYS, ingested: KEYS, failed: 0 } });
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(/^s3:\/\/[^ ]+\/: 1,000 keys listed \(1 page\)/);
    expect(lines[19]).toMatch(/20,000 keys listed \(20 pages, complete\) · 20,000\/20,000 objects done/);
    expect(seen.map((progress) => progress.counts.listed)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 1000));
    expect(second).toMatchObject({ status: 'finished', pages: 20, counts: { listed: KEYS, unchanged: KEYS, new: 0, ingested: 0 } });
    // Start (on its own connection) and finish are one statement each beside the pages: compare + record per page.
    expect(harness.queries.count).toBe(20 * 2 + 1);
    expect(stack.getObjectKeys).toEqual([]);
  }, 300_000);
});
