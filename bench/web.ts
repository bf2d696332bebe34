/**
 * `npm run bench:web`: each dashboard page's server time on the generated database of `bench:analytics`
 * (--messages, default 1 000 000, bench/analytics-data.ts) plus one 2 000-message session with tool calls. Every
 * page is fetched over HTTP from `sessionlake serve`'s server (loopback, so the time is the server's: the read-only
 * transaction, its queries and the rendering) and compared with a baseline measured in the same run: the page's
 * store queries called directly, without HTTP or HTML. Prints medians and writes bench/results/web.json.
 *
 * Postgres: DATABASE_URL (a server where it may create and drop a database), else an embedded Postgres 17.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../infra/local/postgres.js';
import { runMigrations } from '../shared/store/migrate.js';
import { searchDocuments } from '../shared/store/search.js';
import { listSessions } from '../shared/store/session-list.js';
import { readPipelineStatus } from '../shared/store/status.js';
import { sessionHeader, subagentsOf, transcriptPage } from '../shared/store/transcript.js';
import { groupedDailyReport } from '../shared/store/usage-reports.js';
import { budgetStatuses } from '../shared/store/budgets.js';
import { createDashboardServer, listen } from '../shared/web/server.js';
import { generateStatements, MESSAGES_PER_SESSION } from './analytics-data.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' } } });
const sessions = Math.max(1, Math.round(Number(values.messages) / MESSAGES_PER_SESSION));
const runs = Number(values.runs);
const LONG_SESSION = 'bench-long/raw/claude/-work-long/long-session';
const LONG_MESSAGES = 2000;

/** The 2 000-message session: every 4th message an assistant tool call with a 4 KB output. */
const longSession = [
  `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind, state)
   VALUES ('s3://bench/${LONG_SESSION}', 'bench', '${LONG_SESSION}.jsonl', 'bench-long', 'claude', 'session', 'ingested')`,
  `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, cwd, started_at, ended_at, message_count, title)
   VALUES ('${LONG_SESSION}', 's3://bench/${LONG_SESSION}', 'bench-long', 'claude', 'session', '/work/long',
           '2026-10-15', timestamptz '2026-10-15' + interval '${LONG_MESSAGES * 20} seconds', ${LONG_MESSAGES}, 'a long session')`,
  `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, "timestamp", model, text, thinking, message_id, request_id,
                                     input_tokens, output_tokens, cache_read_input_tokens, line_number, byte_offset)
   SELECT '${LONG_SESSION}', o, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END,
          timestamptz '2026-10-15' + o * interval '20 seconds', CASE WHEN o % 2 = 1 THEN 'claude-sonnet-4-5-20250929' END,
          'long session step ' || o || ': ' || repeat('reading the code and deciding what to change next. ', 8),
          CASE WHEN o % 2 = 1 THEN repeat('thinking about step ' || o || '. ', 20) END,
          CASE WHEN o % 2 = 1 THEN 'msg_long_' || o END, CASE WHEN o % 2 = 1 THEN 'req_long_' || o END,
          CASE WHEN o % 2 = 1 THEN 5 END, CASE WHEN o % 2 = 1 THEN 200 END, CASE WHEN o % 2 = 1 THEN 20000 END, o + 1, o * 4000
     FROM generate_series(0, ${LONG_MESSAGES - 1}) o`,
  `INSERT INTO sessionlake.tool_calls (session_id, message_ordinal, call_index, call_id, name, input, result_text, is_error)
   SELECT '${LONG_SESSION}', o, 0, 'call_' || o, 'Bash', jsonb_build_object('command', 'npm test -- step ' || o),
          repeat('test output line for step ' || o || E'\\n', 150), false
     FROM generate_series(1, ${LONG_MESSAGES - 1}, 4) o`,
  `INSERT INTO sessionlake.budgets (name, scope, scope_value, period, limit_usd) VALUES ('all-monthly', 'all', NULL, 'month', 1000), ('m1', 'machine', 'm1', 'week', 50)`,
];

