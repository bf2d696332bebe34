import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStatements } from '../../../bench/analytics-data.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { dailyReport } from '../../../shared/store/usage-reports.js';
import { SAMPLE_MACHINE, startAnalyticsStack } from '../../support/analytics.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import type { IngestStack } from '../../support/ingest-stack.js';
import { COMPARED_VIEWS, createReferenceViews, differences } from '../../support/reference-usage-views.js';
import { migrationsUpTo } from '../../support/migrations.js';

/**
 * Billing decided at write time (migration 012) gives the numbers the views gave when they decided on every
 * query: usage, daily_usage and session_overview equal, in every column, the definitions of migrations 005/007
 * (test/support/reference-usage-views.ts) — on the fixtures ingested through the write path, after a price is
 * added, corrected or removed, after a session's project key changes, after copies are made, deleted or
 * removed, and on the benchmark's generated data.
 */

async function expectSameAsReference(db: pg.Pool | pg.Client, label: string): Promise<void> {
  for (const view of COMPARED_VIEWS) {
    const diff = await differences(db, view);
    expect({ view, label, onlyNew: diff.onlyNew, onlyReference: diff.onlyReference }).toEqual({ view, label, onlyNew: [], onlyReference: [] });
    expect(diff.rows, `${label}: ${view} rows`).toBe(diff.reference);
    expect(diff.rows, `${label}: ${view} is not empty`).toBeGreaterThan(0);
  }
}

/** Nothing left for a later commit to decide. */
async function expectNothingPending(db: pg.Pool | pg.Client): Promise<void> {
  const { rows } = await db.query<{ pending: string; settle: string }>(
    `SELECT (SELECT count(*) FROM sessionlake.billing_pending) AS pending, (SELECT count(*) FROM sessionlake.billing_settle) AS settle`,
  );
  expect(rows[0]).toEqual({ pending: '0', settle: '0' });
}

