/**
 * `npm run chaos -- --seed N [--sessions K] [--machines M] [--workers W] [--rounds R]`: a seeded fault-injection
 * run over the local stack, ending in one line `chaos: … lost=0 duplicated=0 stale=0 …`; exit code 1 when any of
 * those is not 0. Postgres: a database of its own on the server of DATABASE_URL (dropped after), or an embedded one
 * in a temporary directory.
 */
import './quiet-sdk.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { findProblems, formatStatus } from '../../cli/commands/status.js';
import { createPool } from '../../shared/store/pool.js';
import { readPipelineStatus } from '../../shared/store/status.js';
import { startPostgres } from '../local/postgres.js';
import { FAULT_KINDS } from './faults.js';
import { runChaos, summaryLine } from './harness.js';

const HELP = `Usage: npm run chaos -- [--seed N] [--sessions K] [--machines M] [--workers W] [--rounds R] [--writes N]

  --seed N       the run's seed (default: today's date as YYYYMMDD); the same seed replays the same plan
  --sessions K   sessions per machine (default 55; with subagents and sidecars, over 200 objects on 3 machines)
  --machines M   machines (default 3)
  --workers W    concurrent ingest workers on the one queue (default 4)
  --rounds R     rounds of writes after the first upload (default 12)
  --writes N     writes per round (default 25)
  --verbose      list every object found lost, duplicated or stale`;

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    sessions: { type: 'string' },
    machines: { type: 'string' },
    workers: { type: 'string' },
    rounds: { type: 'string' },
    writes: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const number = (raw: string | undefined, fallback: number, name: string): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return value;
};
const today = new Date();
const seed = number(values.seed, today.getUTCFullYear() * 10_000 + (today.getUTCMonth() + 1) * 100 + today.getUTCDate(), 'seed');

const dataDir = process.env.DATABASE_URL ? '' : await mkdtemp(path.join(tmpdir(), 'sessionlake-chaos-pg-'));
// On a given server the run gets a database of its own: a schema shared with other runs (other seeds, other
// checkouts with other migrations) would mix their rows and their migration history into this run's truth.
const scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, `chaos_${seed}_${process.pid}`) : null;
const postgres = await startPostgres({ databaseUrl: scratch?.url, dataDir, persistent: false, port: 0, database: `chaos_${seed}`, log: () => {} });
let exitCode = 1;
try {
  const report = await runChaos({
    seed,
    sessionsPerMachine: number(values.sessions, 55, 'sessions'),
    machines: Math.max(1, number(values.machines, 3, 'machines')),
    workers: Math.max(1, number(values.workers, 4, 'workers')),
    rounds: number(values.rounds, 12, 'rounds'),
    writesPerRound: number(values.writes, 25, 'writes'),
    databaseUrl: postgres.url,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`writes: ${Object.entries(report.writes).map(([kind, n]) => `${kind}=${n}`).join(' ')}\n`);
  process.stdout.write(`injected: ${FAULT_KINDS.map((kind) => `${kind}=${report.injected[kind]}`).join(' ')}\n`);
  process.stdout.write(`outcomes: ${Object.entries(report.outcomes).sort().map(([status, n]) => `${status}=${n}`).join(' ')}\n`);
  process.stdout.write(
    `backfill: listed=${report.backfill.listed} repaired=${report.backfill.repaired} verified=${report.backfill.verified} deleted=${report.backfill.deleted} failed=${report.backfill.failed}\n`,
  );
  const before = report.beforeRepair;
  process.stdout.write(
    `before the backfill pass: lost=${before.lost.length} duplicated=${before.duplicated.length} stale=${before.stale.length} misbilled=${before.misbilled.length} (what the events alone left)\n`,
  );
  process.stdout.write(`truth: live sessions=${report.verdict.liveSessions} deleted objects=${report.verdict.deletedObjects}\n`);
  const problems = [...report.verdict.lost.map((p) => `lost ${p}`), ...report.verdict.duplicated.map((p) => `duplicated ${p}`), ...report.verdict.stale.map((p) => `stale ${p}`), ...report.verdict.misbilled.map((p) => `misbilled ${p}`)];
  for (const problem of values.verbose ? problems : problems.slice(0, 10)) process.stdout.write(`  ${problem}\n`);
  // What an operator would see now: `sessionlake status` on the chaos database.
  const pool = createPool({ connectionString: postgres.url, max: 2 });
  try {
    const status = await readPipelineStatus(pool, { limit: 5 });
    process.stderr.write(`\nsessionlake status after the run:\n${formatStatus(status, findProblems(status, null)).join('\n')}\n\n`);
  } finally {
    await pool.end();
  }
  process.stdout.write(`${summaryLine(report)}\n`);
  exitCode = problems.length === 0 ? 0 : 1;
} finally {
  await postgres.stop();
  await scratch?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);

/** A new database on the server of `serverUrl`, and how to drop it. */
async function scratchDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const quoted = `"${name.replaceAll('"', '""')}"`;
  await admin(`CREATE DATABASE ${quoted}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`) };
}
