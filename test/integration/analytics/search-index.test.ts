import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { startAnalyticsStack } from '../../support/analytics.js';
import { backfillHarness } from '../../support/backfill.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import type { IngestStack } from '../../support/ingest-stack.js';
import { migrationsUpTo } from '../../support/migrations.js';

/**
 * Tool-call search built after the object's transaction (migration 011): the sample sessions ingested through the
 * real write path are searchable; a database of the previous schema holding the same rows answers docs/queries.md's
 * search queries the same before and after it is migrated in place; changed and deleted tool calls leave no text
 * behind in the index.
 */

const SEARCH_INDEX_VERSION = 11;
const COPIED_TABLES = ['objects', 'sessions', 'messages', 'tool_calls'] as const;

/** docs/queries.md's statements that search (the "Search" section), read from the file itself. */
function documentedSearchQueries(): string[] {
  const doc = readFileSync(new URL('../../../docs/queries.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/^```sql\n([\s\S]*?)^```$/gm)]
    .flatMap((match) => (match[1] ?? '').split(/;[ \t]*$/m))
    .map((text) => text.trim())
    .filter((text) => text.includes('search_vector'));
}

let stack: IngestStack;
let old: FreshDatabase;
let oldPool: pg.Pool;

beforeAll(async () => {
  stack = await startAnalyticsStack();
  old = await freshDatabase();
  await runMigrations(old.url, await migrationsUpTo(SEARCH_INDEX_VERSION - 1));
  oldPool = new pg.Pool({ connectionString: old.url, max: 1 });
  await copyRows(stack.pool, oldPool);
}, 120_000);

afterAll(async () => {
  await oldPool?.end();
  await old?.drop();
  await stack?.stop();
});

/** The sample rows, column by column (generated columns left to the target), into the older schema. */
async function copyRows(from: pg.Pool, to: pg.Pool): Promise<void> {
  for (const table of COPIED_TABLES) {
    const { rows: columns } = await to.query<{ name: string }>(
      `SELECT quote_ident(column_name) AS name FROM information_schema.columns
        WHERE table_schema = 'sessionlake' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [table],
    );
    const list = columns.map((column) => column.name).join(', ');
    const { rows } = await from.query<{ rows: unknown }>(`SELECT coalesce(json_agg(r), '[]') AS rows FROM (SELECT ${list} FROM sessionlake.${table}) r`);
    await to.query(
      `INSERT INTO sessionlake.${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::sessionlake.${table}, $1::json)`,
      [JSON.stringify(rows[0]?.rows)],
    );
  }
}

async function answers(pool: pg.Pool, sql: string): Promise<unknown[]> {
  return (await pool.query(sql)).rows;
}

/** Which documents a search finds: kind, session and position, sorted. */
const HITS = (query: string) => `
  SELECT kind, session_id, message_ordinal, call_index FROM sessionlake.search_documents
   WHERE search_vector @@ websearch_to_tsquery('simple', '${query}')
   ORDER BY kind, session_id, message_ordinal, call_index NULLS FIRST`;

describe('tool-call search written after the object transaction', () => {
  it('answers the documented search queries the same before and after the migration converts a database in place', async () => {
    // Prepare: the previous schema's answers on the sample rows
    const queries = documentedSearchQueries();
    const before = [];
    for (const sql of queries) before.push(await answers(oldPool, sql));
    const beforeHits = await answers(oldPool, HITS('"ls internal/parser"'));

    // Act
    await runMigrations(old.url);
    const after = [];
    for (const sql of queries) after.push(await answers(oldPool, sql));

    // Assess: the Search section has its two queries, each answering something, identically
    expect(queries).toHaveLength(2);
    expect(before.every((rows) => rows.length > 0)).toBe(true);
    expect(after).toEqual(before);
    expect(beforeHits.some((hit) => (hit as { kind: string }).kind === 'tool_call')).toBe(true);
    expect(await answers(oldPool, HITS('"ls internal/parser"'))).toEqual(beforeHits);
  });

  it('finds what the previous schema found in tool calls written by the write path', async () => {
    // Prepare: tool names and words from tool input and output of the samples
    const terms = ['"ls internal/parser"', 'Bash', 'error', 'README'];

    // Act
    const written = [];
    const previous = [];
    for (const term of terms) {
      written.push(await answers(stack.pool, HITS(term)));
      previous.push(await answers(oldPool, HITS(term)));
    }

    // Assess: every tool call of the samples has its search row, and the hits are those of the migrated copy
    const { rows } = await stack.pool.query(
      `SELECT (SELECT count(*) FROM sessionlake.tool_calls)::int AS calls, (SELECT count(*) FROM sessionlake.tool_call_search)::int AS indexed`,
    );
    expect(rows[0].calls).toBeGreaterThan(0);
    expect(rows[0].indexed).toBe(rows[0].calls);
    expect(written).toEqual(previous);
  });

  it('a backfill pass writes the search rows an ingest committed but never indexed (its worker died in between)', async () => {
    // Prepare: the rows of some sessions' tool calls are committed, their search rows are not (the follow-up
    // step never ran); the objects themselves are current, so no event or backfill ingests them again
    const { rows: before } = await stack.pool.query<{ terms: number }>(
      `SELECT count(*)::int AS terms FROM sessionlake.search_documents WHERE kind = 'tool_call' AND search_vector @@ plainto_tsquery('simple', 'Bash')`,
    );
    const dropped = await stack.pool.query(
      `DELETE FROM sessionlake.tool_call_search WHERE session_id IN (SELECT id FROM sessionlake.sessions ORDER BY id LIMIT 10)`,
    );
    expect(dropped.rowCount).toBeGreaterThan(0);

    // Act
    const run = await backfillHarness(stack).run();

    // Assess: nothing was ingested again, and every tool call is searchable as it was
    expect(run).toMatchObject({ status: 'finished', counts: { ingested: 0 } });
    const { rows } = await stack.pool.query(
      `SELECT (SELECT count(*) FROM sessionlake.tool_calls)::int AS calls, (SELECT count(*) FROM sessionlake.tool_call_search)::int AS indexed`,
    );
    expect(rows[0].indexed).toBe(rows[0].calls);
    const { rows: after } = await stack.pool.query<{ terms: number }>(
      `SELECT count(*)::int AS terms FROM sessionlake.search_documents WHERE kind = 'tool_call' AND search_vector @@ plainto_tsquery('simple', 'Bash')`,
    );
    expect(after).toEqual(before);
  });
});

describe('tool-call search keeps no text that is gone', () => {
  async function addCall(session: string, result: string): Promise<void> {
    await stack.pool.query(
      `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind) VALUES ($1, 'b', $1, 'm', 'claude', 'session')`,
      [`s3://b/${session}`],
    );
    await stack.pool.query(
      `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, started_at) VALUES ($1, $2, 'm', 'claude', 'session', now())`,
      [session, `s3://b/${session}`],
    );
    await stack.pool.query(
      `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, line_number, byte_offset) VALUES ($1, 0, 'assistant', 'assistant', 1, 0)`,
      [session],
    );
    await stack.pool.query(
      `INSERT INTO sessionlake.tool_calls (session_id, message_ordinal, call_index, name, input, result_text)
       VALUES ($1, 0, 0, 'Bash', '{"command": "make deploy"}', $2)`,
      [session, result],
    );
  }

  const found = async (term: string) =>
    (await stack.pool.query(`SELECT session_id FROM sessionlake.search_documents WHERE search_vector @@ websearch_to_tsquery('simple', $1)`, [term])).rows;

  it('shows a tool call once indexed, not before', async () => {
    // Prepare
    await addCall('m/raw/claude/-x/lag', 'zebracorn ready');

    // Act
    const beforeIndexing = await found('zebracorn');
    const indexed = await stack.pool.query(`SELECT sessionlake.index_tool_call_search(ARRAY['m/raw/claude/-x/lag']) AS n`);

    // Assess
    expect(beforeIndexing).toEqual([]);
    expect(Number(indexed.rows[0].n)).toBe(1);
    expect(await found('zebracorn')).toEqual([{ session_id: 'm/raw/claude/-x/lag' }]);
  });

  it('forgets a result replaced in place and indexes the new one', async () => {
    // Prepare
    await addCall('m/raw/claude/-x/revised', 'pending placeholder quokkaword');
    await stack.pool.query(`SELECT sessionlake.index_tool_call_search(NULL)`);

    // Act: what a delta does when a pending call's result arrives
    await stack.pool.query(`UPDATE sessionlake.tool_calls SET result_text = 'final wombatword' WHERE session_id = 'm/raw/claude/-x/revised'`);
    const stale = await found('quokkaword');
    await stack.pool.query(`SELECT sessionlake.index_tool_call_search(ARRAY['m/raw/claude/-x/revised'])`);

    // Assess
    expect(stale).toEqual([]);
    expect(await found('quokkaword')).toEqual([]);
    expect(await found('wombatword')).toEqual([{ session_id: 'm/raw/claude/-x/revised' }]);
  });

  it('drops the search row of a deleted tool call', async () => {
    // Prepare
    await addCall('m/raw/claude/-x/deleted', 'ocelotword');
    await stack.pool.query(`SELECT sessionlake.index_tool_call_search(NULL)`);

    // Act: what a re-ingest does before rewriting a session's rows
    await stack.pool.query(`DELETE FROM sessionlake.tool_calls WHERE session_id = 'm/raw/claude/-x/deleted'`);

    // Assess
    const { rows } = await stack.pool.query(`SELECT count(*)::int AS n FROM sessionlake.tool_call_search WHERE session_id = 'm/raw/claude/-x/deleted'`);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('indexes, per session, the tool calls from the ordinal given on (what a delta wrote), all of them for NULL', async () => {
    // Prepare: two sessions, each with calls on messages 0, 1 and 2, none indexed
    const sessions = ['m/raw/claude/-x/from-two', 'm/raw/claude/-x/from-all'];
    for (const session of sessions) {
      await addCall(session, `${session.endsWith('two') ? 'kiwi' : 'emu'}word zero`);
      for (const ordinal of [1, 2]) {
        await stack.pool.query(
          `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, line_number, byte_offset) VALUES ($1, $2, 'assistant', 'assistant', $2 + 1, $2)`,
          [session, ordinal],
        );
        await stack.pool.query(
          `INSERT INTO sessionlake.tool_calls (session_id, message_ordinal, call_index, name, input, result_text) VALUES ($1, $2, 0, 'Bash', '{}', $3)`,
          [session, ordinal, `${session.endsWith('two') ? 'kiwi' : 'emu'}word ${ordinal}`],
        );
      }
    }

    // Act
    const indexed = await stack.pool.query(`SELECT sessionlake.index_tool_call_search($1::text[], $2::integer[]) AS n`, [sessions, [2, null]]);

    // Assess: message 2 of the first session, every message of the second; the rest is left to the catch-up
    const rows = await stack.pool.query(
      `SELECT session_id, message_ordinal FROM sessionlake.tool_call_search WHERE session_id = ANY($1) ORDER BY 1, 2`,
      [sessions],
    );
    expect(Number(indexed.rows[0].n)).toBe(4);
    expect(rows.rows).toEqual([
      { session_id: 'm/raw/claude/-x/from-all', message_ordinal: 0 },
      { session_id: 'm/raw/claude/-x/from-all', message_ordinal: 1 },
      { session_id: 'm/raw/claude/-x/from-all', message_ordinal: 2 },
      { session_id: 'm/raw/claude/-x/from-two', message_ordinal: 2 },
    ]);
    await stack.pool.query(`SELECT sessionlake.index_tool_call_search(NULL)`);
    // The catch-up indexes the calls left: all three of the first session's are found.
    expect(await found('kiwiword')).toEqual(Array.from({ length: 3 }, () => ({ session_id: 'm/raw/claude/-x/from-two' })));
    const count = await stack.pool.query(`SELECT count(*)::int AS n FROM sessionlake.tool_call_search WHERE session_id = ANY($1)`, [sessions]);
    expect(count.rows).toEqual([{ n: 6 }]);
  });
});

describe('the write path\'s roles on an installation migrated in place', () => {
  it('lets the existing writer role index tool calls and refuses the analyst role', async () => {
    // Prepare: roles installed by the previous release, one tool call written before the migration
    const suffix = Math.random().toString(36).slice(2, 8);
    const names = { writer: `sw_writer_${suffix}`, analyst: `sw_analyst_${suffix}`, admin: `sw_admin_${suffix}` };
    const installation = await freshDatabase();
    const pool = new pg.Pool({ connectionString: installation.url, max: 1 });
    try {
      await runMigrations(installation.url, await migrationsUpTo(SEARCH_INDEX_VERSION - 1));
      // What the previous release's `sessionlake roles` left for the write path: a writer role recorded as such
      for (const role of Object.values(names)) await pool.query(`CREATE ROLE ${role}`);
      await pool.query(`GRANT USAGE ON SCHEMA sessionlake TO ${names.writer}, ${names.analyst}`);
      await pool.query(`GRANT SELECT, INSERT, UPDATE ON sessionlake.objects, sessionlake.sessions TO ${names.writer}`);
      await pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON sessionlake.messages, sessionlake.tool_calls TO ${names.writer}`);
      await pool.query(`GRANT SELECT ON ALL TABLES IN SCHEMA sessionlake TO ${names.analyst}`);
      await pool.query(`INSERT INTO sessionlake.access_roles (role_name, access) VALUES ($1, 'writer'), ($2, 'admin')`, [names.writer, names.admin]);
      await runMigrations(installation.url);
      await pool.query(`INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind) VALUES ('s3://b/k', 'b', 'k', 'm', 'claude', 'session')`);
      await pool.query(`INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, started_at) VALUES ('k', 's3://b/k', 'm', 'claude', 'session', now())`);
      await pool.query(`INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, line_number, byte_offset) VALUES ('k', 0, 'assistant', 'assistant', 1, 0)`);
      await pool.query(`INSERT INTO sessionlake.tool_calls (session_id, message_ordinal, call_index, name, result_text) VALUES ('k', 0, 0, 'Bash', 'pending')`);
      const asRole = async (role: string, sql: string): Promise<unknown> => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
          const result = await client.query(sql);
          await client.query('COMMIT');
          return result.rows;
        } catch (error) {
          await client.query('ROLLBACK');
          return (error as { code?: string }).code;
        } finally {
          client.release();
        }
      };

      // Act
      const analyst = await asRole(names.analyst, `SELECT sessionlake.index_tool_call_search(NULL) AS n`);
      const writer = await asRole(names.writer, `SELECT sessionlake.index_tool_call_search(ARRAY['k']) AS n`);
      const revised = await asRole(names.writer, `UPDATE sessionlake.tool_calls SET result_text = 'done' WHERE session_id = 'k' RETURNING call_index`);

      // Assess: 42501 insufficient privilege; the writer's update also removed the stale search row
      expect(analyst).toBe('42501');
      expect(writer).toEqual([{ n: '1' }]);
      expect(revised).toEqual([{ call_index: 0 }]);
      expect((await pool.query(`SELECT count(*)::int AS n FROM sessionlake.tool_call_search`)).rows).toEqual([{ n: 0 }]);
    } finally {
      await dropRoles(pool, Object.values(names));
      await pool.end();
      await installation.drop();
    }
  });
});