describe('on the fixtures, ingested through the write path', () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startAnalyticsStack();
    await createReferenceViews(stack.pool);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('every column of usage, daily_usage and session_overview equals the per-query decision', async () => {
    await expectSameAsReference(stack.pool, 'as ingested');
    await expectNothingPending(stack.pool);
  });

  it('report daily in UTC, read from the rollup, equals the same report read from usage', async () => {
    // Africa/Abidjan is UTC all year round but not a name the report reads as UTC: it takes the per-row path.
    for (const filters of [{}, { since: '2025-09-02', until: '2025-09-03' }, { machine: SAMPLE_MACHINE }, { project: 'no such project' }]) {
      const fromRollup = await dailyReport(stack.pool, { ...filters, timezone: 'UTC' });
      const fromRows = await dailyReport(stack.pool, { ...filters, timezone: 'Africa/Abidjan' });
      expect(fromRollup).toEqual(fromRows);
    }
    expect((await dailyReport(stack.pool, { timezone: 'UTC' })).length).toBeGreaterThan(2);
  });

  it('a price added, corrected and removed re-prices the affected days at once', async () => {
    // The fixtures' most used priced model: a price from the middle of its responses on prices the later half anew.
    const { rows } = await stack.pool.query<{ priced_as: string; middle: Date; responses: string }>(
      `SELECT m.priced_as, percentile_disc(0.5) WITHIN GROUP (ORDER BY r."timestamp") AS middle, count(*) AS responses
         FROM (SELECT priced_as, model FROM sessionlake.usage WHERE priced_as IS NOT NULL
                GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1) m
         JOIN sessionlake.messages r ON r.model = m.model AND r.output_tokens IS NOT NULL
        GROUP BY m.priced_as`,
    );
    const model = rows[0]?.priced_as;
    expect(Number(rows[0]?.responses)).toBeGreaterThan(1);
    const before = await stack.pool.query<{ cost: string }>(`SELECT sum(priced_cost_usd) AS cost FROM sessionlake.daily_usage`);
    await stack.pool.query(
      `INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read, source, source_date)
       VALUES ($2, $1, 30, 150, 37.5, 60, 3, 'test', '2026-12-06')`,
      [rows[0]?.middle, model],
    );
    const after = await stack.pool.query<{ cost: string }>(`SELECT sum(priced_cost_usd) AS cost FROM sessionlake.daily_usage`);
    expect(Number(after.rows[0]?.cost)).toBeGreaterThan(Number(before.rows[0]?.cost));
    await expectSameAsReference(stack.pool, 'price added');
    await stack.pool.query(`UPDATE sessionlake.model_prices SET output = 1500 WHERE model = $1 AND source = 'test'`, [model]);
    await expectSameAsReference(stack.pool, 'price corrected');
    await stack.pool.query(`DELETE FROM sessionlake.model_prices WHERE model = $1 AND source = 'test'`, [model]);
    await expectSameAsReference(stack.pool, 'price removed');
    const restored = await stack.pool.query<{ cost: string }>(`SELECT sum(priced_cost_usd) AS cost FROM sessionlake.daily_usage`);
    expect(restored.rows[0]?.cost).toBe(before.rows[0]?.cost);
  });

  it('a model priced later through a new alias gets its cost', async () => {
    const unpriced = await stack.pool.query<{ model: string }>(
      `SELECT DISTINCT model FROM sessionlake.usage WHERE priced_as IS NULL AND model IS NOT NULL ORDER BY 1 LIMIT 1`,
    );
    const model = unpriced.rows[0]?.model;
    expect(model).toBeDefined();
    await stack.pool.query(`INSERT INTO sessionlake.model_aliases (alias, model) VALUES ($1, 'gpt-5')`, [model]);
    const priced = await stack.pool.query<{ unpriced: string }>(
      `SELECT count(*) AS unpriced FROM sessionlake.usage WHERE model = $1 AND priced_as IS NULL`,
      [model],
    );
    expect(priced.rows[0]?.unpriced).toBe('0');
    await expectSameAsReference(stack.pool, 'alias added');
    await stack.pool.query(`DELETE FROM sessionlake.model_aliases WHERE alias = $1`, [model]);
    await expectSameAsReference(stack.pool, 'alias removed');
  });

  it("a Codex session's project key that changes (its cwd learned) moves its usage to the new key", async () => {
    const codex = await stack.pool.query<{ id: string; responses: string }>(
      `SELECT s.id, count(*) AS responses FROM sessionlake.sessions s JOIN sessionlake.usage u ON u.session_id = s.id
        WHERE s.agent = 'codex' GROUP BY s.id ORDER BY s.id LIMIT 1`,
    );
    const session = codex.rows[0];
    expect(session).toBeDefined();
    await stack.pool.query(`UPDATE sessionlake.sessions SET cwd = '/moved/here' WHERE id = $1`, [session?.id]);
    // Codex project key: <machine>/<cwd with every non-alphanumeric character as "-"> (migration 003).
    const moved = await stack.pool.query<{ responses: string }>(
      `SELECT sum(responses) AS responses FROM sessionlake.daily_usage WHERE project_key = $1`,
      [`${SAMPLE_MACHINE}/-moved-here`],
    );
    expect(moved.rows[0]?.responses).toBe(session?.responses);
    await expectSameAsReference(stack.pool, 'project key changed');
  });

  it('Codex copies under another key bill once, from the copy not deleted, whatever happens to them', async () => {
    const codex = await stack.pool.query<{ id: string; object_uri: string }>(
      `SELECT s.id, s.object_uri FROM sessionlake.sessions s WHERE s.agent = 'codex' AND s.source_session_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM sessionlake.usage u WHERE u.session_id = s.id) ORDER BY s.id LIMIT 1`,
    );
    const original = codex.rows[0];
    expect(original).toBeDefined();
    // An archived copy: same rows under another key, as a move to archived_sessions/ leaves it before the delete.
    const copyId = `${original?.id}-archived-copy`;
    await stack.pool.query(
      `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind, state)
       SELECT uri || '-archived-copy', bucket, key || '-archived-copy', machine, agent, kind, state
         FROM sessionlake.objects WHERE uri = $1`,
      [original?.object_uri],
    );
    await stack.pool.query(
      `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, source_session_id, cwd, started_at, model)
       SELECT $2, object_uri || '-archived-copy', machine, agent, kind, source_session_id, cwd, started_at, model
         FROM sessionlake.sessions WHERE id = $1`,
      [original?.id, copyId],
    );
    await stack.pool.query(
      `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, "timestamp", model, request_id, input_tokens,
                                         output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
                                         reasoning_output_tokens, usage, line_number, byte_offset)
       SELECT $2, ordinal, role, source_type, "timestamp", model, request_id, input_tokens, output_tokens,
              cache_creation_input_tokens, cache_read_input_tokens, reasoning_output_tokens, usage, line_number, byte_offset
         FROM sessionlake.messages WHERE session_id = $1`,
      [original?.id, copyId],
    );
    const billedIn = async () =>
      (
        await stack.pool.query<{ session_id: string }>(
          `SELECT DISTINCT session_id FROM sessionlake.usage WHERE session_id IN ($1, $2) ORDER BY 1`,
          [original?.id, copyId],
        )
      ).rows.map((row) => row.session_id);
    // Both live: the first by id bills (the original: its id is a prefix of the copy's).
    expect(await billedIn()).toEqual([original?.id]);
    await expectSameAsReference(stack.pool, 'codex copy added');
    await stack.pool.query(`UPDATE sessionlake.sessions SET deleted_at = now() WHERE id = $1`, [original?.id]);
    expect(await billedIn()).toEqual([copyId]);
    await expectSameAsReference(stack.pool, 'original deleted from S3');
    await stack.pool.query(`UPDATE sessionlake.sessions SET deleted_at = NULL WHERE id = $1`, [original?.id]);
    await stack.pool.query(`DELETE FROM sessionlake.sessions WHERE id = $1`, [copyId]);
    expect(await billedIn()).toEqual([original?.id]);
    await expectSameAsReference(stack.pool, 'copy removed');
    await expectNothingPending(stack.pool);
  });

  it('a Claude response whose billed copy goes is billed from the next best copy', async () => {
    // Sessions holding a copy that bills of a response also copied elsewhere (a subagent's lines in its parent).
    const copied = await stack.pool.query<{ session_id: string }>(
      `SELECT DISTINCT u.session_id FROM sessionlake.usage u
        WHERE EXISTS (SELECT 1 FROM sessionlake.messages o WHERE o.message_id = u.message_id
                         AND (o.session_id, o.ordinal) <> (u.session_id, u.message_ordinal))
        ORDER BY 1 LIMIT 1`,
    );
    const session = copied.rows[0]?.session_id;
    expect(session).toBeDefined();
    await stack.pool.query(`DELETE FROM sessionlake.messages WHERE session_id = $1`, [session]);
    await expectSameAsReference(stack.pool, 'billed Claude copies deleted');
    await expectNothingPending(stack.pool);
  });
});

