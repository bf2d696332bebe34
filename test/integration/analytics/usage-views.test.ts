import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStack } from '../../support/ingest-stack.js';
import { SAMPLE_MACHINE, startAnalyticsStack } from '../../support/analytics.js';

/**
 * The usage view bills each model response once across all files, and its cost follows the price rules
 * (docs/queries.md, README "Usage, cost and search"). Every expected number below was counted from the fixture
 * lines with jq or by hand from the seeded prices (USD per million tokens), never read back from the views.
 */

const CLAUDE = `${SAMPLE_MACHINE}/raw/claude`;
const DEMO_PARENT = `${CLAUDE}/-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7`;
const DEMO_SUBAGENT = `${DEMO_PARENT}/subagents/agent-a1f6e0c2d9b84e77`;
const ORIGINAL = `${CLAUDE}/-path-to-Demo/1af7fc5e-8455-4414-9ccd-011d40f70b2a`;
const RESUMED = `${CLAUDE}/-path-to-Demo/e7c2a9d4-3b18-4f6a-9e25-7d0c4b8a1f63`;
const PRICING = `${CLAUDE}/-Users-dev-pricing/3d9f1b72-5c4e-4a81-b6d0-8e2f7a9c4b15`;
const CODEX_CACHED = `${SAMPLE_MACHINE}/raw/codex/2026/08/01/rollout-2026-08-01T18-07-03-019fbcca-9fd4-7d20-83dc-0762b2f839b3`;

/** The three responses of lines 16-22 of the parent file, also the whole subagent file. */
const SUBAGENT_MESSAGE_IDS = ['msg_012hC6NGVaHocF7Tsc4z4cA2', 'msg_01BWHsYxQBBnzQd8o6ipRbWB', 'msg_01CHVXQb6qDihpHcDpuqvJzD'];

