-- Prices in several prompt-size tiers (README "Usage, cost and search", docs/queries.md "Updating prices").
--
-- Some providers price a request by the size of its prompt: Google charges more per token for every token of a
-- Gemini 2.5 Pro / 3 Pro request whose prompt exceeds 200k tokens, Alibaba prices Qwen models in several input-size
-- bands (e.g. 0-32k, 32k-128k, 128k-256k, 256k-1M). model_prices' long_context_* columns hold one such tier
-- (Anthropic's); model_price_tiers holds any number of them for a price row.
--
-- The rule, for one request: its prompt size is input + cache reads + cache writes (the tokens it sent); the tier
-- with the largest prompt_above below that size prices EVERY token of the request (input, output, cache reads and
-- writes) at the tier's rates; no tier below it: the price row's own rates. The long_context_* columns count as one
-- more tier (prompt_above = long_context_threshold), so existing rows and price updates keep their meaning.
-- A tier's NULL rate is "no such rate" (tokens of that kind then make the cost unknown), exactly as on the row.

CREATE TABLE model_price_tiers (
  model           text NOT NULL,
  effective_from  timestamptz NOT NULL,
  -- The tier applies to a request whose prompt exceeds this many tokens.
  prompt_above    bigint NOT NULL CHECK (prompt_above > 0),
  input           numeric NOT NULL,
  output          numeric NOT NULL,
  cache_write_5m  numeric,
  cache_write_1h  numeric,
  cache_read      numeric,
  source          text NOT NULL,
  source_date     date NOT NULL,
  PRIMARY KEY (model, effective_from, prompt_above),
  -- A tier belongs to one price row (one model's price list from one date); a price change repeats its tiers.
  FOREIGN KEY (model, effective_from) REFERENCES model_prices (model, effective_from) ON DELETE CASCADE ON UPDATE CASCADE
);

-- The rates one request is billed at; prompt_above 0 = the price row's own (base) rates.
CREATE TYPE price_rates AS (
  prompt_above    bigint,
  input           numeric,
  output          numeric,
  cache_write_5m  numeric,
  cache_write_1h  numeric,
  cache_read      numeric
);

CREATE FUNCTION price_rates_for(price model_prices, prompt bigint) RETURNS price_rates
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT ROW(t.prompt_above, t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read)::sessionlake.price_rates
       FROM (SELECT tier.prompt_above, tier.input, tier.output, tier.cache_write_5m, tier.cache_write_1h, tier.cache_read
               FROM sessionlake.model_price_tiers tier
              WHERE tier.model = (price).model AND tier.effective_from = (price).effective_from
             UNION ALL
             SELECT (price).long_context_threshold, (price).long_input, (price).long_output, (price).long_cache_write_5m,
                    (price).long_cache_write_1h, (price).long_cache_read
              WHERE (price).long_context_threshold IS NOT NULL) AS t
      WHERE coalesce(prompt, 0) > t.prompt_above
      ORDER BY t.prompt_above DESC
      LIMIT 1),
    ROW(0, (price).input, (price).output, (price).cache_write_5m, (price).cache_write_1h, (price).cache_read)::sessionlake.price_rates)
$$;

