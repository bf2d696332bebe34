import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadDirectory } from '../../../infra/local/upload-directory.js';
import { geminiTmpDir } from '../../fixtures/gemini/expectations.js';
import { ccusageSkipReason, runCcusageGeminiDaily, type CcusageGeminiDaily } from '../../support/ccusage.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * Gemini CLI: sessionlake's daily_usage against `ccusage gemini daily` (20.0.11) over the same ~/.gemini/tmp.
 * ccusage's Gemini JSON has totals per day only, so days are compared (no fixture day mixes models in one
 * file). Its `outputTokens` leaves thoughts out, so it is compared with output − reasoning here. Every other
 * difference is listed below, as ccusage minus sessionlake, and explained in docs/ccusage-parity.md ("Gemini CLI").
 * ccusage has no Gemini prices offline (totalCost 0), so costs are not compared.
 */

interface DayTokens {
  input: number;
  output: number;
  cacheRead: number;
}

/** ccusage minus sessionlake, per day: the resumed legacy .json's reply billed a second time (docs §G1). */
const DOCUMENTED: Record<string, DayTokens> = {
  '2025-09-01': { input: 12_000, output: 300, cacheRead: 0 },
};

const skipReason = ccusageSkipReason();
if (skipReason !== null) process.stderr.write(`gemini-ccusage-parity: ${skipReason}\n`);

let stack: IngestStack;
let theirs: CcusageGeminiDaily;
const ours = new Map<string, DayTokens>();

beforeAll(async () => {
  if (skipReason !== null) return;
  const [started, report] = await Promise.all([startIngestStack({ runner: { functionTimeoutMs: 30_000, waitTimeSeconds: 1 } }), runCcusageGeminiDaily(geminiTmpDir)]);
  stack = started;
  theirs = report;
  await uploadDirectory({ s3: stack.emulator.s3, bucket: stack.emulator.bucket, localDir: geminiTmpDir, keyPrefix: 'sample/raw/gemini/' });
  await stack.runner?.drain();
  const { rows } = await stack.pool.query(
    `SELECT day::text, sum(input_tokens)::int AS input, sum(output_tokens - reasoning_output_tokens)::int AS output,
            sum(cache_read_input_tokens)::int AS cache_read
       FROM sessionlake.daily_usage WHERE agent = 'gemini' GROUP BY 1`,
  );
  for (const row of rows) ours.set(row.day, { input: row.input, output: row.output, cacheRead: row.cache_read });
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(skipReason !== null)('Gemini CLI daily_usage against ccusage 20.0.11 (gemini daily; --offline --json --timezone UTC)', () => {
  it('has the same tokens per UTC day, except the documented difference', () => {
    expect(theirs.daily.length).toBeGreaterThan(0);
    const days = new Set([...theirs.daily.map((day) => day.date), ...ours.keys()]);
    const differences: Record<string, DayTokens> = {};
    for (const day of [...days].sort()) {
      const them = theirs.daily.find((entry) => entry.date === day);
      const us = ours.get(day) ?? { input: 0, output: 0, cacheRead: 0 };
      const delta = {
        input: (them?.inputTokens ?? 0) - us.input,
        output: (them?.outputTokens ?? 0) - us.output,
        cacheRead: (them?.cacheReadTokens ?? 0) - us.cacheRead,
      };
      if (delta.input !== 0 || delta.output !== 0 || delta.cacheRead !== 0) differences[day] = delta;
    }
    expect(differences).toEqual(DOCUMENTED);
  });

  it('prices gemini-2.5-pro requests whose prompt exceeds 200k tokens at the higher tier, on every token', async () => {
    const { rows } = await stack.pool.query(
      `SELECT count(*)::int AS responses, bool_and(is_long_context) AS all_long, sum(cost_usd)::float8 AS cost
         FROM sessionlake.usage WHERE agent = 'gemini' AND model = 'gemini-2.5-pro' AND day = '2026-11-20'`,
    );
    // The demo session's three 2.5 Pro replies (one rewound), prompts 242 310, 243 012 and 243 500 tokens, at
    // $2.50 input, $15 output, $0.25 cache read per million:
    //   62 310 × 2.5 + 370 × 15 + 180 000 × 0.25 = 206 325
    //    3 012 × 2.5 + 420 × 15 + 240 000 × 0.25 =  73 830
    //    3 500 × 2.5 + 155 × 15 + 240 000 × 0.25 =  71 075   → $0.35123
    expect(rows[0]).toMatchObject({ responses: 3, all_long: true });
    expect(rows[0]?.cost).toBeCloseTo(0.35123, 8);
  });

  it('counts no cache writes, as sessionlake (Gemini reports none)', () => {
    expect(theirs.daily.every((day) => day.cacheCreationTokens === 0)).toBe(true);
  });
});
