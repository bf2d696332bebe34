/**
 * `npm run bench:search-write`: what full-text search costs the write path. The sample sessions (test/fixtures)
 * are ingested through the real write path, their messages and tool calls replicated --copies times (default 20)
 * under new session ids, then the same rows are inserted into tables that differ only in how search is built:
 *
 * - plain: no search at all, the floor;
 * - stored: today's STORED generated tsvector over 200 000 characters + GIN (as migration 003 built it);
 * - stored, 64 MB pending list: the same with `gin_pending_list_limit` raised on the index;
 * - expression index: no stored column, a GIN index on the same to_tsvector expression;
 * - head 20k + tail 5k: a stored tsvector over a bounded head and tail of the text + GIN;
 * - follow-up table: the plain insert in the object's transaction; the tsvector and its GIN entry written by a
 *   second statement afterwards into a search table (its cost printed separately, it is no longer the object's).
 *
 * Each variant's median of --runs inserts (table truncated before each) is printed with its ratio to the plain
 * insert measured in the same run. Postgres: DATABASE_URL (a server where it may create and drop a database).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { uploadDirectory } from '../infra/local/upload-directory.js';
import { claudeProjectsDir } from '../test/fixtures/claude/expectations.js';
import { codexSessionsDir } from '../test/fixtures/codex/expectations.js';
import { startBenchStack } from './ingest-bench.js';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '20' }, runs: { type: 'string', default: '3' } } });
const copies = Number(values.copies);
const runs = Number(values.runs);

const TOOL_TEXT = `name || ' ' || coalesce(input::text, input_text, '') || ' ' || coalesce(result_text, '')`;
const MESSAGE_TEXT = `coalesce(text, '') || ' ' || coalesce(thinking, '')`;

interface Variant {
  name: string;
  /** Statements that turn a copy of the plain table into this variant. */
  setup: (table: string, text: string, keys: string) => string[];
  /** Run after the insert, outside the measured object transaction (the follow-up variant only). */
  followUp?: (table: string, text: string, keys: string) => string[];
}

const VARIANTS: Variant[] = [
  { name: 'plain', setup: () => [] },
  {
    name: 'stored (today)',
    setup: (table, text) => [
      `ALTER TABLE ${table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(${text}, 200000))) STORED`,
      `CREATE INDEX ON ${table} USING gin (search_vector)`,
    ],
  },
  {
    name: 'stored, 64 MB pending list',
    setup: (table, text) => [
      `ALTER TABLE ${table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(${text}, 200000))) STORED`,
      `CREATE INDEX ON ${table} USING gin (search_vector) WITH (fastupdate = on, gin_pending_list_limit = 65536)`,
    ],
  },
  {
    name: 'expression index',
    setup: (table, text) => [`CREATE INDEX ON ${table} USING gin (to_tsvector('simple'::regconfig, left(${text}, 200000)))`],
  },
  {
    name: 'head 20k + tail 5k',
    setup: (table, text) => [
      `ALTER TABLE ${table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig,
         CASE WHEN length(${text}) <= 25000 THEN ${text} ELSE left(${text}, 20000) || ' ' || right(${text}, 5000) END)) STORED`,
      `CREATE INDEX ON ${table} USING gin (search_vector)`,
    ],
  },
  {
    name: 'follow-up table',
    // As migration 011 builds it: the search table's key references the row it indexes (ON DELETE CASCADE).
    setup: (table, _text, keys) => [
      `CREATE TABLE ${table}_search AS SELECT ${keys} FROM ${table} WITH NO DATA`,
      `ALTER TABLE ${table}_search ADD COLUMN search_vector tsvector NOT NULL, ADD PRIMARY KEY (${keys}),
         ADD FOREIGN KEY (${keys}) REFERENCES ${table} (${keys}) ON DELETE CASCADE`,
      `CREATE INDEX ON ${table}_search USING gin (search_vector)`,
    ],
    followUp: (table, text, keys) => [
      `INSERT INTO ${table}_search SELECT ${keys}, to_tsvector('simple'::regconfig, left(${text}, 200000)) FROM ${table}`,
    ],
  },
];

