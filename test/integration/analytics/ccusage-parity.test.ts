import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeProjectsDir } from '../../fixtures/claude/expectations.js';
import { codexSessionsDir } from '../../fixtures/codex/expectations.js';
import { startAnalyticsStack, usageClaudeProjectsDir } from '../../support/analytics.js';
import { ccusageSkipReason, runCcusageDaily, type CcusageReports } from '../../support/ccusage.js';
import type { IngestStack } from '../../support/ingest-stack.js';

/**
 * daily_usage against ccusage 20.0.11 over the same files: per UTC day and model, tokens exactly and cost within
 * 0.5 % where both price the model. Every difference allowed here is explained, with the file and line that
 * causes it and which side is right, in docs/ccusage-parity.md; the numbers are ccusage minus sessionlake.
 */

interface Tokens {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  reasoning: number;
}

interface DayModel {
  tokens: Tokens;
  /** null: no price on that side (ccusage shows such a model as $0). */
  cost: number | null;
}

const ZERO: Tokens = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, reasoning: 0 };
const COST_TOLERANCE = 0.005;

/** Token differences, ccusage minus daily_usage, per `<agent> <day> <model>`; the § are docs/ccusage-parity.md's. */
const DOCUMENTED_TOKEN_DIFFERENCES: Record<string, Tokens> = {
  // §1: lines written with a space after the colon (`"usage": {`) are not read by ccusage.
  'claude 2025-06-14 claude-3-sonnet-20240229': { input: -238, output: -480, cacheWrite: 0, cacheRead: 0, reasoning: 0 },
  // §2: ccusage files a `"speed":"fast"` response under "<model>-fast"; the tokens are the same.
  'claude 2026-01-09 claude-opus-4-20250514': { input: -200, output: -75, cacheWrite: -50, cacheRead: -20, reasoning: 0 },
  'claude 2026-01-09 claude-opus-4-20250514-fast': { input: 200, output: 75, cacheWrite: 50, cacheRead: 20, reasoning: 0 },
  // §3: usage lines without a timestamp (and without a model) are dropped by ccusage, kept with no day here.
  'claude (no day) (no model)': { input: -3000, output: -150, cacheWrite: -300, cacheRead: -1300, reasoning: 0 },
  // §4: pre-0.51 Codex usage records, which ccusage does not read.
  'codex 2025-10-30 (no model)': { input: -5500, output: -4220, cacheWrite: 0, cacheRead: -2780, reasoning: 0 },
  // §5: re-emitted Codex token_count events, which ccusage bills again.
  'codex 2026-02-23 gpt-5.3-codex': { input: 869467, output: 81246, cacheWrite: 0, cacheRead: 14410112, reasoning: 36959 },
};

/** Keys where both price the model and the cost differs by more than 0.5 %: [ccusage, sessionlake]. */
const DOCUMENTED_COST_DIFFERENCES: Record<string, [number, number]> = {
  // §6: ccusage takes the `costUSD` the line carries; sessionlake prices the tokens.
  'claude 2026-01-09 claude-sonnet-4-20250514': [0.12, 0.00114675],
  'claude 2026-01-10 claude-sonnet-4-20250514': [0.56, 0.002787],
  // §7: above 200k input, ccusage bills only the tokens past 200k at the long-context rate.
  'claude 2026-03-02 claude-sonnet-4-20250514': [0.081765, 0.15153],
  // §5 again: the re-emitted token_count events.
  'codex 2026-02-23 gpt-5.3-codex': [10.587271099999999, 5.40649025],
};

function add(into: Map<string, DayModel>, key: string, tokens: Tokens, cost: number | null): void {
  const sum = into.get(key) ?? { tokens: { ...ZERO }, cost: 0 };
  for (const field of Object.keys(ZERO) as Array<keyof Tokens>) sum.tokens[field] += tokens[field];
  sum.cost = sum.cost === null || cost === null ? null : sum.cost + cost;
  into.set(key, sum);
}

