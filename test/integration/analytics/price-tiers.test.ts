import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * Prompt-size price tiers (infra/migrations/012_agent-gemini-price-tiers.sql): the tier with the largest
 * prompt_above below a request's prompt (input + cache reads + cache writes) prices every token of it. The
 * expected costs are worked out by hand below from the rates inserted here.
 */

let database: FreshDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await freshDatabase('sessionlake_price_tiers');
  await runMigrations(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // A made-up model in three bands: base ≤ 32k, > 32k, > 128k (the shape of Qwen's input-size pricing).
  await client.query(`
    INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_read, source, source_date)
    VALUES ('tiered-test', '1970-01-01', 1, 10, 0.1, 'test', '2026-12-06');
    INSERT INTO sessionlake.model_price_tiers (model, effective_from, prompt_above, input, output, cache_read, source, source_date)
    VALUES ('tiered-test', '1970-01-01', 32000, 2, 20, 0.2, 'test', '2026-12-06'),
           ('tiered-test', '1970-01-01', 128000, 4, 40, NULL, 'test', '2026-12-06');`);
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function cost(model: string, input: number, output: number, cacheRead: number): Promise<string | null> {
  const { rows } = await client.query<{ cost: string | null }>(
    `SELECT sessionlake.response_cost(sessionlake.price_at($1, now()), $2, $3, 0, 0, $4, false)::text AS cost`,
    [model, input, output, cacheRead],
  );
  return rows[0]?.cost ?? null;
}

async function tier(model: string, prompt: number): Promise<string | null> {
  const { rows } = await client.query<{ above: string | null }>(
    `SELECT (sessionlake.price_rates_for(sessionlake.price_at($1, now()), $2)).prompt_above::text AS above`,
    [model, prompt],
  );
  return rows[0]?.above ?? null;
}

describe('prompt-size price tiers', () => {
  it('price a request at or below the first threshold at the base rates', async () => {
    // 30 000 input × $1 + 1 000 output × $10 + 2 000 cache reads × $0.1, per million: 0.03 + 0.01 + 0.0002
    expect(Number(await cost('tiered-test', 30_000, 1_000, 2_000))).toBeCloseTo(0.0402, 10);
    expect(await tier('tiered-test', 32_000)).toBe('0');
  });

  it('price every token of a request above a threshold at that tier', async () => {
    // prompt 30 000 + 5 000 cached = 35 000 > 32 000: 30 000 × $2 + 1 000 × $20 + 5 000 × $0.2 = 0.06 + 0.02 + 0.001
    expect(Number(await cost('tiered-test', 30_000, 1_000, 5_000))).toBeCloseTo(0.081, 10);
    expect(await tier('tiered-test', 35_000)).toBe('32000');
  });

  it('choose the highest tier below the prompt', async () => {
    // 200 000 input, no cache reads: 200 000 × $4 + 1 000 × $40 = 0.8 + 0.04
    expect(Number(await cost('tiered-test', 200_000, 1_000, 0))).toBeCloseTo(0.84, 10);
    expect(await tier('tiered-test', 200_000)).toBe('128000');
  });

  it('make the cost unknown when the tier lacks a rate the request needs', async () => {
    // the > 128k tier has no cache-read rate
    expect(await cost('tiered-test', 200_000, 1_000, 10)).toBeNull();
  });

  it('keep the long_context columns as one more tier', async () => {
    // claude-sonnet-4: > 200k at $6 input / $22.50 output (003's seed): 250 000 × 6 + 1 000 × 22.5 = 1.5 + 0.0225
    expect(Number(await cost('claude-sonnet-4', 250_000, 1_000, 0))).toBeCloseTo(1.5225, 10);
    expect(await tier('claude-sonnet-4', 250_000)).toBe('200000');
    // and below it the base $3 / $15: 100 000 × 3 + 1 000 × 15 = 0.3 + 0.015
    expect(Number(await cost('claude-sonnet-4', 100_000, 1_000, 0))).toBeCloseTo(0.315, 10);
  });

  it('follow their price row when it is deleted', async () => {
    await client.query(`INSERT INTO sessionlake.model_prices (model, effective_from, input, output, source, source_date)
                        VALUES ('gone-test', '1970-01-01', 1, 1, 'test', '2026-12-06')`);
    await client.query(`INSERT INTO sessionlake.model_price_tiers (model, effective_from, prompt_above, input, output, source, source_date)
                        VALUES ('gone-test', '1970-01-01', 10, 2, 2, 'test', '2026-12-06')`);
    await client.query(`DELETE FROM sessionlake.model_prices WHERE model = 'gone-test'`);
    const { rows } = await client.query(`SELECT 1 FROM sessionlake.model_price_tiers WHERE model = 'gone-test'`);
    expect(rows).toEqual([]);
  });
});
