/**
 * `npm run bench:analytics`: the analysts' queries over a generated database of --messages messages (default
 * 1 000 000), each against a baseline measured in the same run on the same rows, written to
 * bench/results/analytics.json (median ms of each query, of its baseline, and the ratio):
 * - daily_usage for one month, and for a year: baseline the plain per-day, per-model sum over messages of that
 *   period (no dedup across files, no prices, no projects), the floor any such report pays;
 * - session_overview, the 100 most expensive sessions that started in the month: baseline the plain per-session
 *   sum over those sessions' messages, top 100;
 * - `report daily` for the month (the CLI's query, shared/store/usage-reports.ts): baseline the month's per-day sum;
 * - the per-query decision of before migration 012 (test/support/reference-usage-views.ts) for the month, to show
 *   what deciding billing at write time bought.
 * The generated rows are loaded with triggers off, a month at a time into its own partition (bench/analytics-data.ts,
 * bulkMessages), and decided once by rebuild_billing() (the write path's decision
 * on a million-row statement is not what is measured here), then EXPLAIN (ANALYZE, BUFFERS) of the month's query.
 *
 * Postgres: DATABASE_URL (a server where it may create and drop a database), else an embedded Postgres 17.
 * The generated database is dropped at the end (kept with --keep).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../infra/local/postgres.js';
import { runMigrations } from '../shared/store/migrate.js';
import { dailyReport } from '../shared/store/usage-reports.js';
import { createReferenceViews, REFERENCE_SCHEMA } from '../test/support/reference-usage-views.js';
import { generateStatements, MESSAGES_PER_SESSION } from './analytics-data.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    // Keep the generated database (its name is printed) to look at plans afterwards; drop it by hand.
    keep: { type: 'boolean', default: false },
  },
});
const sessions = Math.max(1, Math.round(Number(values.messages) / MESSAGES_PER_SESSION));
const runs = Number(values.runs);

const MONTH = { from: '2026-10-01', to: '2026-11-01' };
const YEAR = { from: '2025-11-01', to: '2026-11-01' };

const dailyUsage = (period: { from: string; to: string }, schema = 'sessionlake') =>
  `SELECT * FROM ${schema}.daily_usage WHERE day >= '${period.from}' AND day < '${period.to}'`;
const perDaySum = (period: { from: string; to: string }) => `
  SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS day, model, count(*) AS responses, sum(input_tokens),
         sum(output_tokens), sum(cache_creation_input_tokens), sum(cache_read_input_tokens)
    FROM sessionlake.messages
   WHERE num_nonnulls(input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens) > 0
     AND ("timestamp" AT TIME ZONE 'UTC')::date >= '${period.from}' AND ("timestamp" AT TIME ZONE 'UTC')::date < '${period.to}'
   GROUP BY 1, 2`;
const TOP_SESSIONS = `
  SELECT * FROM sessionlake.session_overview
   WHERE started_at >= '${MONTH.from}' AND started_at < '${MONTH.to}'
   ORDER BY priced_total_cost_usd DESC, session_id LIMIT 100`;
const TOP_SESSIONS_BASELINE = `
  SELECT m.session_id, count(*) AS responses, sum(m.input_tokens), sum(m.output_tokens),
         sum(m.cache_creation_input_tokens), sum(m.cache_read_input_tokens) AS cache_read
    FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id
   WHERE s.started_at >= '${MONTH.from}' AND s.started_at < '${MONTH.to}'
     AND num_nonnulls(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens) > 0
   GROUP BY m.session_id ORDER BY cache_read DESC, m.session_id LIMIT 100`;

type Run = () => Promise<number>;

async function median(run: Run): Promise<{ ms: number; rows: number }> {
  const samples: { ms: number; rows: number }[] = [];
  for (let n = 0; n < runs; n += 1) {
    const started = performance.now();
    const rows = await run();
    samples.push({ ms: performance.now() - started, rows });
  }
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
  // Unique per run: the server may be shared with other runs of it (a failed CREATE throws before the try, so a
  // database this run did not create is never dropped).
  const name = `sessionlake_bench_analytics_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await runMigrations(url.toString());
    await client.connect();
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const generateStarted = performance.now();
    await client.query('SET session_replication_role = replica');
    // the partitions' indexes are built when each month is attached (bench/analytics-data.ts, bulkMessages)
    await client.query(`SET maintenance_work_mem = '512MB'`);
    for (const statement of generateStatements(sessions, MESSAGES_PER_SESSION, { bulk: true })) await client.query(statement);
    await client.query('RESET session_replication_role');
    await client.query('RESET maintenance_work_mem');
    const generated = (performance.now() - generateStarted) / 1000;
    console.log(`generated ${sessions} sessions in ${generated.toFixed(1)} s`);
    const decideStarted = performance.now();
    // rebuild_billing() sorts every response by its key (DISTINCT ON): in memory at 1 M rather than in 4 MB runs on
    // disk (about as fast: docs/performance.md, "Analytics, 10 000 000 messages", says where its time goes)
    await client.query(`SET work_mem = '256MB'`);
    await client.query('SELECT sessionlake.rebuild_billing()');
    await client.query('RESET work_mem');
    const decided = (performance.now() - decideStarted) / 1000;
    console.log(`decided by rebuild_billing() in ${decided.toFixed(1)} s`);
    for (const table of ['billed_responses', 'usage_rollup_daily', 'session_usage']) await client.query(`VACUUM ANALYZE sessionlake.${table}`);
    await createReferenceViews(client);
    const counts = (
      await client.query<{ messages: string; billed: string; month: string; rollup: string }>(
        `SELECT count(*) AS messages,
                count(*) FILTER (WHERE output_tokens IS NOT NULL) AS billed,
                count(*) FILTER (WHERE output_tokens IS NOT NULL AND "timestamp" >= '${MONTH.from}' AND "timestamp" < '${MONTH.to}') AS month,
                (SELECT count(*) FROM sessionlake.usage_rollup_daily) AS rollup
           FROM sessionlake.messages`,
      )
    ).rows[0];
    console.log(
      `Postgres ${version}; ${counts?.messages} messages in ${sessions} sessions (${counts?.billed} billed, ` +
        `${counts?.month} in ${MONTH.from} … ${MONTH.to}), generated in ${generated.toFixed(1)} s, decided by ` +
        `rebuild_billing() in ${decided.toFixed(1)} s into ${counts?.rollup} rollup rows`,
    );

    const sql = (text: string): Run => async () => (await client.query(text)).rowCount ?? 0;
    const report: Run = async () =>
      (await dailyReport(client, { since: MONTH.from, until: '2026-10-31', timezone: 'UTC' })).length;
    const pairs: Array<{ name: string; query: Run; baseline: Run; baselineName: string }> = [
      { name: 'daily_usage, one month', query: sql(dailyUsage(MONTH)), baseline: sql(perDaySum(MONTH)), baselineName: 'per-day sum over messages, one month' },
      { name: 'daily_usage, one year', query: sql(dailyUsage(YEAR)), baseline: sql(perDaySum(YEAR)), baselineName: 'per-day sum over messages, one year' },
      { name: 'session_overview, 100 most expensive sessions of a month', query: sql(TOP_SESSIONS), baseline: sql(TOP_SESSIONS_BASELINE), baselineName: 'per-session sum over messages, top 100 of a month' },
      { name: 'report daily, one month (UTC)', query: report, baseline: sql(perDaySum(MONTH)), baselineName: 'per-day sum over messages, one month' },
      { name: 'before 012: daily_usage deciding per query, one month', query: sql(dailyUsage(MONTH, REFERENCE_SCHEMA)), baseline: sql(perDaySum(MONTH)), baselineName: 'per-day sum over messages, one month' },
    ];
    const results: Record<string, unknown>[] = [];
    console.log('');
    console.log(`query (median of ${runs})                                              ms    rows   baseline ms   ratio`);
    for (const pair of pairs) {
      await pair.query(); // warm the cache for both alike
      await pair.baseline();
      const baseline = await median(pair.baseline);
      const measured = await median(pair.query);
      const ratio = measured.ms / baseline.ms;
      results.push({
        query: pair.name,
        medianMs: round(measured.ms),
        rows: measured.rows,
        baseline: pair.baselineName,
        baselineMedianMs: round(baseline.ms),
        ratio: round(ratio),
      });
      console.log(
        `${pair.name.padEnd(64)} ${measured.ms.toFixed(1).padStart(8)} ${String(measured.rows).padStart(7)} ${baseline.ms.toFixed(1).padStart(12)} ${ratio.toFixed(2).padStart(7)}`,
      );
    }
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${dailyUsage(MONTH)}`);
    console.log('');
    console.log(`EXPLAIN (ANALYZE, BUFFERS) ${dailyUsage(MONTH)}`);
    for (const row of plan.rows) console.log(row['QUERY PLAN']);

    const output = {
      at: new Date().toISOString(),
      postgres: version,
      messages: Number(counts?.messages),
      sessions,
      billed: Number(counts?.billed),
      runs,
      generatedSeconds: round(generated),
      rebuildBillingSeconds: round(decided),
      queries: results,
    };
    await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    await writeFile(fileURLToPath(new URL('./results/analytics.json', import.meta.url)), `${JSON.stringify(output, null, 2)}\n`);
    console.log('\nwritten to bench/results/analytics.json');
  } finally {
    await client.end().catch(() => {});
    if (values.keep) console.log(`kept database ${name} (drop it with: dropdb -h ${url.hostname} -U ${url.username || 'postgres'} ${name})`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await postgres.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