async function median(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let n = 0; n < runs; n += 1) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dataDir = process.env.DATABASE_URL ? '' : await mkdtemp(path.join(tmpdir(), 'sessionlake-bench-pg-'));
  const postgres = await startPostgres({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir, persistent: false, port: 0, log: () => {} });
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const name = `sessionlake_bench_web_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const server = createDashboardServer({ pool, onError: (error) => console.error(error) });
  try {
    await runMigrations(url.toString());
    await client.connect();
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const started = performance.now();
    await client.query('SET session_replication_role = replica');
    for (const statement of [...generateStatements(sessions), ...longSession]) await client.query(statement);
    await client.query('RESET session_replication_role');
    await client.query('SELECT sessionlake.rebuild_billing()');
    await client.query('SELECT sessionlake.index_tool_call_search(NULL)');
    for (const table of ['billed_responses', 'usage_rollup_daily', 'session_usage', 'messages', 'tool_calls', 'tool_call_search', 'sessions']) {
      await client.query(`VACUUM ANALYZE sessionlake.${table}`);
    }
    const messages = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM sessionlake.messages')).rows[0]?.n);
    console.log(`Postgres ${version}; ${messages} messages in ${sessions + 1} sessions, generated and decided in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const base = await listen(server, 0, '127.0.0.1');
    const get = (target: string) => async () => {
      const response = await fetch(new URL(target, base));
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${target}: ${response.status} ${body.slice(0, 300)}`);
      return body.length;
    };
    const longPath = `/sessions/${encodeURIComponent(LONG_SESSION)}`;
    const month = { since: '2026-10-01', until: '2026-10-31' };
    const pages: Array<{ page: string; target: string; limitMs: number | null; baseline: () => Promise<unknown> }> = [
      { page: 'Usage, all time by model', target: '/usage', limitMs: 300, baseline: () => groupedDailyReport(client, { timezone: 'UTC' }, 'model') },
      { page: 'Usage, one month by machine', target: `/usage?since=${month.since}&until=${month.until}&by=machine`, limitMs: 300, baseline: () => groupedDailyReport(client, { timezone: 'UTC', ...month }, 'machine') },
      { page: 'Sessions, newest first', target: '/sessions', limitMs: 300, baseline: () => listSessions(client, {}, { sort: 'started', descending: true, limit: 50, offset: 0 }) },
      { page: 'Sessions, one month by cost', target: `/sessions?since=${month.since}&until=${month.until}&sort=cost`, limitMs: 300, baseline: () => listSessions(client, month, { sort: 'cost', descending: true, limit: 50, offset: 0 }) },
      {
        page: `Session of ${LONG_MESSAGES} messages, first page`, target: longPath, limitMs: 500,
        baseline: async () => [await sessionHeader(client, LONG_SESSION), await subagentsOf(client, LONG_SESSION), await transcriptPage(client, LONG_SESSION, { from: 0, to: 200 }, 20_000)],
      },
      {
        page: `Session of ${LONG_MESSAGES} messages, last page`, target: `${longPath}?page=9`, limitMs: 500,
        baseline: async () => [await sessionHeader(client, LONG_SESSION), await subagentsOf(client, LONG_SESSION), await transcriptPage(client, LONG_SESSION, { from: 1800, to: 2000 }, 20_000)],
      },
      { page: 'Search, a rare phrase', target: '/search?q=%22session+4242%22', limitMs: 500, baseline: () => searchDocuments(client, '"session 4242"', { limit: 51, offset: 0 }) },
      { page: 'Search, a word in every message', target: '/search?q=fails', limitMs: 500, baseline: () => searchDocuments(client, 'fails', { limit: 51, offset: 0 }) },
      { page: 'Pipeline', target: '/pipeline', limitMs: null, baseline: () => readPipelineStatus(client, { limit: 20 }) },
      { page: 'Budgets', target: '/budgets', limitMs: null, baseline: () => budgetStatuses(client) },
    ];
    console.log('');
    console.log(`page (median of ${runs})                                   server ms   limit   store queries ms   ratio`);
    const results: Record<string, unknown>[] = [];
    for (const entry of pages) {
      await get(entry.target)();
      await entry.baseline();
      const baselineMs = await median(entry.baseline);
      const pageMs = await median(get(entry.target));
      const within = entry.limitMs === null ? null : pageMs <= entry.limitMs;
      results.push({ page: entry.page, path: entry.target, medianMs: round(pageMs), limitMs: entry.limitMs, withinLimit: within, baseline: 'the same store queries called directly', baselineMedianMs: round(baselineMs), ratio: round(pageMs / baselineMs) });
      console.log(`${entry.page.padEnd(56)} ${pageMs.toFixed(1).padStart(9)} ${String(entry.limitMs ?? '-').padStart(7)} ${baselineMs.toFixed(1).padStart(18)} ${(pageMs / baselineMs).toFixed(2).padStart(7)}${within === false ? '  OVER' : ''}`);
    }
    const output = { at: new Date().toISOString(), postgres: version, messages, sessions: sessions + 1, runs, pages: results };
    await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    await writeFile(fileURLToPath(new URL('./results/web.json', import.meta.url)), `${JSON.stringify(output, null, 2)}\n`);
    console.log('\nwritten to bench/results/web.json');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end().catch(() => {});
    await client.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await postgres.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
