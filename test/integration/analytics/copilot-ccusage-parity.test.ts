import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadDirectory } from '../../../infra/local/upload-directory.js';
import { copilotHomeDir } from '../../fixtures/copilot/expectations.js';
import { ccusageSkipReason, runCcusageCopilotDaily, type CcusageCopilotDaily } from '../../support/ccusage.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * GitHub Copilot CLI: sessionlake's daily_usage against `ccusage copilot daily` (20.0.11) over the same ~/.copilot.
 * Every fixture day has one model, so days are compared with that model's row. The differences, ccusage minus
 * sessionlake, are listed here and explained in docs/ccusage-parity.md ("GitHub Copilot CLI").
 */

interface DayTokens {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  cost: number;
}

const DOCUMENTED: Record<string, Omit<DayTokens, 'cost'>> = {
  // C1: a process without the OTel export (session A's first) is in its shutdown totals only
  '2026-11-20': { input: -2000, output: -800, cacheWrite: -1000, cacheRead: -9000 },
  // C2: ccusage leaves the cache writes (500) in the spans' uncached input
  '2026-11-21': { input: 500, output: 0, cacheWrite: 0, cacheRead: 0 },
  // C1: the resumed run had no export: its call is in its usage record only (prompt 1204, 1000 cached, 40 out)
  '2026-12-06': { input: -204, output: -40, cacheWrite: 0, cacheRead: -1000 },
};

/** C3: ccusage prices a span's reasoning tokens again on top of its output (100 reasoning × gpt-5.4's $15 per M). */
const COST_DOCUMENTED: Record<string, number> = { '2026-11-22': 0.0015 };

const skipReason = ccusageSkipReason();
if (skipReason !== null) process.stderr.write(`copilot-ccusage-parity: ${skipReason}\n`);

let stack: IngestStack;
let theirs: CcusageCopilotDaily;
const ours = new Map<string, DayTokens & { models: string[] }>();

beforeAll(async () => {
  if (skipReason !== null) return;
  const [started, report] = await Promise.all([
    startIngestStack({ runner: { functionTimeoutMs: 30_000, waitTimeSeconds: 1 } }),
    runCcusageCopilotDaily(copilotHomeDir),
  ]);
  stack = started;
  theirs = report;
  await uploadDirectory({ s3: stack.emulator.s3, bucket: stack.emulator.bucket, localDir: copilotHomeDir, keyPrefix: 'sample/raw/copilot/' });
  await stack.runner?.drain();
  const { rows } = await stack.pool.query(
    `SELECT day::text, array_agg(DISTINCT model) AS models, sum(input_tokens)::int AS input, sum(output_tokens)::int AS output,
            sum(cache_creation_input_tokens)::int AS cache_write, sum(cache_read_input_tokens)::int AS cache_read,
            sum(cost_usd)::float8 AS cost
       FROM sessionlake.daily_usage WHERE agent = 'copilot' GROUP BY 1`,
  );
  for (const row of rows) {
    ours.set(row.day, { models: row.models, input: row.input, output: row.output, cacheWrite: row.cache_write, cacheRead: row.cache_read, cost: row.cost });
  }
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(skipReason !== null)('Copilot CLI daily_usage against ccusage 20.0.11 (copilot daily; --offline --json --timezone UTC)', () => {
  it('has the same tokens per UTC day and model, except the documented differences', () => {
    expect(theirs.daily.length).toBeGreaterThan(0);
    const days = [...new Set([...theirs.daily.map((day) => day.date), ...ours.keys()])].sort();
    const differences: Record<string, Omit<DayTokens, 'cost'>> = {};
    for (const day of days) {
      const them = theirs.daily.find((entry) => entry.date === day);
      const us = ours.get(day);
      if (them !== undefined && us !== undefined) expect(them.modelsUsed).toEqual(us.models);
      const delta = {
        input: (them?.inputTokens ?? 0) - (us?.input ?? 0),
        output: (them?.outputTokens ?? 0) - (us?.output ?? 0),
        cacheWrite: (them?.cacheCreationTokens ?? 0) - (us?.cacheWrite ?? 0),
        cacheRead: (them?.cacheReadTokens ?? 0) - (us?.cacheRead ?? 0),
      };
      if (Object.values(delta).some((value) => value !== 0)) differences[day] = delta;
    }
    expect(differences).toEqual(DOCUMENTED);
  });

  it('prices the days whose tokens agree the same, within 0.5 %, but for the documented difference', () => {
    const agreeing = theirs.daily.filter((day) => DOCUMENTED[day.date] === undefined);
    expect(agreeing.map((day) => day.date)).toEqual(Object.keys(COST_DOCUMENTED));
    for (const day of agreeing) {
      const us = ours.get(day.date);
      expect(us?.cost, day.date).not.toBeNull();
      const expected = (us?.cost ?? 0) + (COST_DOCUMENTED[day.date] ?? 0);
      expect(Math.abs(expected - day.totalCost) / day.totalCost, day.date).toBeLessThan(0.005);
    }
  });
});
