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
import { generateStatements, MESSAGES_PER_SESSION } from './analytics-data.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } },
});
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
    for (const statement of generateStatements(sessions)) await client.query(statement);
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
