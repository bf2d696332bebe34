-- Prices of the Qwen models Qwen Code logs (docs/adding-an-agent.md step 4; README "Qwen Code").
--
-- Source: Alibaba Cloud Model Studio, international deployment (Singapore), list prices in USD per 1M tokens
-- (https://www.alibabacloud.com/help/en/model-studio/models, "Qwen-Coder"), as of 2026-12-06. The page itself could
-- not be fetched from the machine this was written on: the rates are Model Studio's published list as known then,
-- the 20 % cache-hit ratio corroborated by Model Studio's own price tables of other Qwen models; check them against
-- the page before relying on a bill (infra/prices/example-update.sql shows how to add a newer row). Qwen-Coder is priced
-- in input-size bands: the band a request's prompt falls in prices every token of it, which is the rule of
-- model_price_tiers (migration 021, "Prices in prompt-size tiers"). The first band (prompt up to
-- 32K) is the price row's own rates; the others are tiers. Band edges are taken as 32 000 / 128 000 / 256 000
-- tokens. Cache reads are implicit-cache hits, billed at 20 % of the band's input price; Model Studio bills no
-- implicit cache writes (explicit caching, which does, is not something Qwen Code logs apart).
--
-- Needs model_price_tiers (agent-gemini's 012) for the tiers: on a schema without it only the first band is
-- written (a request above 32K is then priced at the first band's rates: too low). Idempotent: re-running adds
-- nothing.

INSERT INTO model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read, source, source_date)
VALUES
  ('qwen3-coder-plus',  '1970-01-01T00:00:00Z', 1.00, 5.00, NULL, NULL, 0.20,
   'Alibaba Cloud Model Studio (international) https://www.alibabacloud.com/help/en/model-studio/models, input <= 32K band', '2026-12-06'),
  ('qwen3-coder-flash', '1970-01-01T00:00:00Z', 0.30, 1.50, NULL, NULL, 0.06,
   'Alibaba Cloud Model Studio (international) https://www.alibabacloud.com/help/en/model-studio/models, input <= 32K band', '2026-12-06')
ON CONFLICT (model, effective_from) DO NOTHING;

INSERT INTO model_aliases (alias, model) VALUES
  ('qwen3-coder-plus-2025-07-22',  'qwen3-coder-plus'),
  ('qwen3-coder-plus-2025-09-23',  'qwen3-coder-plus'),
  ('qwen3-coder-flash-2025-07-28', 'qwen3-coder-flash')
ON CONFLICT (alias) DO NOTHING;

DO $$
BEGIN
  IF to_regclass('model_price_tiers') IS NULL THEN
    RAISE NOTICE 'model_price_tiers is missing: Qwen prices above the 32K band are not written';
    RETURN;
  END IF;
  INSERT INTO model_price_tiers (model, effective_from, prompt_above, input, output, cache_write_5m, cache_write_1h,
                                 cache_read, source, source_date)
  SELECT model, '1970-01-01T00:00:00Z', prompt_above, input, output, NULL, NULL, cache_read,
         'Alibaba Cloud Model Studio (international) https://www.alibabacloud.com/help/en/model-studio/models', '2026-12-06'
  FROM (VALUES
    -- model               prompt above  input  output  cache read
    ('qwen3-coder-plus',   32000,        1.80,  9.00,   0.36),
    ('qwen3-coder-plus',   128000,       3.00,  15.00,  0.60),
    ('qwen3-coder-plus',   256000,       6.00,  60.00,  1.20),
    ('qwen3-coder-flash',  32000,        0.50,  2.50,   0.10),
    ('qwen3-coder-flash',  128000,       0.80,  4.00,   0.16),
    ('qwen3-coder-flash',  256000,       1.60,  9.60,   0.32)
  ) AS tier(model, prompt_above, input, output, cache_read)
  ON CONFLICT (model, effective_from, prompt_above) DO NOTHING;
END
$$;
