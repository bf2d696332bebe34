import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStatements } from '../../../bench/analytics-data.js';
import { main } from '../../../cli/main.js';
import { restoreMonth } from '../../../shared/backfill/restore-month.js';
import { handleObject } from '../../../shared/ingest/handle-object.js';
import { silentLogger } from '../../../shared/log.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { createPool } from '../../../shared/store/pool.js';
import { startAnalyticsStack } from '../../support/analytics.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import type { IngestStack } from '../../support/ingest-stack.js';
import { migrationsUpTo } from '../../support/migrations.js';
import { COMPARED_VIEWS, createReferenceViews, differences } from '../../support/reference-usage-views.js';

/**
 * Transcripts partitioned by the session's month (migration 027): converting a database filled by the schema
 * before it keeps every row and every view's answer; dropping a month keeps sessions, billed responses, rollups and
 * costs exactly as they were, also when the month's sessions change afterwards; a month whose billing is not
 * settled is refused; a dropped month comes back from the bucket with the same rows and the same billing.
 */

type Db = pg.Pool | pg.Client;

/** Row count and digest of a relation's rows (the columns given, or all), order-independent; `(SELECT …) x` also works. */
async function digest(db: Db, relation: string, columns = '*'): Promise<{ rows: number; md5: string }> {
  const { rows } = await db.query<{ rows: number; md5: string }>(
    `SELECT count(*)::int AS rows, md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) AS md5
       FROM (SELECT ${columns} FROM ${relation.startsWith('(') ? relation : `sessionlake.${relation}`}) r`,
  );
  return rows[0] as { rows: number; md5: string };
}

/** The columns of a table that existed before migration 027 and are not generated. */
async function storedColumns(db: Db, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = 'sessionlake' AND table_name = $1 AND is_generated = 'NEVER'
        AND column_name NOT IN ('transcript_month', 'transcript_dropped_at') ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => `"${row.name}"`);
}

/** Copies a table's rows (the stored columns both schemas have) from one database to another, with COPY. */
async function copyTable(source: pg.Client, target: pg.Client, table: string): Promise<void> {
  const wanted = new Set(await storedColumns(target, table));
  const columns = (await storedColumns(source, table)).filter((column) => wanted.has(column)).join(', ');
  await pipeline(
    source.query(copyTo(`COPY (SELECT ${columns} FROM sessionlake.${table}) TO STDOUT`)),
    target.query(copyFrom(`COPY sessionlake.${table} (${columns}) FROM STDIN`)),
  );
}

const BILLING = ['billed_responses', 'usage_rollup_daily', 'session_usage', 'usage', 'daily_usage'] as const;

async function billing(db: Db): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const relation of BILLING) out[relation] = await digest(db, relation);
  return out;
}

async function expectSameAsReference(db: Db, label: string): Promise<void> {
  for (const view of COMPARED_VIEWS) {
    const diff = await differences(db, view);
    expect({ view, label, onlyNew: diff.onlyNew, onlyReference: diff.onlyReference }).toEqual({ view, label, onlyNew: [], onlyReference: [] });
    expect(diff.rows, `${label}: ${view} is not empty`).toBeGreaterThan(0);
  }
}

/** What the catalog says the three tables have: triggers, policies, non-key indexes, grants, row security. */
async function shapeOf(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ item: string }>(
    `SELECT 'trigger ' || c.relname || ' ' || t.tgname AS item FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relname IN ('messages', 'tool_calls', 'tool_call_search') AND c.relnamespace = 'sessionlake'::regnamespace AND NOT t.tgisinternal
     UNION ALL
     SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
       FROM pg_policies WHERE schemaname = 'sessionlake' AND tablename IN ('messages', 'tool_calls', 'tool_call_search')
     UNION ALL
     SELECT 'index ' || c.relname || ' ' || i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
      WHERE c.relname IN ('messages', 'tool_calls', 'tool_call_search') AND c.relnamespace = 'sessionlake'::regnamespace AND NOT x.indisprimary
     UNION ALL
     SELECT 'grant ' || c.relname || ' ' || a.grantee::regrole::text || ' ' || a.privilege_type
       FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.relname IN ('messages', 'tool_calls', 'tool_call_search') AND c.relnamespace = 'sessionlake'::regnamespace AND a.grantee <> c.relowner
     UNION ALL
     SELECT 'row security ' || relname || ' ' || relrowsecurity FROM pg_class
      WHERE relname IN ('messages', 'tool_calls', 'tool_call_search') AND relnamespace = 'sessionlake'::regnamespace
     ORDER BY 1`,
  );
  return rows.map((row) => row.item);
}

async function quietly<T>(work: () => Promise<T>): Promise<{ result: T; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await work(), out };
  } finally {
    process.stdout.write = write;
  }
}

let stack: IngestStack;

