/**
 * Parser throughput on a large synthetic session per agent, against the floor any parser pays measured in the
 * same run on the same bytes: reading lines and JSON.parse. Real fixture sessions repeated, ids made unique per
 * repetition so deduplication works as on a real long session.
 *
 * Part 1 of `npm run bench`; alone (no Postgres, no corpus): `npm run bench:parse [-- --parsers claude,codex]
 * [-- --parse-mb 16] [-- --runs 3]`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readLines } from '../shared/lines/line-reader.js';
import { parseSession } from '../shared/parsers/parse-session.js';
import { allAgentDefinitions } from '../shared/agents/registry.js';
import type { ParserDefinition } from '../shared/parsers/types.js';
import type { RecordSink } from '../shared/model.js';
import { RedactingSink } from '../shared/redaction/redacting-sink.js';
import { retag } from './corpus.js';

const CHUNK = 64 * 1024;

/** Every agent's bench samples (its definition's `benchSamples`), in registry order. */
const inputs: { name: string; fixture: string; parser: ParserDefinition }[] = allAgentDefinitions().flatMap((agent) =>
  agent.benchSamples.map((sample) => ({ name: sample.name, fixture: [...agent.localFolder.samples, sample.file].join('/'), parser: agent.parser })),
);

export interface ParseRow {
  input: string;
  parser: string;
  mib: number;
  floorMibPerS: number;
  parserMibPerS: number;
  ratio: number;
  /** Parser time / the holding floor's (lines + JSON.parse + every record kept to the end) on the same bytes. */
  holdingRatio: number;
  peakHeapMb: number;
  rows: number;
  /** The same parse with secret redaction between parser and sink, as the ingest runs it. */
  redactedMibPerS: number;
  /** Redaction's cost: parser+redaction time / parser time on the same bytes (issue 12's limit: 1.3). */
  redactionRatio: number;
}

async function syntheticObject(fixture: string, targetBytes: number): Promise<Uint8Array> {
  const text = await readFile(fileURLToPath(new URL(`../test/fixtures/${fixture}`, import.meta.url)), 'utf8');
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const parts: string[] = [];
  let size = 0;
  for (let repetition = 0; size < targetBytes; repetition += 1) {
    const part = retag(body, `r${repetition}`);
    parts.push(part);
    size += Buffer.byteLength(part);
  }
  return new TextEncoder().encode(parts.join(''));
}

async function* chunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK) yield bytes.subarray(offset, offset + CHUNK);
}

interface Measurement {
  ms: number;
  rows: number;
}

/**
 * One timed run of `work`, as a process that has been parsing sees it: a full collection, then `work` once
 * untimed, then a young-generation collection, then the timed run. The untimed pass matters: a full collection
 * frees the hidden classes of the records the last run decoded, V8 throws away the optimized code that depended
 * on them (`--trace-deopt`: "weak objects"), and a run timed right after one spends much of its time
 * re-optimizing. That cost grows with the code run per line, so without the warm-up the ratios measured how
 * much code a parser has more than how fast it is (docs/performance.md, "Third pass"). What the untimed pass left
 * in the old generation stays, so a collection of it during the timed run is charged to the same work.
 */
async function measure(work: () => Promise<number>): Promise<Measurement> {
  global.gc?.();
  await work();
  global.gc?.({ type: 'minor' });
  const start = performance.now();
  const rows = await work();
  const ms = performance.now() - start;
  return { ms, rows };
}

/** Heap growth of one run of `work` from a collected heap (its time is not used). */
async function measureHeap(work: () => Promise<number>): Promise<number> {
  global.gc?.();
  const baseHeap = process.memoryUsage().heapUsed;
  let peak = baseHeap;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  await work();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return (peak - baseHeap) / 1024 / 1024;
}

/**
 * The floor plus keeping every decoded record to the end of the object: the least any parser pays for a format
 * in which a later line may change any earlier message, so that nothing is final before the end (an agent whose
 * parser cannot be resumed, docs/adding-an-agent.md). Printed beside the plain floor's ratio for every input;
 * the goals are measured against the plain floor.
 */
async function holdingFloor(bytes: Uint8Array): Promise<number> {
  const kept: unknown[] = [];
  for await (const line of readLines(chunks(bytes))) {
    if (line.text !== '') kept.push(JSON.parse(line.text));
  }
  return kept.length;
}

async function floor(bytes: Uint8Array): Promise<number> {
  let objects = 0;
  for await (const line of readLines(chunks(bytes))) {
    if (line.text !== '') {
      JSON.parse(line.text);
      objects += 1;
    }
  }
  return objects;
}

