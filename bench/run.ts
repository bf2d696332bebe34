/**
 * `npm run bench [-- --quick] [-- --profile | --profile-append] [-- --parsers claude,codex]`: every figure against a baseline measured in the same run on the
 * same machine, printed as a table and written to bench/results/latest.json.
 *  1. parse: each parser vs reading lines + JSON.parse of the same bytes;
 *  2. write path: the same rows written by INSERT … VALUES, INSERT … SELECT FROM unnest, and COPY;
 *  3. first ingest of a corpus through the local stack (upload → notification → queue → handler → Postgres)
 *     vs GET + JSON.parse + COPY of the same rows;
 *  4. the corpus re-synced unchanged; 5. +1 % appended to every session and re-synced (delta ingest);
 *     "append / first ingest" compares the ingest handler's own time: a second corpus of the same shape, first
 *     ingested and then grown by the same +1 %, each time uploaded while no runner polls and only the draining of
 *     the queue timed (the in-process emulator's upload work is not the handler's);
 *  6. one large session object ingested by `sessionlake ingest`: peak RSS;
 *  7. first ingests of fresh corpora with the billing triggers off and on (--billing-rounds, default 3).
 * The corpus (bench/corpus.ts) is built deterministically from the fixtures; sizes are flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../infra/local/postgres.js';
import { INSERT_METHODS, insertRows, type InsertMethod, type RowValue } from '../shared/store/row-inserts.js';
import { MESSAGES } from '../shared/store/session-writer.js';
import { appendedLines, buildCorpus, claudeSessionText, retag, type CorpusObject } from './corpus.js';
import {
  baselineIngest,
  countRows,
  setBillingTriggers,
  functionTimes,
  functionTimesBetween,
  startBenchStack,
  syncAndIngest,
  timed,
  uploadLarge,
  uploadThenIngest,
  type BenchStack,
  type FetchStats,
  type Timed,
} from './ingest-bench.js';
import { PARSE_INPUTS, parseBench, parserFilter, printParseRows } from './parse-bench.js';
import { timeClientStatements, type StatementGroup } from './statement-timing.js';
import { ingestInChild } from './peak-rss.js';

// The AWS SDK's Node < 22 notice, switched off as bin/sessionlake.js does (that warning only).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** A CPU profile of the +N % append (part 5) instead of the first ingest. */
    'profile-append': { type: 'boolean', default: false },
    'parse-mb': { type: 'string' },
    /** Part 1 for these inputs only (comma-separated; `npm run bench:parse` runs part 1 alone). */
    parsers: { type: 'string' },
    runs: { type: 'string' },
    'corpus-mb': { type: 'string' },
    'session-mb': { type: 'string' },
    'claude-share': { type: 'string' },
    'append-pct': { type: 'string' },
    'big-mb': { type: 'string' },
    'write-rows': { type: 'string' },
    concurrency: { type: 'string' },
    'billing-rounds': { type: 'string' },
  },
});
const quick = flags.quick === true;
const settings = {
  parseMb: Number(flags['parse-mb'] ?? (quick ? 16 : 64)),
  runs: Number(flags.runs ?? (quick ? 3 : 5)),
  parsers: parserFilter(flags.parsers) ?? PARSE_INPUTS,
  corpusMb: Number(flags['corpus-mb'] ?? (quick ? 24 : 128)),
  sessionMb: Number(flags['session-mb'] ?? (quick ? 2 : 4)),
  claudeShare: Number(flags['claude-share'] ?? 0.55),
  appendPct: Number(flags['append-pct'] ?? 1),
  bigMb: Number(flags['big-mb'] ?? (quick ? 256 : 1024)),
  writeRows: Number(flags['write-rows'] ?? (quick ? 20_000 : 100_000)),
  /** Batches ingested at once, as `npm start` runs them (its default: 4). */
  concurrency: Number(flags.concurrency ?? 4),
  /** Rounds of first ingests with the billing triggers off and on (7.); 0 skips them. */
  billingRounds: Number(flags['billing-rounds'] ?? 3),
};

