/**
 * `npm run bench:analytics`: daily_usage for one month over a generated database of --messages messages (default
 * 1 000 000), with EXPLAIN (ANALYZE, BUFFERS) of the view, against a baseline measured in the same run on the same
 * rows: the plain per-day, per-model sum over messages (no dedup across files, no prices, no projects), the floor
 * any such report pays. It also runs the view once without messages_billed_day_idx to show what the index buys.
 *
 * Postgres: DATABASE_URL (a server where it may create and drop a database), else an embedded Postgres 17.
 * The generated database is dropped at the end.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../infra/local/postgres.js';
import { runMigrations } from '../shared/store/migrate.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } },
});
const MESSAGES_PER_SESSION = 200;
const sessions = Math.max(1, Math.round(Number(values.messages) / MESSAGES_PER_SESSION));
const runs = Number(values.runs);

const MONTH = { from: '2026-10-01', to: '2026-11-01' };
const VIEW_QUERY = `SELECT * FROM sessionlake.daily_usage WHERE day >= '${MONTH.from}' AND day < '${MONTH.to}'`;
const BASELINE_QUERY = `
  SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS day, model, count(*) AS responses, sum(input_tokens),
         sum(output_tokens), sum(cache_creation_input_tokens), sum(cache_read_input_tokens)
    FROM sessionlake.messages
   WHERE num_nonnulls(input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens) > 0
     AND ("timestamp" AT TIME ZONE 'UTC')::date >= '${MONTH.from}' AND ("timestamp" AT TIME ZONE 'UTC')::date < '${MONTH.to}'
   GROUP BY 1, 2`;

/**
 * 20 machines, 50 project folders (a third of the sessions without cwd), sessions one after another over about a
 * year; every other message an assistant response carrying tokens (a 1-hour cache split on some), four models one
 * of which has no price; every 20th session replays the previous session's responses (a resumed session).
 */
const GENERATE = [
  `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind, state)
   SELECT 's3://bench/' || k, 'bench', k || '.jsonl', 'm' || (n % 20), 'claude', 'session', 'ingested'
     FROM (SELECT n, 'm' || (n % 20) || '/raw/claude/-work-proj' || (n % 50) || '/' || n AS k
             FROM generate_series(1, ${sessions}) n) s`,
  `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, cwd, started_at, ended_at, message_count)
   SELECT k, 's3://bench/' || k, 'm' || (n % 20), 'claude', 'session',
          CASE WHEN n % 3 <> 0 THEN '/work/proj' || (n % 50) END,
          t, t + interval '${MESSAGES_PER_SESSION * 20} seconds', ${MESSAGES_PER_SESSION}
     FROM (SELECT n, 'm' || (n % 20) || '/raw/claude/-work-proj' || (n % 50) || '/' || n AS k,
                  timestamptz '2025-11-15' + n * (interval '365 days' / ${sessions}) AS t
             FROM generate_series(1, ${sessions}) n) s`,
  `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, "timestamp", model, text, message_id,
                                     request_id, input_tokens, output_tokens, cache_creation_input_tokens,
                                     cache_read_input_tokens, usage, line_number, byte_offset)
   SELECT s.id, o, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END,
          s.started_at + o * interval '20 seconds',
          CASE WHEN o % 2 = 1 THEN (ARRAY['claude-sonnet-4-5-20250929', 'claude-opus-4-6', 'claude-haiku-4-5-20251001',
                                          'claude-opus-5'])[1 + (s.n + o) % 4] END,
          'step ' || o || ' of session ' || s.n || ': run the tests and fix what fails',
          CASE WHEN o % 2 = 1 THEN 'msg_' || (CASE WHEN s.n % 20 = 0 THEN s.n - 1 ELSE s.n END) || '_' || o END,
          CASE WHEN o % 2 = 1 THEN 'req_' || (CASE WHEN s.n % 20 = 0 THEN s.n - 1 ELSE s.n END) || '_' || o END,
          CASE WHEN o % 2 = 1 THEN 3 + o % 7 END,
          CASE WHEN o % 2 = 1 THEN 50 + (o * 37) % 900 END,
          CASE WHEN o % 2 = 1 THEN (o * 131) % 4000 END,
          CASE WHEN o % 2 = 1 THEN 10000 + o * 300 END,
          CASE WHEN o % 2 = 1 THEN jsonb_build_object('cache_creation', jsonb_build_object(
                 'ephemeral_5m_input_tokens', (o * 131) % 4000 - CASE WHEN o % 10 = 1 THEN (o * 131) % 2000 ELSE 0 END,
                 'ephemeral_1h_input_tokens', CASE WHEN o % 10 = 1 THEN (o * 131) % 2000 ELSE 0 END)) END,
          o + 1, o * 1000
     FROM (SELECT id, started_at, split_part(id, '/', 5)::int AS n FROM sessionlake.sessions) s
    CROSS JOIN generate_series(0, ${MESSAGES_PER_SESSION - 1}) o`,
  'VACUUM ANALYZE sessionlake.objects',
  'VACUUM ANALYZE sessionlake.sessions',
  'VACUUM ANALYZE sessionlake.messages',
];

