import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexFixtureExpectations, codexSessionsDir } from '../../../fixtures/codex/expectations.js';
import { billedRows, parseFixture } from './support.js';

/**
 * @ccusage/codex 18.0.11 (the independent Codex usage tool) against the parser, per UTC day and model.
 * The differences it is allowed are those shared/parsers/codex/README.md explains, with these numbers.
 * ccusage's inputTokens includes the cached part; the parser stores input without it (Claude's meaning), so
 * the comparison rebuilds Codex's input as the parser's input + cacheReadInput.
 */

const execFileAsync = promisify(execFile);
const CCUSAGE_BIN = fileURLToPath(new URL('../../../../node_modules/.bin/ccusage-codex', import.meta.url));
const NO_MODEL = '(no model)';

interface Totals {
  /** Codex's input_tokens: includes the cached part. */
  input: number;
  cacheReadInput: number;
  output: number;
  reasoningOutput: number;
}

/** ccusage minus parser, per `<UTC day> <model>`; README.md §1 and §2. */
const DOCUMENTED_DIFFERENCES: Record<string, Totals> = {
  // §1: ccusage bills the 189 token_count events that repeat the previous totals.
  '2026-02-23 gpt-5.3-codex': { input: 15279579, cacheReadInput: 14410112, output: 81246, reasoningOutput: 36959 },
  // §2: ccusage ignores legacy turn.completed / {prompt, completion} usage.
  [`2025-10-30 ${NO_MODEL}`]: { input: -8280, cacheReadInput: -2780, output: -4220, reasoningOutput: 0 },
};

const ZERO: Totals = { input: 0, cacheReadInput: 0, output: 0, reasoningOutput: 0 };

function add(into: Map<string, Totals>, key: string, totals: Totals): void {
  const sum = into.get(key) ?? { ...ZERO };
  sum.input += totals.input;
  sum.cacheReadInput += totals.cacheReadInput;
  sum.output += totals.output;
  sum.reasoningOutput += totals.reasoningOutput;
  into.set(key, sum);
}

async function parserTotals(): Promise<Map<string, Totals>> {
  const totals = new Map<string, Totals>();
  for (const { path: relativePath } of codexFixtureExpectations) {
    const { messages } = await parseFixture(relativePath);
    for (const row of billedRows(messages)) {
      const tokens = row.tokens;
      if (tokens === null || row.timestamp === null) throw new Error(`billed row without tokens or time: ${relativePath}`);
      add(totals, `${row.timestamp.slice(0, 10)} ${row.model ?? NO_MODEL}`, {
        input: (tokens.input ?? 0) + (tokens.cacheReadInput ?? 0),
        cacheReadInput: tokens.cacheReadInput ?? 0,
        output: tokens.output ?? 0,
        reasoningOutput: tokens.reasoningOutput ?? 0,
      });
    }
  }
  return totals;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ccusage prints days as `Feb 23, 2026`. */
function isoDay(display: string): string {
  const match = /^([A-Z][a-z]{2}) (\d{2}), (\d{4})$/u.exec(display);
  const month = match === null ? -1 : MONTHS.indexOf(match[1] ?? '');
  if (match === null || month === -1) throw new Error(`unexpected ccusage date "${display}"`);
  return `${match[3]}-${String(month + 1).padStart(2, '0')}-${match[2]}`;
}

interface CcusageModelUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
}

interface CcusageDaily {
  daily: { date: string; models: Record<string, CcusageModelUsage> }[];
}

async function ccusageTotals(codexHome: string): Promise<Map<string, Totals>> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [CCUSAGE_BIN, 'daily', '--offline', '--json', '--timezone', 'UTC'],
    { env: { ...process.env, CODEX_HOME: codexHome, HOME: codexHome, NO_COLOR: '1' }, timeout: 60_000 },
  );
  const report = JSON.parse(stdout) as CcusageDaily;
  const totals = new Map<string, Totals>();
  for (const day of report.daily) {
    for (const [model, usage] of Object.entries(day.models)) {
      add(totals, `${isoDay(day.date)} ${model}`, {
        input: usage.inputTokens,
        cacheReadInput: usage.cachedInputTokens,
        output: usage.outputTokens,
        reasoningOutput: usage.reasoningOutputTokens,
      });
    }
  }
  return totals;
}

