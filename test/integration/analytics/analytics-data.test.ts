import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStatements } from '../../../bench/analytics-data.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * bench/analytics-data.ts's bulk load (each month's messages written into a table of their own, then attached as the
 * month's partition) writes the same rows as inserting them through `messages`, and leaves each month's partitions
 * as create_transcript_partition makes them: the parent's indexes, row security on, nothing granted.
 */

const SESSIONS = 30;
const MESSAGES = 20;
const MONTHS = ['2025_11', '2025_12', '2026_01', '2026_02', '2026_03', '2026_04', '2026_05', '2026_06', '2026_07', '2026_08', '2026_09', '2026_10', '2026_11'];

const DIGESTS = {
  // (updated_at: the time of the load)
  sessions: `SELECT count(*) AS n, md5(string_agg((to_jsonb(s) - 'updated_at')::text, '|' ORDER BY id)) AS digest FROM sessionlake.sessions s`,
  messages: `SELECT count(*) AS n, md5(string_agg(m::text, '|' ORDER BY session_id, ordinal)) AS digest FROM sessionlake.messages m`,
  billed: `SELECT count(*) AS n, md5(string_agg(b::text, '|' ORDER BY response_key)) AS digest FROM sessionlake.billed_responses b`,
  rollup: `SELECT count(*) AS n, md5(string_agg(r::text, '|' ORDER BY day, machine, agent, project_key, model, os_user)) AS digest FROM sessionlake.usage_rollup_daily r`,
  sessionUsage: `SELECT count(*) AS n, md5(string_agg(u::text, '|' ORDER BY session_id)) AS digest FROM sessionlake.session_usage u`,
};

async function load(database: FreshDatabase, bulk: boolean): Promise<pg.Client> {
  await runMigrations(database.url);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('SET session_replication_role = replica');
  for (const statement of generateStatements(SESSIONS, MESSAGES, { bulk })) await client.query(statement);
  await client.query('RESET session_replication_role');
  await client.query('SELECT sessionlake.rebuild_billing()');
  return client;
}

async function digests(client: pg.Client): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, sql] of Object.entries(DIGESTS)) out[name] = (await client.query(sql)).rows[0];
  return out;
}

describe('the analytics bench data loaded in bulk', () => {
  let throughParent: FreshDatabase;
  let bulk: FreshDatabase;
  let parentClient: pg.Client;
  let bulkClient: pg.Client;

  beforeAll(async () => {
    throughParent = await freshDatabase('sessionlake_bench_data_parent');
    bulk = await freshDatabase('sessionlake_bench_data_bulk');
    parentClient = await load(throughParent, false);
    bulkClient = await load(bulk, true);
  }, 120_000);

  afterAll(async () => {
    await parentClient?.end();
    await bulkClient?.end();
    await throughParent?.drop();
    await bulk?.drop();
  });

  it('writes the same rows, and billing decides the same', async () => {
    const expected = await digests(parentClient);
    expect((expected.messages as { n: string }).n).toBe(String(SESSIONS * MESSAGES));
    expect(await digests(bulkClient)).toEqual(expected);
  });

  it('puts each month in its own partitions, made as create_transcript_partition makes them', async () => {
    const partitions = await bulkClient.query<{ table: string; month: string; rows: string; security: boolean; acl: string | null }>(
      `SELECT p.relname AS table, substring(c.relname from '\\d{4}_\\d{2}$') AS month,
              (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM sessionlake.%I', c.relname), false, false, '')))[1]::text AS rows,
              c.relrowsecurity AS security, c.relacl::text AS acl
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname IN ('messages', 'tool_calls', 'tool_call_search') AND p.relnamespace = 'sessionlake'::regnamespace
          AND c.relname ~ '_\\d{4}_\\d{2}$'`,
    );
    for (const table of ['messages', 'tool_calls', 'tool_call_search']) {
      const months = partitions.rows.filter((row) => row.table === table).map((row) => row.month);
      for (const month of MONTHS) expect(months, `${table} ${month}`).toContain(month);
    }
    // every session's messages in its month's partition, none in the default one
    const byMonth = await bulkClient.query<{ partition: string; month: string; n: string }>(
      `SELECT tableoid::regclass::text AS partition, to_char(transcript_month, 'YYYY_MM') AS month, count(*) AS n
         FROM sessionlake.messages GROUP BY 1, 2`,
    );
    expect(byMonth.rows.length).toBe(MONTHS.length);
    for (const row of byMonth.rows) expect(row.partition).toBe(`sessionlake.messages_${row.month}`);

    // the same security and the same indexes as a partition create_transcript_partition made (next month's)
    const made = partitions.rows.find((row) => row.table === 'messages' && !MONTHS.includes(row.month));
    expect(made).toBeDefined();
    for (const row of partitions.rows) {
      expect({ table: row.table, month: row.month, security: row.security, acl: row.acl }).toEqual({
        table: row.table, month: row.month, security: true, acl: made?.acl,
      });
    }
    const indexes = await bulkClient.query<{ partition: string; parents: string[] }>(
      `SELECT c.relname AS partition, array_agg(parent.relname::text ORDER BY parent.relname) AS parents
         FROM pg_inherits pi JOIN pg_class c ON c.oid = pi.inhrelid
         JOIN pg_index x ON x.indrelid = c.oid
         JOIN pg_inherits ii ON ii.inhrelid = x.indexrelid JOIN pg_class parent ON parent.oid = ii.inhparent
        WHERE pi.inhparent = 'sessionlake.messages'::regclass AND c.relname ~ '_\\d{4}_\\d{2}$'
        GROUP BY c.relname`,
    );
    const parentIndexes = (
      await bulkClient.query<{ name: string }>(
        `SELECT c.relname::text AS name FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
          WHERE x.indrelid = 'sessionlake.messages'::regclass ORDER BY 1`,
      )
    ).rows.map((row) => row.name);
    expect(parentIndexes).toContain('messages_search_idx');
    for (const row of indexes.rows) expect({ partition: row.partition, parents: row.parents }).toEqual({ partition: row.partition, parents: parentIndexes });
    expect(indexes.rows.map((row) => row.partition.slice('messages_'.length))).toEqual(expect.arrayContaining(MONTHS));
  });
});
