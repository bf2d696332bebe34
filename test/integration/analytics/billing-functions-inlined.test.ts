import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * Migration 030 rewrote response_cost in PL/pgSQL and made billed_cost and response_key STABLE (so Postgres
 * inlines them), for speed only. Here the functions as migrations 012 and 021 defined them are created under
 * another schema, verbatim but for their schema, and compared with today's on a price row of every shape the migrations
 * seed (plus a tiered one added here) and no price, over a grid of token counts that crosses every threshold, fast mode and no price.
 */

const REFERENCE = 'reference_billing_functions';

let database: FreshDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await freshDatabase('sessionlake_billing_functions');
  await runMigrations(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`
    INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read,
                                          fast_multiplier, source, source_date)
    VALUES ('tiered-reference', '1970-01-01', 1, 10, 1.25, 2, 0.1, 6, 'test', '2026-12-06');
    INSERT INTO sessionlake.model_price_tiers (model, effective_from, prompt_above, input, output, cache_read, source, source_date)
    VALUES ('tiered-reference', '1970-01-01', 32000, 2, 20, 0.2, 'test', '2026-12-06'),
           ('tiered-reference', '1970-01-01', 128000, 4, 40, NULL, 'test', '2026-12-06');`);
  await client.query(`
    CREATE SCHEMA ${REFERENCE};
    -- migration 021, response_cost
    CREATE FUNCTION ${REFERENCE}.response_cost(price sessionlake.model_prices, input bigint, output bigint, cache_write_5m bigint,
                                               cache_write_1h bigint, cache_read bigint, is_fast boolean) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN (price).model IS NULL THEN NULL ELSE
        (CASE WHEN is_fast THEN (price).fast_multiplier ELSE 1 END) *
        (sessionlake.token_cost(input, (r).input) + sessionlake.token_cost(output, (r).output)
         + sessionlake.token_cost(cache_write_5m, (r).cache_write_5m) + sessionlake.token_cost(cache_write_1h, (r).cache_write_1h)
         + sessionlake.token_cost(cache_read, (r).cache_read))
      END
      FROM (SELECT sessionlake.price_rates_for(price, coalesce(input, 0) + coalesce(cache_read, 0) + coalesce(cache_write_5m, 0)
                                                      + coalesce(cache_write_1h, 0)) AS r) AS rates
    $$;
    -- migration 012, response_key
    CREATE FUNCTION ${REFERENCE}.response_key(message_id text, request_id text, agent text, source_session_id text, session_id text,
                                              ordinal integer, input bigint, output bigint, cache_read bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN message_id IS NOT NULL
          THEN concat_ws(',', 'response', quote_literal(message_id), quote_literal(coalesce(request_id, '')))
        WHEN source_session_id IS NOT NULL
          THEN concat_ws(',', 'copy', quote_literal(agent), quote_literal(source_session_id), ordinal::text,
                         quote_nullable(request_id), quote_nullable(input::text), quote_nullable(output::text),
                         quote_nullable(cache_read::text))
        ELSE concat_ws(',', 'row', quote_literal(session_id), ordinal::text)
      END
    $$;`);
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

/**
 * The price rows that take each path of the pricing: one per model family's shape (with prompt-size tiers, with a
 * long-context tier, with a fast multiplier, without a cache-write rate, plain), and no price at all.
 */
const PRICES = `
  SELECT DISTINCT ON (shape) p FROM (
    SELECT p, (EXISTS (SELECT 1 FROM sessionlake.model_price_tiers t WHERE t.model = p.model AND t.effective_from = p.effective_from),
               p.long_context_threshold IS NOT NULL, p.fast_multiplier IS NOT NULL, p.cache_write_1h IS NULL,
               p.cache_write_5m IS NULL, p.cache_read IS NULL) AS shape
      FROM sessionlake.model_prices p) shapes
  ORDER BY shape, (p).model, (p).effective_from`;