interface TokenSums {
  responses: number;
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

let stack: IngestStack;

beforeAll(async () => {
  stack = await startAnalyticsStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function tokenSums(from: string, where: string, params: unknown[]): Promise<TokenSums> {
  const { rows } = await stack.pool.query<Record<string, string>>(
    `SELECT count(*) AS responses, coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
            coalesce(sum(cache_creation_input_tokens), 0) AS cache_write, coalesce(sum(cache_read_input_tokens), 0) AS cache_read
       FROM ${from} WHERE ${where}`,
    params,
  );
  const row = rows[0] ?? {};
  return {
    responses: Number(row['responses']),
    input: Number(row['input']),
    output: Number(row['output']),
    cacheWrite: Number(row['cache_write']),
    cacheRead: Number(row['cache_read']),
  };
}

/** Rows of the messages table that carry a response's tokens (one per response and file). */
const CARRIES_TOKENS = `num_nonnulls(input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens) > 0`;

describe('a Claude response copied into another file is billed once', () => {
  it('bills a subagent response present in the parent file and in the subagent file once', async () => {
    // Prepare: both files were ingested, and each bills the three responses on its own
    const perFile = await tokenSums('sessionlake.messages', `${CARRIES_TOKENS} AND message_id = ANY($1)`, [SUBAGENT_MESSAGE_IDS]);
    const { rows: files } = await stack.pool.query<{ session_id: string }>(
      `SELECT DISTINCT session_id FROM sessionlake.messages WHERE message_id = ANY($1) ORDER BY 1`,
      [SUBAGENT_MESSAGE_IDS],
    );

    // Act
    const billed = await tokenSums('sessionlake.usage', 'message_id = ANY($1)', [SUBAGENT_MESSAGE_IDS]);
    const { rows: owners } = await stack.pool.query<{ session_id: string }>(
      `SELECT DISTINCT session_id FROM sessionlake.usage WHERE message_id = ANY($1)`,
      [SUBAGENT_MESSAGE_IDS],
    );

    // Assess: jq over lines 16-22, largest output per message.id + requestId
    expect(files.map((row) => row.session_id)).toEqual([DEMO_PARENT, DEMO_SUBAGENT]);
    expect(perFile.responses).toBe(6);
    expect(billed).toEqual({ responses: 3, input: 18, output: 485, cacheWrite: 13436, cacheRead: 25737 });
    expect(owners).toEqual([{ session_id: DEMO_PARENT }]);
  });

  it('bills a session resumed into a second file once', async () => {
    // Prepare: jq over 1af7fc5e…jsonl, largest output per message.id + requestId
    const expected = { responses: 7, input: 93, output: 953, cacheWrite: 12698, cacheRead: 103219 };
    const copies = await tokenSums('sessionlake.messages', `${CARRIES_TOKENS} AND session_id = ANY($1)`, [
      [ORIGINAL, RESUMED],
    ]);

    // Act
    const billed = await tokenSums('sessionlake.usage', 'session_id = ANY($1)', [[ORIGINAL, RESUMED]]);
    const fromResumed = await tokenSums('sessionlake.usage', 'session_id = $1', [RESUMED]);

    // Assess
    expect(copies.responses).toBe(14);
    expect(billed).toEqual(expected);
    expect(fromResumed.responses).toBe(0);
  });

  it('leaves <synthetic> notices out', async () => {
    const { rows } = await stack.pool.query(`SELECT 1 FROM sessionlake.usage WHERE model = '<synthetic>'`);

    expect(rows).toEqual([]);
  });
});

interface CostRow {
  model: string;
  cache_write_5m_tokens: string;
  cache_write_1h_tokens: string;
  is_long_context: boolean;
  cost_usd: string | null;
}

async function costOf(where: string, params: unknown[]): Promise<CostRow> {
  const { rows } = await stack.pool.query<CostRow>(
    `SELECT model, cache_write_5m_tokens, cache_write_1h_tokens, is_long_context, cost_usd FROM sessionlake.usage WHERE ${where}`,
    params,
  );
  expect(rows).toHaveLength(1);
  return rows[0] as CostRow;
}

describe('cost of one response, computed by hand from the seeded prices', () => {
  it('bills 1-hour cache writes at 2 × input and the rest of the cache write at the 5-minute rate', async () => {
    // Prepare: claude-sonnet-4-5: input 3, output 15, 5-minute write 3.75, 1-hour write 6, read 0.30 per MTok.
    // Line 1: input 10, output 500, cache write 30 000 of which 20 000 for 1 hour, cache read 50 000.
    const expected = (10 * 3 + 500 * 15 + 10_000 * 3.75 + 20_000 * 6 + 50_000 * 0.3) / 1e6; // 0.18003

    // Act
    const row = await costOf('session_id = $1 AND message_id = $2', [PRICING, 'msg_01PricingOneHourCache00']);

    // Assess
    expect(row.cache_write_5m_tokens).toBe('10000');
    expect(row.cache_write_1h_tokens).toBe('20000');
    expect(Number(row.cost_usd)).toBeCloseTo(expected, 12);
    expect(Number(row.cost_usd)).toBeCloseTo(0.18003, 12);
  });

  it('bills every token of a request above 200k input at the long-context rates', async () => {
    // Prepare: claude-sonnet-4 above 200k: input 6, output 22.50, 5-minute write 7.50, read 0.60 per MTok.
    // Line 2: input 5 + cache write 1 000 + cache read 210 000 = 211 005 > 200 000; output 800.
    const expected = (5 * 6 + 800 * 22.5 + 1_000 * 7.5 + 210_000 * 0.6) / 1e6; // 0.15153

    // Act
    const row = await costOf('session_id = $1 AND message_id = $2', [PRICING, 'msg_01PricingLongContext000']);

    // Assess
    expect(row.is_long_context).toBe(true);
    expect(Number(row.cost_usd)).toBeCloseTo(expected, 12);
    expect(Number(row.cost_usd)).toBeCloseTo(0.15153, 12);
  });

  it('gives a model with no price a NULL cost and lists it in unpriced_usage, never $0', async () => {
    // Prepare: claude-opus-5 (17f0522f…jsonl, 2025-12-16) is in no price table; input 10, output 5.
    const row = await costOf(`model = 'claude-opus-5'`, []);

    // Act
    const { rows: unpriced } = await stack.pool.query(
      `SELECT model, reason, responses, input_tokens, output_tokens FROM sessionlake.unpriced_usage WHERE model = 'claude-opus-5'`,
    );
    const { rows: daily } = await stack.pool.query(
      `SELECT cost_usd, priced_cost_usd, unpriced_responses FROM sessionlake.daily_usage WHERE model = 'claude-opus-5'`,
    );

    // Assess
    expect(row.cost_usd).toBeNull();
    expect(unpriced).toEqual([
      { model: 'claude-opus-5', reason: 'no price for this model in model_prices', responses: '1', input_tokens: '10', output_tokens: '5' },
    ]);
    expect(daily).toEqual([{ cost_usd: null, priced_cost_usd: '0', unpriced_responses: '1' }]);
  });

  it('gives an unpriced response with zero tokens a NULL cost too', async () => {
    // claude-sonnet-5 lines of 17f0522f…jsonl carry all-zero usage and no price exists.
    const { rows } = await stack.pool.query(`SELECT cost_usd FROM sessionlake.usage WHERE model = 'claude-sonnet-5'`);

    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.cost_usd === null)).toBe(true);
  });

  it('bills a Codex turn with cached input: uncached at the input rate, cached at the cached rate', async () => {
    // Prepare: 2026/08/01 rollout, token_count: input_tokens 4200 of which cached 3600, output 180 (64 reasoning).
    // gpt-5-codex: input 1.25, cached 0.125, output 10 per MTok.
    const expected = ((4200 - 3600) * 1.25 + 3600 * 0.125 + 180 * 10) / 1e6; // 0.003

    // Act
    const { rows } = await stack.pool.query(
      `SELECT model, input_tokens, cache_read_input_tokens, output_tokens, reasoning_output_tokens, cost_usd
         FROM sessionlake.usage WHERE session_id = $1`,
      [CODEX_CACHED],
    );

    // Assess
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      model: 'gpt-5-codex',
      input_tokens: '600',
      cache_read_input_tokens: '3600',
      output_tokens: '180',
      reasoning_output_tokens: '64',
    });
    expect(Number(rows[0]?.cost_usd)).toBeCloseTo(expected, 12);
  });
});
