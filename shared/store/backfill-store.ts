import type pg from 'pg';
import { translatePgError } from './errors.js';
import type { ObjectState } from './object-store.js';
import { SCHEMA } from './schema.js';

/**
 * The backfill's own SQL: the per-prefix lease, the run row, and the one query per listing page that compares
 * the page with the `objects` table. The objects themselves are written by the ingest path (ObjectStore).
 *
 * Round trips per page are fixed: one `comparePage`, one `recordPage` (progress and lease renewal together).
 */

export type RunMode = 'ingest' | 'enqueue';
export type RunStatus = 'running' | 'finished' | 'paused' | 'failed' | 'abandoned';

export interface StoredState {
  etag: string | null;
  state: ObjectState;
  parserVersion: string | null;
  agent: string | null;
  kind: string;
  sequencer: string | null;
  /**
   * A session stored at this ETag whose rows are not known to come from its bytes: partly read by a delta and
   * not checked since, or stored before the ranges were recorded (migration 010).
   */
  unverified?: boolean;
}

export interface ComparedPage<T extends { key: string }> {
  /** Every listed object with what the table holds for it (null: never seen). */
  listed: Array<{ object: T; stored: StoredState | null }>;
  /** Rows in the page's key range that the listing no longer shows, not yet deleted, untouched since `touchedBefore`. */
  gone: Array<{ key: string; stored: StoredState }>;
}

export interface PageRange {
  bucket: string;
  prefix: string;
  /** The page covers keys after this one (exclusive); null: from the start of the prefix. */
  after: string | null;
  /** …up to this one (inclusive); null: to the end of the prefix (the last page). */
  through: string | null;
  /** Only rows unchanged since this database time count as gone (see migration 002). */
  touchedBefore: Date;
}

export type RunCounter =
  | 'listed' | 'new' | 'changed' | 'unchanged' | 'deleted' | 'reparsed' | 'retried' | 'enqueued' | 'ingested' | 'failed' | 'bytes' | 'verified';
export type RunCounts = Record<RunCounter, number>;

export const RUN_COUNTERS: readonly RunCounter[] = [
  'listed', 'new', 'changed', 'unchanged', 'deleted', 'reparsed', 'retried', 'enqueued', 'ingested', 'failed', 'bytes', 'verified',
];

export function emptyRunCounts(): RunCounts {
  return Object.fromEntries(RUN_COUNTERS.map((counter) => [counter, 0])) as RunCounts;
}

export interface ListingPosition {
  token: string | null;
  /** Last key compared; the next page's range starts after it. */
  startAfter: string | null;
}

export type StartResult =
  | { started: true; runId: number; resumedFrom: number | null; position: ListingPosition; now: Date }
  | { started: false; holder: string; runId: number; expiresAt: Date };

export class BackfillStore {
  constructor(private readonly db: Pick<pg.Pool, 'query' | 'connect'>) {}

