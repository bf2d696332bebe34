/**
 * `npm run bench`: parser throughput and memory on a large synthetic session, each against a baseline
 * measured in the same run on the same bytes (line reader + JSON.parse, the floor any parser pays).
 * Input: real fixture sessions repeated until the object reaches --mb megabytes (default 64), with response
 * ids made unique per repetition so deduplication works as on a real long session.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readLines } from '../shared/lines/line-reader.js';
import { parseSession } from '../shared/parsers/parse-session.js';
import { PARSERS } from '../shared/parsers/registry.js';
import type { ParserDefinition } from '../shared/parsers/types.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '64' }, runs: { type: 'string', default: '3' } } });
const targetBytes = Number(values.mb) * 1024 * 1024;
const runs = Number(values.runs);
const CHUNK = 64 * 1024;

const inputs: { name: string; fixture: string; parser: ParserDefinition }[] = [
  {
    name: 'claude',
    fixture: 'claude/projects/-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl',
    parser: PARSERS.claude,
  },
  {
    name: 'codex',
    fixture: 'codex/sessions/2026/02/23/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl',
    parser: PARSERS.codex,
  },
];

async function syntheticObject(fixture: string): Promise<Uint8Array> {
  const text = await readFile(fileURLToPath(new URL(`../test/fixtures/${fixture}`, import.meta.url)), 'utf8');
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const parts: string[] = [];
  let size = 0;
  for (let repetition = 0; size < targetBytes; repetition += 1) {
    const part = body.replace(/"(id|call_id|tool_use_id|requestId|uuid|parentUuid)":"/g, `"$1":"r${repetition}-`);
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
  peakHeapMb: number;
  rows: number;
}

async function measure(work: () => Promise<number>): Promise<Measurement> {
  global.gc?.();
  const baseHeap = process.memoryUsage().heapUsed;
  let peak = baseHeap;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const start = performance.now();
  const rows = await work();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { ms, peakHeapMb: (peak - baseHeap) / 1024 / 1024, rows };
}

async function baseline(bytes: Uint8Array): Promise<number> {
  let objects = 0;
  for await (const line of readLines(chunks(bytes))) {
    if (line.text !== '') {
      JSON.parse(line.text);
      objects += 1;
    }
  }
  return objects;
}

async function parse(bytes: Uint8Array, parser: ParserDefinition): Promise<number> {
  let rows = 0;
  const sink = { message: () => (rows += 1), toolCall: () => (rows += 1), revise: () => {} };
  await parseSession(chunks(bytes), parser, { fileStem: 'bench', projectDir: null, parentSourceSessionId: null }, sink);
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

process.stdout.write(`sessionlake bench: ${values.mb} MiB per input, median of ${runs} runs, node ${process.version}\n\n`);
process.stdout.write('input   step                 MiB/s   vs baseline   peak heap MiB   rows\n');
for (const input of inputs) {
  const bytes = await syntheticObject(input.fixture);
  const mib = bytes.length / 1024 / 1024;
  const base: Measurement[] = [];
  const parsed: Measurement[] = [];
  for (let run = 0; run < runs; run += 1) {
    base.push(await measure(() => baseline(bytes)));
    parsed.push(await measure(() => parse(bytes, input.parser)));
  }
  const baseMs = median(base.map((m) => m.ms));
  const parseMs = median(parsed.map((m) => m.ms));
  const row = (step: string, ms: number, ratio: string, heap: number, rows: number) =>
    `${input.name.padEnd(7)} ${step.padEnd(20)} ${(mib / (ms / 1000)).toFixed(1).padStart(6)}   ${ratio.padStart(11)}   ${heap.toFixed(1).padStart(13)}   ${rows}\n`;
  process.stdout.write(row('lines+JSON.parse', baseMs, '1.00x', median(base.map((m) => m.peakHeapMb)), base[0]?.rows ?? 0));
  process.stdout.write(
    row(`${input.parser.version} parser`, parseMs, `${(parseMs / baseMs).toFixed(2)}x`, median(parsed.map((m) => m.peakHeapMb)), parsed[0]?.rows ?? 0),
  );
}
process.stdout.write('\nvs baseline = time relative to reading and JSON-decoding the same bytes (lower is better).\n');
process.stdout.write('peak heap = growth over the run; it stays flat as the object grows when memory is bounded.\n');