async function timed(client: pg.Client, sql: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  const result = await client.query(sql);
  return { ms: performance.now() - started, rows: result.rowCount ?? 0 };
}

async function median(client: pg.Client, sql: string): Promise<{ ms: number; rows: number }> {
  const samples: { ms: number; rows: number }[] = [];
  for (let run = 0; run < runs; run += 1) samples.push(await timed(client, sql));
  samples.sort((a, b) => a.ms - b.ms);
  return samples[Math.floor(samples.length / 2)] ?? { ms: Number.NaN, rows: 0 };
}

async function main(): Promise<void> {
  const dataDir = process.env.DATABASE_URL ? '' : await mkdtemp(path.join(tmpdir(), 'sessionlake-bench-pg-'));
  const postgres = await startPostgres({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir,
    persistent: false,
    port: 0,
    log: () => {},
  });
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const name = `sessionlake_bench_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await runMigrations(url.toString());
    await client.connect();
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const generateStarted = performance.now();
    for (const statement of GENERATE) await client.query(statement);
    const counts = (
      await client.query<{ messages: string; billed: string; month: string }>(
        `SELECT count(*) AS messages,
                count(*) FILTER (WHERE output_tokens IS NOT NULL) AS billed,
                count(*) FILTER (WHERE output_tokens IS NOT NULL AND "timestamp" >= '${MONTH.from}' AND "timestamp" < '${MONTH.to}') AS month
           FROM sessionlake.messages`,
      )
    ).rows[0];
    console.log(
      `Postgres ${version}; ${counts?.messages} messages in ${sessions} sessions (${counts?.billed} billed, ` +
        `${counts?.month} in ${MONTH.from} … ${MONTH.to}), generated in ${((performance.now() - generateStarted) / 1000).toFixed(1)} s`,
    );

    await timed(client, VIEW_QUERY); // warm the cache for both queries alike
    await timed(client, BASELINE_QUERY);
    const baseline = await median(client, BASELINE_QUERY);
    const view = await median(client, VIEW_QUERY);
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${VIEW_QUERY}`);

    await client.query('BEGIN');
    await client.query('DROP INDEX sessionlake.messages_billed_day_idx');
    const withoutIndex = await median(client, VIEW_QUERY);
    await client.query('ROLLBACK');

    console.log('');
    console.log(`query                                         median of ${runs}   rows   ratio to baseline`);
    console.log(`baseline: sum over messages, one month         ${baseline.ms.toFixed(1).padStart(8)} ms ${String(baseline.rows).padStart(6)}   1.00`);
    console.log(`daily_usage, one month                         ${view.ms.toFixed(1).padStart(8)} ms ${String(view.rows).padStart(6)}   ${(view.ms / baseline.ms).toFixed(2)}`);
    console.log(`daily_usage, one month, no billed-day index    ${withoutIndex.ms.toFixed(1).padStart(8)} ms ${String(withoutIndex.rows).padStart(6)}   ${(withoutIndex.ms / baseline.ms).toFixed(2)}`);
    console.log('');
    console.log(`EXPLAIN (ANALYZE, BUFFERS) ${VIEW_QUERY}`);
    for (const row of plan.rows) console.log(row['QUERY PLAN']);
  } finally {
    await client.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await postgres.stop();
  }
}

await main();