  /**
   * Takes the prefix's lease (free, or expired) and opens a run row, in one transaction; when another run
   * holds an unexpired lease nothing is written and its holder is returned. A run that ended without finishing
   * (paused for time, killed, failed mid-listing) is resumed from its saved position.
   */
  async start(input: { bucket: string; prefix: string; mode: RunMode; holder: string; leaseMs: number }): Promise<StartResult> {
    const client = await this.db.connect().catch((error: unknown) => {
      throw translatePgError(error);
    });
    try {
      await client.query('BEGIN');
      const previous = await client.query<{ id: string; status: RunStatus; continuation_token: string | null; start_after: string | null }>(
        `SELECT id, status, continuation_token, start_after FROM ${SCHEMA}.backfill_runs
         WHERE bucket = $1 AND prefix = $2 ORDER BY id DESC LIMIT 1`,
        [input.bucket, input.prefix],
      );
      const last = previous.rows[0];
      const resumable = last !== undefined && last.status !== 'finished' && (last.continuation_token !== null || last.start_after !== null);
      const run = await client.query<{ id: string; now: Date }>(
        `INSERT INTO ${SCHEMA}.backfill_runs (bucket, prefix, mode, holder, resumed_from, continuation_token, start_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, now() AS now`,
        [
          input.bucket,
          input.prefix,
          input.mode,
          input.holder,
          resumable ? last.id : null,
          resumable ? last.continuation_token : null,
          resumable ? last.start_after : null,
        ],
      );
      const row = run.rows[0];
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
      const lease = await client.query<{ previous_run: string | null }>(
        `WITH before AS (SELECT run_id FROM ${SCHEMA}.backfill_leases WHERE bucket = $1 AND prefix = $2)
         INSERT INTO ${SCHEMA}.backfill_leases AS l (bucket, prefix, run_id, holder, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000))
         ON CONFLICT (bucket, prefix) DO UPDATE SET run_id = EXCLUDED.run_id, holder = EXCLUDED.holder,
           acquired_at = now(), expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
         RETURNING (SELECT run_id FROM before) AS previous_run`,
        [input.bucket, input.prefix, row.id, input.holder, input.leaseMs],
      );
      const taken = lease.rows[0];
      if (taken === undefined) {
        await client.query('ROLLBACK');
        const held = await client.query<{ holder: string; run_id: string; expires_at: Date }>(
          `SELECT holder, run_id, expires_at FROM ${SCHEMA}.backfill_leases WHERE bucket = $1 AND prefix = $2`,
          [input.bucket, input.prefix],
        );
        const holder = held.rows[0];
        return { started: false, holder: holder?.holder ?? 'unknown', runId: Number(holder?.run_id ?? 0), expiresAt: holder?.expires_at ?? new Date(0) };
      }
      if (taken.previous_run !== null) {
        await client.query(
          `UPDATE ${SCHEMA}.backfill_runs SET status = 'abandoned', finished_at = now(),
             error = coalesce(error, 'lease expired before the run finished') WHERE id = $1 AND status = 'running'`,
          [taken.previous_run],
        );
      }
      await client.query('COMMIT');
      return {
        started: true,
        runId: Number(row.id),
        resumedFrom: resumable ? Number(last.id) : null,
        position: resumable ? { token: last.continuation_token, startAfter: last.start_after } : { token: null, startAfter: null },
        now: row.now,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw translatePgError(error);
    } finally {
      client.release();
    }
  }

  /** One query: the stored state of every listed key, and the rows of the page's range the listing lacks. */
  async comparePage<T extends { key: string; etag: string }>(range: PageRange, objects: readonly T[]): Promise<ComparedPage<T>> {
    const result = await this.db
      .query<{
        side: 'listed' | 'gone';
        i: number | null;
        key: string;
        etag: string | null;
        state: ObjectState | null;
        parser_version: string | null;
        agent: string | null;
        kind: string | null;
        sequencer: string | null;
        unverified: boolean | null;
      }>(
        `WITH listed AS (SELECT * FROM unnest($3::text[]) WITH ORDINALITY AS l(key, i))
         SELECT 'listed' AS side, l.i::int AS i, l.key, o.etag, o.state, o.parser_version, o.agent, o.kind, o.sequencer,
           o.state = 'ingested' AND o.kind IN ('session', 'subagent') AND NOT EXISTS (
             SELECT 1 FROM ${SCHEMA}.ingested_ranges r WHERE r.uri = o.uri AND r.etag = o.etag AND r.verified) AS unverified
         FROM listed l LEFT JOIN ${SCHEMA}.objects o ON o.uri = 's3://' || $1 || '/' || l.key
         UNION ALL
         SELECT 'gone', NULL, o.key, o.etag, o.state, o.parser_version, o.agent, o.kind, o.sequencer, false
         FROM ${SCHEMA}.objects o
         WHERE o.bucket = $1 AND starts_with(o.key, $2)
           AND ($4::text IS NULL OR o.key COLLATE "C" > $4::text COLLATE "C")
           AND ($5::text IS NULL OR o.key COLLATE "C" <= $5::text COLLATE "C")
           AND o.state <> 'deleted' AND o.updated_at < $6
           AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.key = o.key)`,
        [range.bucket, range.prefix, objects.map((object) => object.key), range.after, range.through, range.touchedBefore],
      )
      .catch((error: unknown) => {
        throw translatePgError(error);
      });
    const page: ComparedPage<T> = { listed: [], gone: [] };
    const storedByIndex = new Map<number, StoredState | null>();
    for (const row of result.rows) {
      const stored =
        row.state === null || row.kind === null
          ? null
          : {
              etag: row.etag,
              state: row.state,
              parserVersion: row.parser_version,
              agent: row.agent,
              kind: row.kind,
              sequencer: row.sequencer,
              unverified: row.unverified === true,
            };
      if (row.side === 'listed' && row.i !== null) storedByIndex.set(row.i - 1, stored);
      else if (stored !== null) page.gone.push({ key: row.key, stored });
    }
    objects.forEach((object, index) => page.listed.push({ object, stored: storedByIndex.get(index) ?? null }));
    return page;
  }

  /**
   * One query after each page: adds the page's counts, saves where the listing resumes, and renews the lease
   * (never past `leaseUntil`, the run's own end). Returns the database time, or null when the lease was lost
   * (it expired and another run took the prefix): the run must stop.
   */
  async recordPage(runId: number, counts: RunCounts, position: ListingPosition, leaseMs: number): Promise<Date | null> {
    const sets = RUN_COUNTERS.map((counter, index) => `${quoteCounter(counter)} = ${quoteCounter(counter)} + $${index + 4}`);
    const result = await this.db
      .query<{ now: Date }>(
        `WITH run AS (
           UPDATE ${SCHEMA}.backfill_runs SET pages = pages + 1, ${sets.join(', ')},
             continuation_token = $2, start_after = $3
           WHERE id = $1 RETURNING id)
         UPDATE ${SCHEMA}.backfill_leases SET expires_at = now() + make_interval(secs => $${RUN_COUNTERS.length + 4}::double precision / 1000)
         WHERE run_id = (SELECT id FROM run) RETURNING now() AS now`,
        [runId, position.token, position.startAfter, ...RUN_COUNTERS.map((counter) => counts[counter]), leaseMs],
      )
      .catch((error: unknown) => {
        throw translatePgError(error);
      });
    return result.rows[0]?.now ?? null;
  }

  /** Extends the lease while one page takes long to act on; false when the lease was lost. */
  async renewLease(runId: number, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .query(
        `UPDATE ${SCHEMA}.backfill_leases SET expires_at = now() + make_interval(secs => $2::double precision / 1000)
         WHERE run_id = $1`,
        [runId, leaseMs],
      )
      .catch((error: unknown) => {
        throw translatePgError(error);
      });
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * Closes the run and gives the lease back. A paused run keeps its position for the next run to resume. A finished
   * run also writes the search rows of tool calls an ingest committed but did not index (the worker died between
   * the commit and its follow-up step, migration 011): the catch-up that step's comment promises. Returns how many.
   */
  async finish(runId: number, status: Exclude<RunStatus, 'running' | 'abandoned'>, error: string | null): Promise<number> {
    const result = await this.db
      .query<{ indexed: string | null }>(
        `WITH released AS (DELETE FROM ${SCHEMA}.backfill_leases WHERE run_id = $1),
              indexed AS (SELECT CASE WHEN $2 = 'finished' THEN ${SCHEMA}.index_tool_call_search(NULL) ELSE 0 END AS n)
         UPDATE ${SCHEMA}.backfill_runs SET status = $2, finished_at = now(), error = $3,
           continuation_token = CASE WHEN $2 = 'finished' THEN NULL ELSE continuation_token END,
           start_after = CASE WHEN $2 = 'finished' THEN NULL ELSE start_after END
         WHERE id = $1
         RETURNING (SELECT n FROM indexed) AS indexed`,
        [runId, status, error],
      )
      .catch((failure: unknown) => {
        throw translatePgError(failure);
      });
    return Number(result.rows[0]?.indexed ?? 0);
  }

  /** The database's clock: a dry run, which has no run row, dates its pages with it. */
  async now(): Promise<Date> {
    const result = await this.db.query<{ now: Date }>('SELECT now() AS now').catch((error: unknown) => {
      throw translatePgError(error);
    });
    return result.rows[0]?.now ?? new Date();
  }
}

function quoteCounter(counter: RunCounter): string {
  // `new` is a reserved word.
  return `"${counter}"`;
}