const GRID = `
  FROM ((${PRICES}) UNION ALL SELECT NULL::sessionlake.model_prices) prices (price)
  CROSS JOIN unnest(ARRAY[NULL, 0, 32001, 200001, 1500000]::bigint[]) input
  CROSS JOIN unnest(ARRAY[NULL, 777]::bigint[]) output
  CROSS JOIN unnest(ARRAY[0, 100000]::bigint[]) cache_write_5m
  CROSS JOIN unnest(ARRAY[NULL, 40000]::bigint[]) cache_write_1h
  CROSS JOIN unnest(ARRAY[0, 90000]::bigint[]) cache_read
  CROSS JOIN unnest(ARRAY[false, true]) is_fast`;

describe('billing functions after migration 030', () => {
  it('price every response as migration 021 did', async () => {
    const { rows } = await client.query<{ compared: number; priced: number; differ: number; prices: number }>(`
      SELECT count(*)::int AS compared,
             count(*) FILTER (WHERE now_cost IS NOT NULL)::int AS priced,
             count(*) FILTER (WHERE now_cost IS DISTINCT FROM then_cost)::int AS differ,
             (SELECT count(*)::int FROM (${PRICES}) shapes) AS prices
        FROM (SELECT sessionlake.response_cost(price, input, output, cache_write_5m, cache_write_1h, cache_read, is_fast) AS now_cost,
                     ${REFERENCE}.response_cost(price, input, output, cache_write_5m, cache_write_1h, cache_read, is_fast) AS then_cost
              ${GRID}) c`);
    const row = rows[0];
    // a price row of each shape (the tiered one added here among them) plus no price, times 5 × 2 × 2 × 2 × 2 × 2 token cases
    expect(row?.prices).toBeGreaterThanOrEqual(3);
    expect(row?.compared).toBe(((row?.prices ?? 0) + 1) * 5 * 2 * 2 * 2 * 2 * 2);
    expect(row?.priced).toBeGreaterThan(0);
    expect(row?.differ).toBe(0);
  });

  it('price with the compaction part as billed_cost did (its body unchanged: the reference cost twice)', async () => {
    const { rows } = await client.query<{ differ: number; compared: number }>(`
      SELECT count(*)::int AS compared,
             count(*) FILTER (WHERE now_cost IS DISTINCT FROM then_cost)::int AS differ
        FROM (SELECT sessionlake.billed_cost(price, input, output, cache_write_5m, cache_write_1h, cache_read, is_fast,
                                             true, 10, 20, 30, 40, 50) AS now_cost,
                     ${REFERENCE}.response_cost(price, input, output, cache_write_5m, cache_write_1h, cache_read, is_fast)
                     + ${REFERENCE}.response_cost(price, 10, 20, 30, 40, 50, is_fast) AS then_cost
              ${GRID}) c`);
    expect(rows[0]?.compared).toBeGreaterThan(0);
    expect(rows[0]?.differ).toBe(0);
  });

  it('name every response as migration 012 did', async () => {
    const { rows } = await client.query<{ differ: number; compared: number }>(`
      SELECT count(*)::int AS compared,
             count(*) FILTER (WHERE sessionlake.response_key(m, r, a, src, s, o, i, out, cr)
                               IS DISTINCT FROM ${REFERENCE}.response_key(m, r, a, src, s, o, i, out, cr))::int AS differ
        FROM unnest(ARRAY[NULL, 'msg_1', 'it''s']) m
       CROSS JOIN unnest(ARRAY[NULL, 'req_1']) r
       CROSS JOIN unnest(ARRAY['claude', 'codex']) a
       CROSS JOIN unnest(ARRAY[NULL, 'rollout-1']) src
       CROSS JOIN unnest(ARRAY['m/raw/codex/x.jsonl']) s
       CROSS JOIN unnest(ARRAY[0, 7]) o
       CROSS JOIN unnest(ARRAY[NULL, 5]::bigint[]) i
       CROSS JOIN unnest(ARRAY[NULL, 9]::bigint[]) out
       CROSS JOIN unnest(ARRAY[NULL, 11]::bigint[]) cr`);
    expect(rows[0]?.compared).toBe(3 * 2 * 2 * 2 * 1 * 2 * 2 * 2 * 2);
    expect(rows[0]?.differ).toBe(0);
  });
});