describe("on the benchmark's generated data", () => {
  let database: FreshDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    database = await freshDatabase('sessionlake_billing');
    await runMigrations(database.url);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // 60 sessions of 100 messages: every 20th replays the one before (copies), one model has no price.
    for (const statement of generateStatements(60, 100)) await client.query(statement);
    await createReferenceViews(client);
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('decided as the rows were written, the views equal the per-query decision', async () => {
    await expectSameAsReference(client, 'generated');
    await expectNothingPending(client);
  });

  it('rebuilding from scratch decides the same rows', async () => {
    const snapshot = `SELECT md5(string_agg(b::text, '|' ORDER BY response_key)) AS digest FROM sessionlake.billed_responses b`;
    const rollup = `SELECT md5(string_agg(r::text, '|' ORDER BY day, machine, agent, project_key, model)) AS digest FROM sessionlake.usage_rollup_daily r`;
    const before = [(await client.query(snapshot)).rows[0], (await client.query(rollup)).rows[0]];
    await client.query('SELECT sessionlake.rebuild_billing()');
    const after = [(await client.query(snapshot)).rows[0], (await client.query(rollup)).rows[0]];
    expect(after).toEqual(before);
    await expectSameAsReference(client, 'rebuilt');
  });
});

describe('migration 012 on a database filled by the schema before it', () => {
  it('decides the rows already there: the views equal the per-query decision', async () => {
    const migrations = fileURLToPath(new URL('../../../infra/migrations/', import.meta.url));
    const older = await mkdtemp(path.join(tmpdir(), 'sessionlake-migrations-11-'));
    const database = await freshDatabase('sessionlake_billing_inplace');
    const client = new pg.Client({ connectionString: database.url });
    try {
      for (const file of await readdir(migrations)) {
        if (/^0(0\d|10|11)_.*\.sql$/.test(file)) await cp(path.join(migrations, file), path.join(older, file));
      }
      expect(await runMigrations(database.url, older)).toHaveLength(11);
      await client.connect();
      for (const statement of generateStatements(40, 100, { transcriptMonths: false })) await client.query(statement);
      // Migration 012 alone (later ones are tested on their own), as a release with it would apply it.
      expect(await runMigrations(database.url, await migrationsUpTo(12))).toEqual([12]);
      await createReferenceViews(client);
      await expectSameAsReference(client, 'migrated in place');
    } finally {
      await client.end().catch(() => {});
      await database.drop();
      await rm(older, { recursive: true, force: true });
    }
  }, 60_000);
});