-- response_cost of 003 with the tiers: the same arguments and result, the rates chosen by price_rates_for.
CREATE OR REPLACE FUNCTION response_cost(price model_prices, input bigint, output bigint, cache_write_5m bigint,
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

-- The usage view of 007, two changes: is_long_context is true when any tier above the base rates applies (a
-- model_price_tiers tier or the long_context_* one), and price_tier_above (appended) says which: the tier's
-- prompt_above, 0 for the base rates, NULL when the model has no price.
CREATE OR REPLACE VIEW usage WITH (security_invoker = true) AS
SELECT (m."timestamp" AT TIME ZONE 'UTC')::date AS day,
       m."timestamp" AS ts,
       s.machine,
       s.agent,
       sp.project_key,
       sp.project,
       s.id AS session_id,
       s.kind AS session_kind,
       s.parent_session_id,
       m.ordinal AS message_ordinal,
       m.message_id,
       m.request_id,
       m.is_sidechain,
       m.model,
       coalesce(m.input_tokens, 0) + split.compaction_input AS input_tokens,
       coalesce(m.output_tokens, 0) + split.compaction_output AS output_tokens,
       coalesce(m.cache_creation_input_tokens, 0) + split.compaction_cache_write AS cache_creation_input_tokens,
       split.cache_write_5m_tokens + split.compaction_cache_write - split.compaction_cache_write_1h AS cache_write_5m_tokens,
       split.cache_write_1h_tokens + split.compaction_cache_write_1h AS cache_write_1h_tokens,
       coalesce(m.cache_read_input_tokens, 0) + split.compaction_cache_read AS cache_read_input_tokens,
       coalesce(m.reasoning_output_tokens, 0) AS reasoning_output_tokens,
       split.is_fast,
       (period.price).model AS priced_as,
       (period.price).effective_from AS price_effective_from,
       (price_rates_for(period.price, coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
                                      + coalesce(m.cache_creation_input_tokens, 0))).prompt_above > 0 AS is_long_context,
       response_cost(period.price, coalesce(m.input_tokens, 0), coalesce(m.output_tokens, 0), split.cache_write_5m_tokens,
                     split.cache_write_1h_tokens, coalesce(m.cache_read_input_tokens, 0), split.is_fast)
       + CASE WHEN split.has_compaction
              THEN response_cost(period.price, split.compaction_input, split.compaction_output,
                                 split.compaction_cache_write - split.compaction_cache_write_1h, split.compaction_cache_write_1h,
                                 split.compaction_cache_read, split.is_fast)
              ELSE 0 END AS cost_usd,
       split.compaction_input AS compaction_input_tokens,
       split.compaction_output AS compaction_output_tokens,
       split.compaction_cache_write AS compaction_cache_creation_input_tokens,
       split.compaction_cache_read AS compaction_cache_read_input_tokens,
       CASE WHEN (period.price).model IS NOT NULL
            THEN (price_rates_for(period.price, coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
                                                + coalesce(m.cache_creation_input_tokens, 0))).prompt_above END AS price_tier_above
  FROM messages m
  JOIN sessions s ON s.id = m.session_id
  JOIN session_projects sp ON sp.session_id = s.id
  CROSS JOIN LATERAL (
    SELECT coalesce(m.cache_creation_input_tokens, 0) - one_hour.tokens AS cache_write_5m_tokens,
           one_hour.tokens AS cache_write_1h_tokens,
           s.agent = 'claude' AND m.usage ->> 'speed' = 'fast' AS is_fast,
           m.compaction_input_tokens IS NOT NULL AS has_compaction,
           coalesce(m.compaction_input_tokens, 0) AS compaction_input,
           coalesce(m.compaction_output_tokens, 0) AS compaction_output,
           coalesce(m.compaction_cache_creation_input_tokens, 0) AS compaction_cache_write,
           coalesce(m.compaction_cache_creation_1h_input_tokens, 0) AS compaction_cache_write_1h,
           coalesce(m.compaction_cache_read_input_tokens, 0) AS compaction_cache_read
      FROM (SELECT CASE WHEN m.cache_creation_1h_input_tokens IS NOT NULL THEN m.cache_creation_1h_input_tokens
                        WHEN s.agent = 'claude' AND jsonb_typeof(m.usage -> 'cache_creation') = 'object'
                        THEN least(coalesce(json_count(m.usage -> 'cache_creation' -> 'ephemeral_1h_input_tokens'), 0),
                                   coalesce(m.cache_creation_input_tokens, 0))
                        ELSE 0 END AS tokens) AS one_hour
    -- OFFSET 0 keeps these as computed columns: as plain column references the cost functions below get inlined
    -- (an argument used several times in a SQL function is inlined only when it is cheap)
    OFFSET 0
  ) AS split
  LEFT JOIN model_aliases alias ON alias.alias = m.model
  -- a response without a time is priced at the latest price
  LEFT JOIN model_price_periods period
    ON period.model = coalesce(alias.model, m.model)
   AND coalesce(m."timestamp", 'infinity') >= period.valid_from
   AND (coalesce(m."timestamp", 'infinity') < period.valid_until OR period.valid_until = 'infinity')
 WHERE num_nonnulls(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens) > 0
   AND m.model IS DISTINCT FROM '<synthetic>'
   -- a better Claude copy of the same response elsewhere
   AND NOT EXISTS (
     SELECT 1 FROM messages o
      WHERE m.message_id IS NOT NULL
        AND o.message_id = m.message_id
        AND coalesce(o.request_id, '') = coalesce(m.request_id, '')
        AND num_nonnulls(o.input_tokens, o.output_tokens, o.cache_creation_input_tokens, o.cache_read_input_tokens) > 0
        AND o.model IS DISTINCT FROM '<synthetic>'
        AND (coalesce(o.output_tokens, -1), NOT o.is_sidechain, m.session_id, m.ordinal)
            > (coalesce(m.output_tokens, -1), NOT m.is_sidechain, o.session_id, o.ordinal))
   -- the same Codex rollout under another key, kept or first by id
   AND NOT EXISTS (
     SELECT 1 FROM sessions os
       JOIN messages o ON o.session_id = os.id AND o.ordinal = m.ordinal
      WHERE s.agent = 'codex'
        AND os.agent = 'codex'
        AND os.source_session_id = s.source_session_id
        AND os.id <> s.id
        AND o.request_id IS NOT DISTINCT FROM m.request_id
        AND o.input_tokens IS NOT DISTINCT FROM m.input_tokens
        AND o.output_tokens IS NOT DISTINCT FROM m.output_tokens
        AND o.cache_read_input_tokens IS NOT DISTINCT FROM m.cache_read_input_tokens
        AND (os.deleted_at IS NULL, s.id) > (s.deleted_at IS NULL, os.id));