beforeAll(async () => {
  stack = await startAnalyticsStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('migration 027 on a database filled by migration 024', () => {
  let old: FreshDatabase;
  let source: pg.Client;
  let target: pg.Client;
  const probeRole = `partitions_probe_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    old = await freshDatabase('sessionlake_partitions_inplace');
    await runMigrations(old.url, await migrationsUpTo(24));
    source = new pg.Client({ connectionString: stack.database.url });
    target = new pg.Client({ connectionString: old.url });
    await Promise.all([source.connect(), target.connect()]);
    // The rows the write path made of the fixtures, loaded into the old schema (its billing triggers decide them).
    for (const table of ['objects', 'sessions', 'messages', 'tool_calls', 'tool_call_search', 'secret_findings', 'object_checkpoints', 'ingested_ranges']) {
      await copyTable(source, target, table);
    }
  }, 120_000);

  afterAll(async () => {
    await target?.end();
    await old?.drop();
    await source?.query(`DROP ROLE IF EXISTS ${probeRole}`);
    await source?.end();
  });

  it('keeps every row, every view\'s answer and every trigger, policy, index and grant, and puts each row in its session\'s month', async () => {
    await target.query(`CREATE ROLE ${probeRole} NOLOGIN`);
    await target.query(`GRANT SELECT ON sessionlake.messages, sessionlake.tool_calls TO ${probeRole}`);
    const tables = ['sessions', 'messages', 'tool_calls', 'tool_call_search', 'objects', 'secret_findings', 'billed_responses', 'usage_rollup_daily', 'session_usage'];
    const { rows: views } = await target.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relkind = 'v' AND relnamespace = 'sessionlake'::regnamespace
          AND relname NOT IN ('pipeline_status', 'status_objects', 'status_errors', 'budget_status') ORDER BY 1`,
    );
    const before: Record<string, { rows: number; md5: string }> = {};
    for (const table of tables) before[table] = await digest(target, table, (await storedColumns(target, table)).join(', '));
    for (const { name } of views) before[name] = await digest(target, name);
    const shapeBefore = await shapeOf(target);
    expect(before['messages']?.rows).toBeGreaterThan(100);
    expect(before['billed_responses']?.rows).toBeGreaterThan(10);
    expect(views.map((view) => view.name)).toEqual(expect.arrayContaining(['response_rows', 'search_documents', 'tool_usage', 'usage', 'daily_usage']));

    expect(await runMigrations(old.url)).toEqual(expect.arrayContaining([27]));

    const after: Record<string, { rows: number; md5: string }> = {};
    for (const table of tables) after[table] = await digest(target, table, (await storedColumns(target, table)).join(', '));
    for (const { name } of views) after[name] = await digest(target, name);
    expect(after).toEqual(before);
    // The same triggers, policies, indexes and grants, on the partitioned parents.
    expect(await shapeOf(target)).toEqual(shapeBefore);
    const { rows: kinds } = await target.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class WHERE relname IN ('messages', 'tool_calls', 'tool_call_search') AND relnamespace = 'sessionlake'::regnamespace ORDER BY 1`,
    );
    expect(kinds.map((k) => k.relkind)).toEqual(['p', 'p', 'p']);
    // Every row in its session's month's partition: none in the default or unassigned ones, none off its month.
    const { rows: placement } = await target.query<{ partition: string; off: number; n: number }>(
      `SELECT m.tableoid::regclass::text AS partition, count(*) FILTER (WHERE m.transcript_month <> s.transcript_month)::int AS off, count(*)::int AS n
         FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id GROUP BY 1 ORDER BY 1`,
    );
    expect(placement.length).toBeGreaterThan(0);
    for (const row of placement) {
      expect(row.partition).toMatch(/^sessionlake\.messages_\d{4}_\d{2}$/);
      expect(row.off).toBe(0);
    }
    const { rows: months } = await target.query<{ partition: string; month: string }>(
      `SELECT DISTINCT m.tableoid::regclass::text AS partition, to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY_MM') AS month
         FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id WHERE s.started_at IS NOT NULL`,
    );
    // The month is the session's start (its earliest message): read off started_at independently.
    for (const row of months) expect(row.partition).toBe(`sessionlake.messages_${row.month}`);
  });

  it('bills on the converted schema as the per-query definitions do, also for rows written after the conversion', async () => {
    await createReferenceViews(target);
    await expectSameAsReference(target, 'converted in place');
    // Every object ingested again through the write path into the converted database: same rows, same billing.
    const before = { messages: await digest(target, 'messages'), tool_calls: await digest(target, 'tool_calls'), ...(await billing(target)) };
    const pool = createPool({ connectionString: old.url, max: 2 });
    try {
      const deps = { ...stack.deps, store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }), log: silentLogger };
      const { rows: objects } = await target.query<{ bucket: string; key: string }>(
        `SELECT bucket, key FROM sessionlake.objects WHERE kind IN ('session', 'subagent') AND state = 'ingested' ORDER BY uri`,
      );
      expect(objects.length).toBeGreaterThan(5);
      for (const { bucket, key } of objects) {
        const outcome = await handleObject({ bucket, key, change: 'created', source: 'request', etag: null, size: null, sequencer: null, force: true }, deps);
        expect(outcome.status, key).toBe('ingested');
      }
    } finally {
      await pool.end();
    }
    const after = { messages: await digest(target, 'messages'), tool_calls: await digest(target, 'tool_calls'), ...(await billing(target)) };
    expect(after).toEqual(before);
    await expectSameAsReference(target, 'ingested again after the conversion');
  });
});

describe('retention and restore, on the fixtures ingested through the write path', () => {
  let month: string;
  let ageMonths: number;
  let sessionsOfMonth: string[];

  beforeAll(async () => {
    const { rows } = await stack.pool.query<{ month: string }>(
      `SELECT to_char(min(s.transcript_month), 'YYYY-MM-DD') AS month FROM sessionlake.sessions s
        WHERE EXISTS (SELECT 1 FROM sessionlake.billed_responses b WHERE b.session_id = s.id)`,
    );
    month = rows[0]?.month as string;
    const now = new Date();
    const [year, index] = month.split('-').map(Number) as [number, number];
    // An age that makes this month, and no later one, entirely older than it.
    ageMonths = now.getUTCFullYear() * 12 + now.getUTCMonth() - (year * 12 + index - 1) - 1;
    sessionsOfMonth = (await stack.pool.query<{ id: string }>(
      `SELECT id FROM sessionlake.sessions WHERE transcript_month = $1 ORDER BY id`, [month],
    )).rows.map((row) => row.id);
    expect(sessionsOfMonth.length).toBeGreaterThan(0);
  });

  it('the write path gives each session the month of its earliest message, and every row that month', async () => {
    const { rows } = await stack.pool.query<{ id: string; month: string; earliest: string | null; off: number }>(
      `SELECT s.id, to_char(s.transcript_month, 'YYYY-MM') AS month,
              to_char(min(m."timestamp") AT TIME ZONE 'UTC', 'YYYY-MM') AS earliest,
              count(*) FILTER (WHERE m.transcript_month <> s.transcript_month)::int AS off
         FROM sessionlake.sessions s JOIN sessionlake.messages m ON m.session_id = s.id GROUP BY s.id, s.transcript_month`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      if (row.earliest !== null) expect(row.month, row.id).toBe(row.earliest);
      expect(row.off, row.id).toBe(0);
    }
  });

  it('drops the month\'s transcripts, keeps sessions, billed responses, rollups and costs exactly, and restores it from the bucket', async () => {
    const url = stack.database.url;
    const partition = `messages_${month.slice(0, 7).replace('-', '_')}`;
    const rowsOfMonth = `(SELECT * FROM sessionlake.messages WHERE session_id IN (SELECT id FROM sessionlake.sessions WHERE transcript_month = '${month}')) m`;
    const callsOfMonth = `(SELECT * FROM sessionlake.tool_calls WHERE session_id IN (SELECT id FROM sessionlake.sessions WHERE transcript_month = '${month}')) t`;
    const billingBefore = await billing(stack.pool);
    const overviewBefore = await digest(stack.pool, 'session_overview');
    const sessionsBefore = await digest(stack.pool, 'sessions', (await storedColumns(stack.pool, 'sessions')).join(', '));
    const monthRows = await digest(stack.pool, rowsOfMonth);
    const monthCalls = await digest(stack.pool, callsOfMonth);
    expect(monthRows.rows).toBeGreaterThan(0);

    // Dry run: says what would go, changes nothing.
    const dry = await quietly(() => main(['retention', '--database-url', url, '--transcripts', `${ageMonths}mo`, '--dry-run']));
    expect(dry.result).toBe(0);
    expect(dry.out).toContain(`${month.slice(0, 7)}\twould-drop\t${sessionsOfMonth.length}`);
    expect(dry.out.split('\n').filter((line) => /\twould-drop\t/.test(line))).toHaveLength(1);
    expect((await digest(stack.pool, rowsOfMonth)).rows).toBe(monthRows.rows);

    const run = await quietly(() => main(['retention', '--database-url', url, '--transcripts', `${ageMonths}mo`]));
    expect(run.result).toBe(0);
    expect(run.out).toContain(`${month.slice(0, 7)}\tdropped\t${sessionsOfMonth.length}`);
    const gone = await stack.pool.query(`SELECT to_regclass($1) AS t, (SELECT count(*)::int FROM ${rowsOfMonth}) AS m, (SELECT count(*)::int FROM ${callsOfMonth}) AS c`, [`sessionlake.${partition}`]);
    expect(gone.rows[0]).toEqual({ t: null, m: 0, c: 0 });
    expect(await billing(stack.pool)).toEqual(billingBefore);
    expect(await digest(stack.pool, 'session_overview')).toEqual(overviewBefore);
    expect(await digest(stack.pool, 'sessions', (await storedColumns(stack.pool, 'sessions')).join(', '))).toEqual(sessionsBefore);

    // What would decide those responses again leaves them as billed: their objects deleted from S3 (the write
    // path's mark), and a rebuild of all billing.
    await stack.pool.query(`UPDATE sessionlake.sessions SET deleted_at = now() WHERE id = ANY ($1)`, [sessionsOfMonth]);
    expect(await billing(stack.pool)).toEqual(billingBefore);
    await stack.pool.query(`UPDATE sessionlake.sessions SET deleted_at = NULL WHERE id = ANY ($1)`, [sessionsOfMonth]);
    await stack.pool.query('SELECT sessionlake.rebuild_billing()');
    expect(await billing(stack.pool)).toEqual(billingBefore);

    // Back from the bucket: the same rows, live again, the same billing, and the per-query decision agrees.
    const report = await restoreMonth(month, [{ bucket: stack.emulator.bucket, prefix: '' }], { ...stack.deps, pool: stack.pool });
    expect(report).toMatchObject({ listed: sessionsOfMonth.length, restored: sessionsOfMonth.length, failed: [], outside: 0 });
    expect(await digest(stack.pool, rowsOfMonth)).toEqual(monthRows);
    expect(await digest(stack.pool, callsOfMonth)).toEqual(monthCalls);
    const frozen = await stack.pool.query(`SELECT count(*)::int AS n FROM sessionlake.sessions WHERE transcript_dropped_at IS NOT NULL`);
    expect(frozen.rows[0]).toEqual({ n: 0 });
    expect(await billing(stack.pool)).toEqual(billingBefore);
    await createReferenceViews(stack.pool);
    await expectSameAsReference(stack.pool, 'restored');
    const listed = await quietly(() => main(['retention', '--database-url', url, '--list']));
    expect(listed.out).toMatch(new RegExp(`\\n${month.slice(0, 7)}\\t${sessionsOfMonth.length}\\t${monthRows.rows}\\t${monthCalls.rows}\\t`));
  });
});

describe('the guard: a month whose billing is not settled is kept', () => {
  let database: FreshDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    database = await freshDatabase('sessionlake_partitions_guard');
    await runMigrations(database.url);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // Loaded with triggers off, as bench/analytics.ts does: nothing billed until rebuild_billing().
    await client.query('SET session_replication_role = replica');
    for (const statement of generateStatements(24, 20)) await client.query(statement);
    await client.query('RESET session_replication_role');
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('refuses until the month is decided, then drops it and the numbers stay', async () => {
    const { rows } = await client.query<{ month: string }>(`SELECT to_char(min(transcript_month), 'YYYY-MM-DD') AS month FROM sessionlake.sessions`);
    const month = rows[0]?.month as string;
    const refused = await client.query(`SELECT sessionlake.drop_transcript_month($1::date)`, [month]).then(() => null, (error: Error) => error.message);
    expect(refused).toMatch(/refusing to drop the transcripts of \d{4}-\d{2}: \d+ responses of \d{4}-\d{2} have no billed row/);
    const still = await client.query(`SELECT count(*)::int AS n FROM sessionlake.messages WHERE transcript_month = $1`, [month]);
    expect(still.rows[0]?.n).toBeGreaterThan(0);

    await client.query('SELECT sessionlake.rebuild_billing()');
    // A rollup out of step with the billed rows is refused too.
    await client.query(`UPDATE sessionlake.usage_rollup_daily SET input_tokens = input_tokens + 1
                         WHERE day = (SELECT min(day) FROM sessionlake.billed_responses b JOIN sessionlake.sessions s ON s.id = b.session_id WHERE s.transcript_month = $1)`, [month]);
    const skewed = await client.query(`SELECT sessionlake.transcript_month_unsettled($1::date) AS why`, [month]);
    expect(skewed.rows[0]?.why).toMatch(/rollup groups .* differ from billed_responses/);
    await client.query('SELECT sessionlake.rebuild_billing()');

    const before = await billing(client);
    const marked = await client.query<{ n: string }>(`SELECT sessionlake.drop_transcript_month($1::date) AS n`, [month]);
    expect(Number(marked.rows[0]?.n)).toBeGreaterThan(0);
    expect(await billing(client)).toEqual(before);
    const left = await client.query(`SELECT count(*)::int AS n FROM sessionlake.messages WHERE transcript_month = $1`, [month]);
    expect(left.rows[0]).toEqual({ n: 0 });
  });
});