interface Source {
  label: string;
  table: string;
  /** The rows of the sample sessions, replicated. */
  select: string;
  text: string;
  keys: string;
}

const SOURCES: Source[] = [
  {
    label: 'tool_calls',
    table: 'tool_calls',
    select: `SELECT t.session_id || '#' || c AS session_id, t.message_ordinal, t.call_index, t.call_id, t.name, t.input,
                    t.input_text, t.result_text, t.is_error, t.result_timestamp
               FROM sessionlake.tool_calls t CROSS JOIN generate_series(1, ${copies}) c`,
    text: TOOL_TEXT,
    keys: 'session_id, message_ordinal, call_index',
  },
  {
    label: 'messages',
    table: 'messages',
    select: `SELECT m.session_id || '#' || c AS session_id, m.ordinal, m.role, m.text, m.thinking
               FROM sessionlake.messages m CROSS JOIN generate_series(1, ${copies}) c`,
    text: MESSAGE_TEXT,
    keys: 'session_id, ordinal',
  },
];

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(client: pg.PoolClient, statements: string[]): Promise<number> {
  const started = performance.now();
  for (const sql of statements) await client.query(sql);
  return performance.now() - started;
}

async function benchSource(client: pg.PoolClient, source: Source): Promise<void> {
  await client.query(`CREATE TABLE bench_search.src_${source.table} AS ${source.select}`);
  const [stats] = (
    await client.query<{ rows: string; mb: string }>(
      `SELECT count(*) AS rows, round(sum(length(${source.text}))::numeric / 1e6, 1) AS mb FROM bench_search.src_${source.table}`,
    )
  ).rows;
  console.log(`\n${source.label}: ${stats?.rows} rows (${copies} copies of the samples), ${stats?.mb} M characters of searchable text`);
  let plainMs = Number.NaN;
  for (const [index, variant] of VARIANTS.entries()) {
    const table = `bench_search.${source.table}_${index}`;
    await client.query(`CREATE TABLE ${table} (LIKE bench_search.src_${source.table})`);
    await client.query(`ALTER TABLE ${table} ADD PRIMARY KEY (${source.keys})`);
    for (const sql of variant.setup(table, source.text, source.keys)) await client.query(sql);
    const insertMs: number[] = [];
    const followUpMs: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      await client.query(`TRUNCATE ${table}${variant.followUp ? `, ${table}_search` : ''}`);
      insertMs.push(await timed(client, [`INSERT INTO ${table} SELECT * FROM bench_search.src_${source.table}`]));
      if (variant.followUp) followUpMs.push(await timed(client, variant.followUp(table, source.text, source.keys)));
    }
    const ms = median(insertMs);
    if (variant.name === 'plain') plainMs = ms;
    const followUp = variant.followUp ? `; follow-up step ${median(followUpMs).toFixed(0)} ms (${(median(followUpMs) / plainMs).toFixed(1)}×), outside the object's transaction` : '';
    console.log(`  ${variant.name.padEnd(28)} insert ${ms.toFixed(0).padStart(6)} ms  ${(ms / plainMs).toFixed(1).padStart(5)}× plain${followUp}`);
  }
}

const adminUrl = process.env.DATABASE_URL;
if (adminUrl === undefined) throw new Error('set DATABASE_URL to a Postgres server where the bench may create a database');
const stack = await startBenchStack(adminUrl, 'copy');
const uploads: [string, string][] = [
  [claudeProjectsDir, 'bench/raw/claude/'],
  [fileURLToPath(new URL('../test/fixtures/usage/claude/projects/', import.meta.url)), 'bench/raw/claude/'],
  [codexSessionsDir, 'bench/raw/codex/'],
];
for (const [localDir, keyPrefix] of uploads) {
  await uploadDirectory({ s3: stack.emulator.s3, bucket: stack.emulator.bucket, localDir, keyPrefix });
}
await stack.runner.drain({ pollMs: 20 });
const client = await stack.pool.connect();
try {
  await client.query('CREATE SCHEMA bench_search');
  for (const source of SOURCES) await benchSource(client, source);
} finally {
  await client.query('DROP SCHEMA IF EXISTS bench_search CASCADE');
  client.release();
  await stack.stop();
}
