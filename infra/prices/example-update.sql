-- Example price update: run in one transaction against the database,
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f infra/prices/example-update.sql
-- Copy it, change the numbers. Costs are computed when queried, so nothing else needs to run.

-- 1. A model the seed does not know: its launch price (from 1970-01-01, i.e. since it exists) and the names logs use.
INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read,
                                      source, source_date)
VALUES ('claude-opus-5', '1970-01-01T00:00:00Z', 5, 25, 6.25, 10, 0.50,
        'example: replace with the provider''s price page', '2026-11-27');
INSERT INTO sessionlake.model_aliases (alias, model) VALUES ('claude-opus-5-20251201', 'claude-opus-5');

-- 2. A price change: usage from 2026-06-01 (UTC) on is billed at the new input and output rates, older usage at
--    the old ones. Every rate of the row is the new price list; unchanged rates are repeated.
INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read,
                                      long_context_threshold, long_input, long_output, long_cache_write_5m,
                                      long_cache_write_1h, long_cache_read, fast_multiplier, source, source_date)
SELECT model, '2026-06-01T00:00:00Z', 2.50, 12.50, cache_write_5m, cache_write_1h, cache_read,
       long_context_threshold, long_input, long_output, long_cache_write_5m, long_cache_write_1h, long_cache_read,
       fast_multiplier, 'example: replace with the provider''s price page', '2026-11-27'
  FROM sessionlake.model_prices
 WHERE model = 'claude-sonnet-4' AND effective_from = '1970-01-01T00:00:00Z';

-- 3. Prompt-size tiers: from 2026-06-01 on, claude-opus-5 requests whose prompt (input + cache reads + cache
--    writes) exceeds 200k tokens are billed at these rates on every token (docs/queries.md "Prompt-size tiers").
--    Several tiers per price row are allowed; the one with the largest prompt_above below the prompt applies.
INSERT INTO sessionlake.model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read,
                                      source, source_date)
VALUES ('claude-opus-5', '2026-06-01T00:00:00Z', 5, 25, 6.25, 10, 0.50,
        'example: replace with the provider''s price page', '2026-11-27');
INSERT INTO sessionlake.model_price_tiers (model, effective_from, prompt_above, input, output, cache_write_5m,
                                           cache_write_1h, cache_read, source, source_date)
VALUES ('claude-opus-5', '2026-06-01T00:00:00Z', 200000, 10, 37.50, 12.50, 20, 1,
        'example: replace with the provider''s price page', '2026-11-27');