function ccusageTotals(reports: CcusageReports): Map<string, DayModel> {
  const totals = new Map<string, DayModel>();
  for (const day of reports.claude.daily) {
    for (const model of day.modelBreakdowns) {
      const tokens = {
        input: model.inputTokens,
        output: model.outputTokens,
        cacheWrite: model.cacheCreationTokens,
        cacheRead: model.cacheReadTokens,
        reasoning: 0,
      };
      // ccusage prices a model it does not know at $0; that is "no price", not a cost.
      add(totals, `claude ${day.date} ${model.modelName}`, tokens, model.cost === 0 ? null : model.cost);
    }
  }
  for (const day of reports.codex.daily) {
    const models = Object.entries(day.models);
    for (const [name, model] of models) {
      const tokens = {
        input: model.inputTokens,
        output: model.outputTokens,
        cacheWrite: 0,
        cacheRead: model.cacheReadTokens,
        reasoning: model.reasoningOutputTokens,
      };
      // The Codex report has a cost per day only: it is the model's when the day has one model.
      const cost = models.length === 1 && day.costUSD > 0 ? day.costUSD : null;
      add(totals, `codex ${day.date} ${name}`, tokens, cost);
    }
  }
  return totals;
}

async function dailyUsageTotals(stack: IngestStack): Promise<Map<string, DayModel>> {
  const { rows } = await stack.pool.query<Record<string, string | null>>(
    `SELECT agent, coalesce(day::text, '(no day)') AS day, coalesce(model, '(no model)') AS model,
            sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cache_creation_input_tokens) AS cache_write,
            sum(cache_read_input_tokens) AS cache_read, sum(reasoning_output_tokens) AS reasoning,
            CASE WHEN bool_and(cost_usd IS NOT NULL) THEN sum(cost_usd) END AS cost
       FROM sessionlake.daily_usage
      GROUP BY 1, 2, 3`,
  );
  const totals = new Map<string, DayModel>();
  for (const row of rows) {
    const tokens = {
      input: Number(row['input']),
      output: Number(row['output']),
      cacheWrite: Number(row['cache_write']),
      cacheRead: Number(row['cache_read']),
      reasoning: Number(row['reasoning']),
    };
    add(totals, `${row['agent']} ${row['day']} ${row['model']}`, tokens, row['cost'] === null ? null : Number(row['cost']));
  }
  return totals;
}

let stack: IngestStack;
let theirs = new Map<string, DayModel>();
let ours = new Map<string, DayModel>();
const skipReason = ccusageSkipReason();
if (skipReason !== null) process.stderr.write(`ccusage-parity: ${skipReason}\n`);

beforeAll(async () => {
  if (skipReason !== null) return;
  const [started, reports] = await Promise.all([
    startAnalyticsStack(),
    runCcusageDaily([claudeProjectsDir, usageClaudeProjectsDir], [codexSessionsDir]),
  ]);
  stack = started;
  theirs = ccusageTotals(reports);
  ours = await dailyUsageTotals(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(skipReason !== null)('daily_usage against ccusage 20.0.11 (claude daily, codex daily; --offline --json --timezone UTC)', () => {
  it('has the same tokens per UTC day and model, except the documented differences', () => {
    // Prepare
    const keys = [...new Set([...theirs.keys(), ...ours.keys()])].sort();

    // Act
    const differences: Record<string, Tokens> = {};
    for (const key of keys) {
      const a = theirs.get(key)?.tokens ?? ZERO;
      const b = ours.get(key)?.tokens ?? ZERO;
      const difference = {
        input: a.input - b.input,
        output: a.output - b.output,
        cacheWrite: a.cacheWrite - b.cacheWrite,
        cacheRead: a.cacheRead - b.cacheRead,
        reasoning: a.reasoning - b.reasoning,
      };
      if (Object.values(difference).some((value) => value !== 0)) differences[key] = difference;
    }

    // Assess: most keys agree, and the rest are exactly the documented ones
    expect(keys.length - Object.keys(differences).length).toBeGreaterThanOrEqual(8);
    expect(differences).toEqual(DOCUMENTED_TOKEN_DIFFERENCES);
  });

  it('has the same cost within 0.5 % per UTC day and model where both price the model, except the documented ones', () => {
    // Prepare
    const compared: string[] = [];
    const differences: Record<string, [number, number]> = {};

    // Act
    for (const [key, mine] of ours) {
      const other = theirs.get(key);
      if (mine.cost === null || other?.cost == null) continue;
      compared.push(key);
      if (Math.abs(other.cost - mine.cost) > COST_TOLERANCE * Math.max(Math.abs(other.cost), Math.abs(mine.cost))) {
        differences[key] = [other.cost, Number(mine.cost.toFixed(10))];
      }
    }

    // Assess
    expect(compared.length).toBeGreaterThanOrEqual(6);
    expect(differences).toEqual(DOCUMENTED_COST_DIFFERENCES);
  });
});
