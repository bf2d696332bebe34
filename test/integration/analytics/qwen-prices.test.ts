import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * Qwen-Coder prices (infra/migrations/023_qwen-prices.sql): the band a request's prompt (input + cache reads)
 * falls in prices every token of it. The bands above 32K are model_price_tiers rows (migration 021).
 * Expected costs computed by hand from Model Studio's rates per 1M tokens.
 */

let database: FreshDatabase;
let client: pg.Client;
let hasTiers: boolean;

beforeAll(async () => {
  database = await freshDatabase('sessionlake_qwen_prices');
  await runMigrations(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  hasTiers = (await client.query(`SELECT to_regclass('sessionlake.model_price_tiers') IS NOT NULL AS present`)).rows[0].present as boolean;
  // Migration 021 is in: the bands above 32K are tested (the first-band-only branch stays for older schemas).
  expect(hasTiers).toBe(true);
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function cost(model: string, input: number, output: number, cacheRead: number): Promise<number> {
  const { rows } = await client.query<{ cost: string }>(
    `SELECT sessionlake.response_cost(p, $2, $3, 0, 0, $4, false) AS cost FROM sessionlake.model_prices p WHERE p.model = $1`,
    [model, input, output, cacheRead],
  );
  return Number(rows[0]?.cost);
}

describe('Qwen-Coder prices by input band', () => {
  it('prices a request below 32K at the first band', async () => {
    // 10 000 + 10 000 = 20 000 prompt tokens: input 1, output 5, cache read 0.2.
    expect(await cost('qwen3-coder-plus', 10_000, 1_000, 10_000)).toBeCloseTo((10_000 * 1 + 1_000 * 5 + 10_000 * 0.2) / 1e6, 12);
    // qwen3-coder-flash: 0.3, 1.5, 0.06.
    expect(await cost('qwen3-coder-flash', 10_000, 1_000, 10_000)).toBeCloseTo((10_000 * 0.3 + 1_000 * 1.5 + 10_000 * 0.06) / 1e6, 12);
  });

  it('prices every token of a 40K-prompt request at the 32K–128K band (first band without the tier table)', async () => {
    const expected = hasTiers
      ? (10_000 * 1.8 + 1_000 * 9 + 30_000 * 0.36) / 1e6
      : (10_000 * 1 + 1_000 * 5 + 30_000 * 0.2) / 1e6;
    expect(await cost('qwen3-coder-plus', 10_000, 1_000, 30_000)).toBeCloseTo(expected, 12);
  });

  it('maps the dated names Qwen Code may log onto the priced models', async () => {
    const { rows } = await client.query(`SELECT alias, model FROM sessionlake.model_aliases WHERE model LIKE 'qwen%' ORDER BY alias`);
    expect(rows).toEqual([
      { alias: 'qwen3-coder-flash-2025-07-28', model: 'qwen3-coder-flash' },
      { alias: 'qwen3-coder-plus-2025-07-22', model: 'qwen3-coder-plus' },
      { alias: 'qwen3-coder-plus-2025-09-23', model: 'qwen3-coder-plus' },
    ]);
  });
});