/** Independent of both tools: the usage of token_count events that repeat the previous totals, per day. */
async function repeatedUsageByDay(): Promise<Map<string, Totals>> {
  const byDay = new Map<string, Totals>();
  for (const { path: relativePath } of codexFixtureExpectations) {
    const text = await readFile(path.join(codexSessionsDir, relativePath), 'utf8');
    let previousTotals: string | null = null;
    for (const line of text.split('\n')) {
      if (!line.includes('"token_count"')) continue;
      const event = JSON.parse(line) as { timestamp: string; payload: { info: Record<string, unknown> | null } };
      const info = event.payload.info;
      if (info === null || info['total_token_usage'] === undefined) continue;
      const totals = JSON.stringify(info['total_token_usage']);
      const last = info['last_token_usage'] as Record<string, number>;
      if (totals === previousTotals) {
        add(byDay, event.timestamp.slice(0, 10), {
          input: last['input_tokens'] ?? 0,
          cacheReadInput: last['cached_input_tokens'] ?? 0,
          output: last['output_tokens'] ?? 0,
          reasoningOutput: last['reasoning_output_tokens'] ?? 0,
        });
      }
      previousTotals = totals;
    }
  }
  return byDay;
}

describe('Codex token totals against @ccusage/codex', () => {
  let codexHome = '';
  let ours = new Map<string, Totals>();
  let theirs = new Map<string, Totals>();

  beforeAll(async () => {
    codexHome = await mkdtemp(path.join(tmpdir(), 'sessionlake-ccusage-codex-'));
    await cp(codexSessionsDir, path.join(codexHome, 'sessions'), { recursive: true });
    [ours, theirs] = await Promise.all([parserTotals(), ccusageTotals(codexHome)]);
  });

  afterAll(async () => {
    if (codexHome !== '') await rm(codexHome, { recursive: true, force: true });
  });

  it('agrees on every UTC day and model except the differences README.md documents', () => {
    // Prepare
    const keys = [...new Set([...ours.keys(), ...theirs.keys()])].sort();

    // Act
    const differences: Record<string, Totals> = {};
    for (const key of keys) {
      const a = theirs.get(key) ?? ZERO;
      const b = ours.get(key) ?? ZERO;
      const difference = {
        input: a.input - b.input,
        cacheReadInput: a.cacheReadInput - b.cacheReadInput,
        output: a.output - b.output,
        reasoningOutput: a.reasoningOutput - b.reasoningOutput,
      };
      if (Object.values(difference).some((value) => value !== 0)) differences[key] = difference;
    }

    // Assess
    expect(keys.length).toBeGreaterThan(Object.keys(DOCUMENTED_DIFFERENCES).length);
    expect(differences).toEqual(DOCUMENTED_DIFFERENCES);
  });

  it('differs on 2026-02-23 by exactly the token_count events that repeat the previous totals', async () => {
    // Prepare / Act
    const repeated = await repeatedUsageByDay();

    // Assess
    expect(Object.fromEntries(repeated)).toEqual({ '2026-02-23': DOCUMENTED_DIFFERENCES['2026-02-23 gpt-5.3-codex'] });
  });

  it('bills the legacy usage records ccusage does not read', () => {
    // Prepare / Act
    const legacyDay = ours.get(`2025-10-30 ${NO_MODEL}`);

    // Assess: 050 line 3, 051 lines 2-3, 052 lines 4 and 6 (input_tokens as written, cached part included)
    expect(legacyDay).toEqual({ input: 1420 + 4260 + 2600, cacheReadInput: 1800 + 980, output: 910 + 2430 + 880, reasoningOutput: 0 });
    expect([...theirs.keys()].filter((key) => key.startsWith('2025-10-30'))).toEqual([]);
  });
});
