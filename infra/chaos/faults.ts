import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { TransientS3Error } from '../../shared/s3/errors.js';
import type { ObjectReader } from '../../shared/s3/object-reader.js';
import type { S3NotificationRecord } from '../local/s3-event.js';
import type { Random } from './random.js';

/**
 * The faults a chaos run injects, each counted when it happens, so a run that injected nothing cannot pass
 * for one that survived everything.
 */

export const FAULT_KINDS = [
  'event-dropped',
  'event-duplicated',
  'event-delayed',
  's3-5xx',
  's3-throttled',
  's3-slow-body',
  's3-broken-body',
  's3-rewrite-before-read',
  'ingested-prefix-rewritten',
  'pg-connection-killed',
  'lambda-time-out',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export class FaultCounter {
  readonly counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  enabled = true;

  hit(kind: FaultKind): void {
    this.counts[kind] += 1;
  }

  /**
   * Whether to inject `kind` now: the first chance of each kind always does (so even a short run shows every
   * kind), later ones at `rate`.
   */
  roll(kind: FaultKind, random: Random, rate: number): boolean {
    if (!this.enabled) return false;
    return this.counts[kind] === 0 || random.chance(rate);
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}

export interface FaultRates {
  dropEvent: number;
  duplicateEvent: number;
  delayEvent: number;
  s3Error: number;
  slowBody: number;
  brokenBody: number;
  rewriteBeforeRead: number;
  /** Of the writes: bytes already uploaded (and mostly ingested) edited in place, then the log grows. */
  rewritePrefix: number;
  killConnection: number;
  timeOut: number;
}

export const DEFAULT_RATES: FaultRates = {
  dropEvent: 0.08,
  duplicateEvent: 0.15,
  delayEvent: 0.15,
  s3Error: 0.05,
  slowBody: 0.05,
  brokenBody: 0.04,
  rewriteBeforeRead: 0.03,
  rewritePrefix: 0.1,
  killConnection: 0.03,
  timeOut: 0.05,
};

/**
 * Between the bucket and the queue: S3 delivers at least once and in no order, and the harness also loses
 * notifications outright (a replaced notification configuration, a queue purged): dropped, duplicated, held
 * back and released later (so a newer event of a key can arrive before an older one).
 */
export class EventChannel {
  private held: string[] = [];
  sent = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly random: Random,
    private readonly rates: FaultRates,
    private readonly faults: FaultCounter,
  ) {}

  async deliver(record: S3NotificationRecord): Promise<void> {
    const body = JSON.stringify({ Records: [record] });
    if (this.faults.roll('event-dropped', this.random, this.rates.dropEvent)) {
      this.faults.hit('event-dropped');
      return;
    }
    if (this.faults.roll('event-delayed', this.random, this.rates.delayEvent)) {
      this.faults.hit('event-delayed');
      this.held.push(body);
    } else {
      await this.send(body);
    }
    if (this.faults.roll('event-duplicated', this.random, this.rates.duplicateEvent)) {
      this.faults.hit('event-duplicated');
      await this.send(body);
    }
  }

  /** Lets some held events go, in a shuffled order. */
  async releaseSome(): Promise<void> {
    const keep: string[] = [];
    for (const body of this.shuffled(this.held)) {
      if (this.random.chance(0.5)) await this.send(body);
      else keep.push(body);
    }
    this.held = keep;
  }

  async releaseAll(): Promise<void> {
    for (const body of this.shuffled(this.held)) await this.send(body);
    this.held = [];
  }

  private async send(body: string): Promise<void> {
    this.sent += 1;
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }

  private shuffled<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = this.random.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/**
 * S3 as a worker sees it under stress: 5xx and throttling answers, bodies that trickle or break midway, an
 * object rewritten between its event and the read (the GET's If-Match then answers 412), and Postgres
 * connections killed while an object's transaction is open.
 */
export function faultyReader(
  reader: ObjectReader,
  context: {
    random: Random;
    rates: FaultRates;
    faults: FaultCounter;
    /** Rewrites the object through the bucket model (so the truth follows), before the read. */
    rewrite: (key: string) => Promise<boolean>;
    killer: pg.Pool;
  },
): ObjectReader {
  const { random, rates, faults } = context;
  const maybeFail = () => {
    if (faults.roll('s3-5xx', random, rates.s3Error / 2)) {
      faults.hit('s3-5xx');
      throw new TransientS3Error('InternalError: We encountered an internal error. Please try again. (500, injected)');
    }
    if (faults.roll('s3-throttled', random, rates.s3Error / 2)) {
      faults.hit('s3-throttled');
      throw new TransientS3Error('SlowDown: Please reduce your request rate. (503, injected)');
    }
  };
  return {
    async head(bucket, key) {
      maybeFail();
      return reader.head(bucket, key);
    },
    // A delta's ranged read: the same error answers; its body is short, so the body faults stay on full reads.
    async openFrom(bucket, key, etag, start) {
      maybeFail();
      return reader.openFrom(bucket, key, etag, start);
    },
    async open(bucket, key, etag) {
      maybeFail();
      if (faults.roll('s3-rewrite-before-read', random, rates.rewriteBeforeRead) && (await context.rewrite(key))) {
        faults.hit('s3-rewrite-before-read');
      }
      const opened = await reader.open(bucket, key, etag);
      const slow = faults.roll('s3-slow-body', random, rates.slowBody);
      const broken = faults.roll('s3-broken-body', random, rates.brokenBody);
      const kill = faults.roll('pg-connection-killed', random, rates.killConnection);
      if (!slow && !broken && !kill) return opened;
      async function* body(): AsyncGenerator<Uint8Array> {
        let chunks = 0;
        for await (const chunk of opened.body) {
          if (kill && chunks === 0) {
            // Some worker's transaction is open now (this one's, at least): end its backend mid-transaction.
            const killed = await context.killer.query(
              `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
               WHERE application_name = 'sessionlake' AND datname = current_database() AND state LIKE 'idle in transaction%'
               ORDER BY random() LIMIT 1`,
            );
            if (killed.rows[0]?.done === true) faults.hit('pg-connection-killed');
          }
          if (slow) {
            if (chunks === 0) faults.hit('s3-slow-body');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          yield chunk;
          chunks += 1;
          if (broken) {
            faults.hit('s3-broken-body');
            throw new TransientS3Error(`reading s3://${bucket}/${key} failed: socket hang up (injected)`);
          }
        }
      }
      return { ...opened, body: body() };
    },
  };
}