const out = (line = '') => process.stdout.write(`${line}\n`);
const mib = (bytes: number) => bytes / 1024 / 1024;
const fixed = (value: number, digits = 2) => value.toFixed(digits);

out(`sessionlake bench${quick ? ' --quick' : ''}: node ${process.version}, ${os.availableParallelism()} cores, ${JSON.stringify(settings)}`);
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, cores: os.availableParallelism(), settings };

// 1. parse
out('\n1. parse (median of runs, each after an untimed warm-up; ratio = time / lines+JSON.parse of the same bytes)');
const parse = await parseBench(settings.parseMb, settings.runs, settings.parsers);
printParseRows(parse, out);
results['parse'] = parse;

const postgres = await startPostgres({
  databaseUrl: process.env['DATABASE_URL'] || undefined,
  dataDir: fileURLToPath(new URL('../.sessionlake/bench-postgres', import.meta.url)),
  persistent: false,
  port: 0,
  log: () => {},
});
const stack = await startBenchStack(postgres.url, 'copy', settings.concurrency);
try {
  const corpus = await buildCorpus({ totalMb: settings.corpusMb, sessionMb: settings.sessionMb, claudeShare: settings.claudeShare });
  const corpusBytes = corpus.reduce((sum, object) => sum + object.bytes.length, 0);

  // 3. first ingest (run before the write-path part, which reads its rows)
  let profile: unknown = null;
  const inspector = flags.profile === true && flags['profile-append'] !== true ? new Session() : null;
  if (inspector !== null) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const first = await syncAndIngest(stack, corpus);
  if (inspector !== null) {
    profile = (await inspector.post('Profiler.stop')).profile;
    inspector.disconnect();
  }
  const rows = await countRows(stack.pool);
  if (rows.failed > 0) throw new Error(`${rows.failed} objects did not land in the first ingest`);
  const baseline = await baselineIngest(stack, corpus);
  const firstResult = {
    objects: corpus.length,
    mb: mib(corpusBytes),
    ms: first.ms,
    baselineMs: baseline.ms,
    ratio: first.ms / baseline.ms,
    readAndParseMs: baseline.readAndParseMs,
    ratioToReadAndParse: first.ms / baseline.readAndParseMs,
    messages: rows.messages,
    toolCalls: rows.toolCalls,
    messagesPerS: rows.messages / (first.ms / 1000),
    mbPerS: mib(corpusBytes) / (first.ms / 1000),
    mbPerCpuS: mib(corpusBytes) / (first.cpuMs / 1000),
    bytesFetched: first.bytes,
    handlerMs: first.handlerMs,
  };
  results['firstIngest'] = firstResult;

  // 4. unchanged re-sync
  const unchanged = await syncAndIngest(stack, corpus);
  results['unchanged'] = {
    ms: unchanged.ms,
    pctOfFirst: (100 * unchanged.ms) / first.ms,
    handlerMs: unchanged.handlerMs,
    handlerPctOfFirst: (100 * unchanged.handlerMs) / first.handlerMs,
    bytesFetched: unchanged.bytes,
    gets: unchanged.gets,
  };

  // 5. +N % appended to every session
  const grown = corpus.map((object, index) => {
    const added = object.grows ? appendedLines(object, settings.appendPct / 100, `app${index}`) : Buffer.alloc(0);
    return { key: object.key, bytes: Buffer.concat([object.bytes, added]), added: added.length };
  });
  const appendedBytes = grown.reduce((sum, object) => sum + object.added, 0);
  const appended = await syncAndIngest(stack, grown);
  const afterAppend = await countRows(stack.pool);
  results['append'] = {
    pct: settings.appendPct,
    appendedBytes,
    bytesFetched: appended.bytes,
    fetchedPerAppended: appended.bytes / appendedBytes,
    ms: appended.ms,
    pctOfFirst: (100 * appended.ms) / first.ms,
    handlerMs: appended.handlerMs,
    handlerPctOfFirst: (100 * appended.handlerMs) / first.handlerMs,
    handlerRatioToFirst: appended.handlerMs / first.handlerMs,
    messagesAdded: afterAppend.messages - rows.messages,
  };

  // 2. write path: the same rows, batches of 500, each method into fresh tables shaped like ours
  const writePath = await writePathBench(stack, settings.writeRows);
  results['writePath'] = writePath;

  // 3–5 again on a second corpus of the same shape (machine `drain`), each upload done before the queue is
  // drained: the ingester's own time, without the in-process emulator's upload work competing with it. This is
  // where "append / first ingest" is measured, first and append alike, with the statements and functions they ran.
  const drainCorpus = await buildCorpus({ totalMb: settings.corpusMb, sessionMb: settings.sessionMb, claudeShare: settings.claudeShare }, 'drain');
  const drainMeasured = async (objects: { key: string; bytes: Buffer }[], profiled: boolean) => {
    const functionsBefore = await functionTimes(stack.pool);
    const session = profiled ? new Session() : null;
    if (session !== null) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const timeStatements = timeClientStatements();
    const run = await uploadThenIngest(stack, objects);
    const statements = timeStatements();
    if (session !== null) {
      profile = (await session.post('Profiler.stop')).profile;
      session.disconnect();
    }
    const functions = functionTimesBetween(functionsBefore, await functionTimes(stack.pool));
    return { run, statements, functions };
  };
  const drainRowsBefore = await countRows(stack.pool);
  const drainFirstMeasured = await drainMeasured(drainCorpus, false);
  const drainFirst = drainFirstMeasured.run;
  const drainRowsAfterFirst = await countRows(stack.pool);
  if (drainRowsAfterFirst.failed > 0) throw new Error(`${drainRowsAfterFirst.failed} objects did not land in the drained first ingest`);
  const drainUnchanged = await uploadThenIngest(stack, drainCorpus);
  const drainGrown = drainCorpus.map((object, index) => {
    const added = object.grows ? appendedLines(object, settings.appendPct / 100, `app${index}`) : Buffer.alloc(0);
    return { key: object.key, bytes: Buffer.concat([object.bytes, added]), added: added.length };
  });
  const drainAppendMeasured = await drainMeasured(drainGrown, flags['profile-append'] === true);
  const drainAppend = drainAppendMeasured.run;
  const drainRowsAfterAppend = await countRows(stack.pool);
  const drainAppended = drainGrown.reduce((sum, object) => sum + object.added, 0);
  const statementCount = (groups: StatementGroup[]) => groups.reduce((sum, group) => sum + group.count, 0);
  const phase = (run: Timed & FetchStats) => ({
    ms: run.ms,
    handlerMs: run.handlerMs,
    bytesFetched: run.bytes,
    gets: run.gets,
    pctOfFirst: (100 * run.ms) / drainFirst.ms,
    handlerPctOfFirst: (100 * run.handlerMs) / drainFirst.handlerMs,
  });
  results['drainOnly'] = {
    first: {
      ...phase(drainFirst),
      messages: drainRowsAfterFirst.messages - drainRowsBefore.messages,
      statementsPerEvent: statementCount(drainFirstMeasured.statements) / drainCorpus.length,
      statements: drainFirstMeasured.statements,
      functions: drainFirstMeasured.functions,
    },
    unchanged: phase(drainUnchanged),
    append: {
      ...phase(drainAppend),
      appendedBytes: drainAppended,
      fetchedPerAppended: drainAppend.bytes / drainAppended,
      messagesAdded: drainRowsAfterAppend.messages - drainRowsAfterFirst.messages,
      statementsPerEvent: statementCount(drainAppendMeasured.statements) / drainGrown.length,
      statements: drainAppendMeasured.statements,
      functions: drainAppendMeasured.functions,
    },
    appendToFirstHandler: drainAppend.handlerMs / drainFirst.handlerMs,
    appendToFirstWall: drainAppend.ms / drainFirst.ms,
  };

  // 6. one large session object
  const big = await bigObject(stack, settings.bigMb);
  results['largeObject'] = big;

  // 7. first ingest with billing and rollups on the write path vs without, in alternating rounds
  const billing = await billingToggle(stack, settings.billingRounds);
  results['billingOnWritePath'] = billing;

  if (profile !== null) results[flags['profile-append'] === true ? 'appendProfile' : 'firstIngestProfile'] = topFunctions(profile, 15);

  out(`\n2. write path: ${writePath.rows} message rows in batches of 500 (ratio = time / copy)`);
  out('method   ms        rows/s     ratio');
  const copyMs = writePath.methods.find((m) => m.method === 'copy')?.ms ?? 1;
  for (const method of writePath.methods) {
    out(`${method.method.padEnd(8)} ${fixed(method.ms, 0).padStart(6)}   ${fixed(writePath.rows / (method.ms / 1000), 0).padStart(9)}   ${fixed(method.ms / copyMs).padStart(5)}x`);
  }
  out(`\n3. first ingest: ${corpus.length} objects, ${fixed(mib(corpusBytes), 1)} MiB, upload → notification → handler → Postgres, ${settings.concurrency} batches at once`);
  out(`   ${fixed(first.ms / 1000)} s vs baseline GET+JSON.parse+COPY ${fixed(baseline.ms / 1000)} s: ${fixed(firstResult.ratio)}x (handler time ${fixed(first.handlerMs / 1000)} s)`);
  out(`   sync → all rows in Postgres vs the bare GET + JSON.parse of the same bytes (${fixed(baseline.readAndParseMs / 1000)} s): ${fixed(firstResult.ratioToReadAndParse)}x`);
  out(`   ${fixed(firstResult.messagesPerS, 0)} messages/s, ${fixed(firstResult.mbPerS, 1)} MiB/s wall, ${fixed(firstResult.mbPerCpuS, 1)} MiB per CPU-second of the bench process (emulator and uploads included)`);
  const pct = (part: number, whole: number) => `${fixed((100 * part) / whole, 1)} %`;
  out(`4. unchanged re-sync: ${unchanged.bytes} bytes fetched in ${unchanged.gets} GETs; handler ${fixed(unchanged.handlerMs / 1000)} s = ${pct(unchanged.handlerMs, first.handlerMs)} of first ingest's; wall (re-upload included) ${fixed(unchanged.ms / 1000)} s = ${pct(unchanged.ms, first.ms)}`);
  out(`5. +${settings.appendPct} % appended: ${appended.bytes} bytes fetched for ${appendedBytes} appended = ${fixed(appended.bytes / appendedBytes, 3)}x; ${afterAppend.messages - rows.messages} rows added; wall (whole files re-uploaded) ${fixed(appended.ms / 1000)} s = ${pct(appended.ms, first.ms)} of first ingest's`);
  out(`   (handler time ${fixed(appended.handlerMs / 1000)} s = ${pct(appended.handlerMs, first.handlerMs)}: uploads ran meanwhile in this process, so this counts the emulator's upload work too)`);
  out(`3–5 again on a second corpus of the same shape, each time uploaded first and then the queue drained (the ingester alone):`);
  out(`   first ${fixed(drainFirst.ms / 1000)} s (handler ${fixed(drainFirst.handlerMs / 1000)} s); unchanged ${fixed(drainUnchanged.ms / 1000)} s = ${pct(drainUnchanged.ms, drainFirst.ms)} (handler ${pct(drainUnchanged.handlerMs, drainFirst.handlerMs)}, ${drainUnchanged.bytes} bytes fetched); +${settings.appendPct} % ${fixed(drainAppend.ms / 1000)} s = ${pct(drainAppend.ms, drainFirst.ms)} (${fixed(drainAppend.bytes / drainAppended, 3)}x the appended bytes fetched)`);
  out(`   append / first ingest: ${fixed(drainAppend.handlerMs / drainFirst.handlerMs, 3)} (target ≤ 0.05); both = time inside the batch handler summed over batches, the objects uploaded before the queue is drained; wall from the runner's start to the queue drained: ${fixed(drainAppend.ms / drainFirst.ms, 3)}`);
  out(`   first ingest: ${fixed(statementCount(drainFirstMeasured.statements) / drainCorpus.length, 1)} statements sent per event (object), billing and rollups included (they run in triggers: no statement of their own); where the handlers' time went (summed over connections):`);
  printStatements(drainFirstMeasured.statements, drainFirst.handlerMs);
  printFunctions(drainFirstMeasured.functions, drainFirst.handlerMs);
  out(`   +${settings.appendPct} % append: ${fixed(statementCount(drainAppendMeasured.statements) / drainGrown.length, 1)} statements sent per event (object):`);
  printStatements(drainAppendMeasured.statements, drainAppend.handlerMs);
  printFunctions(drainAppendMeasured.functions, drainAppend.handlerMs);
  out(`6. one ${settings.bigMb} MiB session object: peak RSS ${fixed(big.peakRssMb, 0)} MiB, ${fixed(big.ms / 1000, 1)} s (${fixed(settings.bigMb / (big.ms / 1000), 1)} MiB/s)`);
  if (billing.rounds.length > 0) {
    out(`7. first ingest of fresh ${settings.corpusMb} MiB corpora, queue drained after the uploads, billing triggers off and on (rounds alternate the order):`);
    for (const round of billing.rounds) out(`   ${round.order}: off ${fixed(round.offMs / 1000)} s (handler ${fixed(round.offHandlerMs / 1000)} s), on ${fixed(round.onMs / 1000)} s (handler ${fixed(round.onHandlerMs / 1000)} s): on/off ${fixed(round.onMs / round.offMs, 3)}`);
    out(`   median on/off: wall ${fixed(billing.medianWallRatio, 3)}, handler ${fixed(billing.medianHandlerRatio, 3)} (target ≤ 1.10)`);
  }
  if (profile !== null) {
    out(`\n${flags['profile-append'] === true ? `+${settings.appendPct} % append` : 'first ingest'}, CPU profile of the bench process: top functions by self time`);
    for (const entry of topFunctions(profile, 15)) out(`  ${fixed(entry.pct, 1).padStart(5)} %  ${entry.name}  ${entry.where}`);
  }
} finally {
  await stack.stop();
  await postgres.stop();
}
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
await writeFile(fileURLToPath(new URL('./results/latest.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);
out('\nwritten to bench/results/latest.json');

async function writePathBench(bench: BenchStack, limit: number): Promise<{ rows: number; methods: { method: InsertMethod; ms: number }[] }> {
  const client = new pg.Client({ connectionString: bench.databaseUrl });
  await client.connect();
  try {
    const source = await client.query({
      // The writer's own column list (it grows with migrations), timestamp and jsonb as the text the writer sends.
      text: `SELECT ${MESSAGES.columns.map((column) => (column === '"timestamp"' || column === 'usage' || column === 'transcript_month' ? `${column}::text` : column)).join(', ')}
             FROM sessionlake.messages ORDER BY session_id, ordinal LIMIT $1`,
      values: [limit],
      rowMode: 'array',
    });
    const rows = source.rows as RowValue[][];
    const methods: { method: InsertMethod; ms: number }[] = [];
    // Interleaved rounds, so load from the other engineers on this machine falls on every method alike.
    const samples = new Map<InsertMethod, number[]>();
    for (let round = 0; round < 3; round += 1) {
      for (const method of INSERT_METHODS) {
        await client.query('DROP SCHEMA IF EXISTS bench_write CASCADE; CREATE SCHEMA bench_write');
        await client.query('CREATE TABLE bench_write.messages (LIKE sessionlake.messages INCLUDING ALL)');
        const shape = { ...MESSAGES, schema: 'bench_write' };
        const time = await timed(async () => {
          for (let offset = 0; offset < rows.length; offset += 500) await insertRows(client, shape, rows.slice(offset, offset + 500), method);
        });
        samples.set(method, [...(samples.get(method) ?? []), time.ms]);
      }
    }
    for (const method of INSERT_METHODS) methods.push({ method, ms: median(samples.get(method) ?? []) });
    return { rows: rows.length, methods };
  } finally {
    await client.query('DROP SCHEMA IF EXISTS bench_write CASCADE').catch(() => undefined);
    await client.end();
  }
}

/**
 * The first ingest's price for deciding billing at write time: the same corpus shape, retagged so that no response
 * is a copy of another corpus's, ingested once with the billing triggers disabled and once enabled per round (the
 * order alternating between rounds, so load from others falls on both alike). Only the queue's draining is timed.
 */
async function billingToggle(bench: BenchStack, rounds: number) {
  const results: { order: string; offMs: number; onMs: number; offHandlerMs: number; onHandlerMs: number }[] = [];
  const fresh = async (machine: string): Promise<CorpusObject[]> =>
    (await buildCorpus({ totalMb: settings.corpusMb, sessionMb: settings.sessionMb, claudeShare: settings.claudeShare }, machine)).map(
      (object) => ({ ...object, bytes: Buffer.from(retag(object.bytes.toString('utf8'), machine)) }),
    );
  try {
    for (let round = 0; round < rounds; round += 1) {
      const order: boolean[] = round % 2 === 0 ? [false, true] : [true, false];
      const times = new Map<boolean, Timed & FetchStats>();
      for (const enabled of order) {
        await setBillingTriggers(bench.pool, enabled);
        times.set(enabled, await uploadThenIngest(bench, await fresh(`billing-${enabled ? 'on' : 'off'}-${round}`)));
      }
      const off = times.get(false);
      const on = times.get(true);
      if (off === undefined || on === undefined) continue;
      results.push({ order: order.map((enabled) => (enabled ? 'on' : 'off')).join(', '), offMs: off.ms, onMs: on.ms, offHandlerMs: off.handlerMs, onHandlerMs: on.handlerMs });
    }
  } finally {
    await setBillingTriggers(bench.pool, true);
  }
  return {
    rounds: results,
    medianWallRatio: median(results.map((r) => r.onMs / r.offMs)),
    medianHandlerRatio: median(results.map((r) => r.onHandlerMs / r.offHandlerMs)),
  };
}

async function bigObject(bench: BenchStack, sizeMb: number): Promise<{ mb: number; ms: number; peakRssMb: number; outcome: string }> {
  const template = await claudeSessionText();
  const parts: Buffer[] = [];
  let size = 0;
  for (let repetition = 0; size < sizeMb * 1024 * 1024; repetition += 1) {
    const part = Buffer.from(retag(template, `big${repetition}`));
    parts.push(part);
    size += part.length;
  }
  const key = 'big/raw/claude/-home-bench-big/5c0375b4-57a5-4f26-b12d-b16b16b16b16.jsonl';
  await uploadLarge(bench, key, Buffer.concat(parts));
  parts.length = 0;
  const run = await ingestInChild(bench, key);
  return { mb: mib(size), ...run };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time per function (by name and place) as a share of all samples. */
function topFunctions(profile: unknown, count: number): { pct: number; name: string; where: string }[] {
  const nodes = (profile as { nodes: ProfileNode[] }).nodes;
  const total = nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byFunction = new Map<string, { hits: number; name: string; where: string }>();
  for (const node of nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : `${url.replace(/^.*\/(node_modules|wt-[^/]+|main)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = byFunction.get(key) ?? { hits: 0, name: functionName || '(anonymous)', where };
    entry.hits += node.hitCount ?? 0;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, count)
    .map((entry) => ({ pct: (100 * entry.hits) / Math.max(1, total), name: entry.name, where: entry.where }));
}

/** Time in the database's functions (triggers included; total includes the functions each one called). */
function printFunctions(functions: { name: string; calls: number; totalMs: number; selfMs: number }[], handlerMs: number): void {
  if (functions.length === 0) return;
  out('     in functions (pg_stat_user_functions: calls, total ms, share of handler time, self ms):');
  for (const entry of functions.slice(0, 8)) {
    out(`     ${String(entry.calls).padStart(6)} × ${fixed(entry.totalMs, 0).padStart(7)} ms ${fixed((100 * entry.totalMs) / handlerMs, 1).padStart(5)} %  ${entry.name} (self ${fixed(entry.selfMs, 0)} ms)`);
  }
}

/** The statement groups that took most of the handlers' time, with their share of it. */
function printStatements(groups: StatementGroup[], handlerMs: number): void {
  for (const group of groups.slice(0, 12)) {
    out(`     ${String(group.count).padStart(6)} × ${fixed(group.ms, 0).padStart(7)} ms ${fixed((100 * group.ms) / handlerMs, 1).padStart(5)} %  ${group.statement}`);
  }
}