async function parse(bytes: Uint8Array, parser: ParserDefinition, options: { redact: boolean } = { redact: false }): Promise<number> {
  let rows = 0;
  const counter: RecordSink = { message: () => (rows += 1), toolCall: () => (rows += 1), revise: () => {} };
  const sink = options.redact ? new RedactingSink(counter, { add: () => {} }) : counter;
  const outcome = await parseSession(chunks(bytes), parser, { fileStem: 'bench', projectDir: null, parentSourceSessionId: null }, sink);
  if (sink instanceof RedactingSink && outcome.result !== null) sink.redactSummary(outcome.result.summary);
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The bench's input names (`--parsers` takes a comma-separated subset). */
export const PARSE_INPUTS: readonly string[] = inputs.map((input) => input.name);

/** Each input in `only` (all when absent) repeated to `mb` MiB, parsed `runs` times against the floor. */
export async function parseBench(mb: number, runs: number, only?: readonly string[]): Promise<ParseRow[]> {
  const unknown = (only ?? []).filter((name) => !PARSE_INPUTS.includes(name));
  if (unknown.length > 0) throw new Error(`no parse input named ${unknown.join(', ')} (inputs: ${PARSE_INPUTS.join(', ')})`);
  const rows: ParseRow[] = [];
  for (const input of inputs) {
    if (only !== undefined && !only.includes(input.name)) continue;
    const bytes = await syntheticObject(input.fixture, mb * 1024 * 1024);
    const mib = bytes.length / 1024 / 1024;
    const base: Measurement[] = [];
    const holding: Measurement[] = [];
    const parsed: Measurement[] = [];
    const redacted: Measurement[] = [];
    const heap: number[] = [];
    // Alternating runs: load from elsewhere on the machine falls on all alike.
    for (let run = 0; run < runs; run += 1) {
      base.push(await measure(() => floor(bytes)));
      holding.push(await measure(() => holdingFloor(bytes)));
      parsed.push(await measure(() => parse(bytes, input.parser)));
      redacted.push(await measure(() => parse(bytes, input.parser, { redact: true })));
      heap.push(await measureHeap(() => parse(bytes, input.parser)));
    }
    const baseMs = median(base.map((m) => m.ms));
    const holdingMs = median(holding.map((m) => m.ms));
    const parseMs = median(parsed.map((m) => m.ms));
    const redactMs = median(redacted.map((m) => m.ms));
    rows.push({
      input: input.name,
      parser: input.parser.version,
      mib,
      floorMibPerS: mib / (baseMs / 1000),
      parserMibPerS: mib / (parseMs / 1000),
      ratio: parseMs / baseMs,
      holdingRatio: parseMs / holdingMs,
      peakHeapMb: median(heap),
      rows: parsed[0]?.rows ?? 0,
      redactedMibPerS: mib / (redactMs / 1000),
      redactionRatio: redactMs / parseMs,
    });
  }
  return rows;
}

/** `--parsers a,b`: the named inputs; undefined (all) when the flag is absent. */
export function parserFilter(flag: string | undefined): string[] | undefined {
  return flag === undefined ? undefined : flag.split(',').map((name) => name.trim()).filter((name) => name !== '');
}

/** The table `npm run bench` prints for part 1. */
export function printParseRows(rows: ParseRow[], out: (line: string) => void): void {
  const fixed = (value: number, digits = 2) => value.toFixed(digits);
  out('input   parser      MiB/s   floor MiB/s   ratio   peak heap MiB');
  for (const row of rows) {
    out(`${row.input.padEnd(7)} ${row.parser.padEnd(10)} ${fixed(row.parserMibPerS, 1).padStart(6)}   ${fixed(row.floorMibPerS, 1).padStart(11)}   ${fixed(row.ratio).padStart(5)}x   ${fixed(row.peakHeapMb, 1).padStart(13)}`);
    out(`        + redaction ${fixed(row.redactedMibPerS, 1).padStart(6)}   parser+redaction / parser = ${fixed(row.redactionRatio)}x (limit 1.30x)`);
    out(`        vs a floor that keeps every record to the end: ${fixed(row.holdingRatio)}x`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: flags } = parseArgs({ options: { parsers: { type: 'string' }, 'parse-mb': { type: 'string' }, runs: { type: 'string' } } });
  const settings = { parseMb: Number(flags['parse-mb'] ?? 16), runs: Number(flags.runs ?? 3), parsers: parserFilter(flags.parsers) ?? PARSE_INPUTS };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`sessionlake parse bench: node ${process.version}, ${JSON.stringify(settings)}`);
  out('parse (median of runs, each after an untimed warm-up; ratio = time / lines+JSON.parse of the same bytes)');
  printParseRows(await parseBench(settings.parseMb, settings.runs, settings.parsers), out);
}
