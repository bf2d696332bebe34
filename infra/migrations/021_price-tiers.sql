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


-- Billing is decided when rows are written (migration 012): the billed rows name a request priced above the base
-- rates as long-context whichever tier applied, and a tier added, corrected or removed re-prices the billed rows of
-- its model at once, as a price row does.
CREATE OR REPLACE VIEW response_rows WITH (security_invoker = true) AS
SELECT response_key(m.message_id, m.request_id, s.agent, s.source_session_id, s.id, m.ordinal,
                    m.input_tokens, m.output_tokens, m.cache_read_input_tokens) AS response_key,
       CASE WHEN m.message_id IS NOT NULL THEN coalesce(m.output_tokens, -1) ELSE 0 END AS billing_rank,
       CASE WHEN m.message_id IS NOT NULL THEN NOT m.is_sidechain ELSE s.deleted_at IS NULL END AS billing_preferred,
       s.id AS session_id,
       m.ordinal AS message_ordinal,
       s.source_session_id,
       (m."timestamp" AT TIME ZONE 'UTC')::date AS day,
       m."timestamp" AS ts,
       s.machine,
       s.agent,
       s.project_key,
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
       coalesce((price_rates_for(period.price, coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
                                 + coalesce(m.cache_creation_input_tokens, 0))).prompt_above > 0, false)
         AND (period.price).model IS NOT NULL AS is_long_context,
       billed_cost(period.price, coalesce(m.input_tokens, 0), coalesce(m.output_tokens, 0), split.cache_write_5m_tokens,
                   split.cache_write_1h_tokens, coalesce(m.cache_read_input_tokens, 0), split.is_fast,
                   split.has_compaction, split.compaction_input, split.compaction_output,
                   split.compaction_cache_write - split.compaction_cache_write_1h, split.compaction_cache_write_1h,
                   split.compaction_cache_read) AS cost_usd,
       split.compaction_input AS compaction_input_tokens,
       split.compaction_output AS compaction_output_tokens,
       split.compaction_cache_write AS compaction_cache_creation_input_tokens,
       split.compaction_cache_read AS compaction_cache_read_input_tokens,
       -- what re-pricing needs (the response's own tokens, apart from its compaction iterations)
       coalesce(m.input_tokens, 0) AS own_input_tokens,
       coalesce(m.output_tokens, 0) AS own_output_tokens,
       coalesce(m.cache_creation_input_tokens, 0) AS own_cache_creation_input_tokens,
       split.cache_write_5m_tokens AS own_cache_write_5m_tokens,
       split.cache_write_1h_tokens AS own_cache_write_1h_tokens,
       coalesce(m.cache_read_input_tokens, 0) AS own_cache_read_input_tokens,
       split.has_compaction,
       split.compaction_cache_write_1h AS compaction_cache_write_1h_tokens,
       s.os_user
  FROM messages m
  JOIN sessions s ON s.id = m.session_id
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
    OFFSET 0
  ) AS split
  LEFT JOIN model_aliases alias ON alias.alias = m.model
  -- a response without a time is priced at the latest price
  LEFT JOIN model_price_periods period
    ON period.model = coalesce(alias.model, m.model)
   AND coalesce(m."timestamp", 'infinity') >= period.valid_from
   AND (coalesce(m."timestamp", 'infinity') < period.valid_until OR period.valid_until = 'infinity')
 -- rows with a token count, as `num_nonnulls(…) > 0` before, written so that the planner does not read a whole
 -- session's rows through messages_billed_day_idx (its predicate), which scans every billed row of every day
 WHERE coalesce(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens) IS NOT NULL
   AND m.model IS DISTINCT FROM '<synthetic>';

CREATE OR REPLACE FUNCTION reprice_billed_responses(model_names text[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  removed billed_responses[];
  added billed_responses[];
BEGIN
  WITH priced AS (
    SELECT b.response_key, (period.price).model AS priced_as, (period.price).effective_from AS price_effective_from,
           coalesce((price_rates_for(period.price, b.own_input_tokens + b.own_cache_read_input_tokens
                                     + b.own_cache_creation_input_tokens)).prompt_above > 0, false)
             AND (period.price).model IS NOT NULL AS is_long_context,
           billed_cost(period.price, b.own_input_tokens, b.own_output_tokens, b.own_cache_write_5m_tokens,
                       b.own_cache_write_1h_tokens, b.own_cache_read_input_tokens, b.is_fast, b.has_compaction,
                       b.compaction_input_tokens, b.compaction_output_tokens,
                       b.compaction_cache_creation_input_tokens - b.compaction_cache_write_1h_tokens,
                       b.compaction_cache_write_1h_tokens, b.compaction_cache_read_input_tokens) AS cost_usd
      FROM billed_responses b
      LEFT JOIN model_aliases alias ON alias.alias = b.model
      LEFT JOIN model_price_periods period
        ON period.model = coalesce(alias.model, b.model)
       AND coalesce(b.ts, 'infinity') >= period.valid_from
       AND (coalesce(b.ts, 'infinity') < period.valid_until OR period.valid_until = 'infinity')
     WHERE model_names IS NULL OR b.model = ANY (model_names)
  ),
  changed AS (
    SELECT b AS before, p.*
      FROM billed_responses b JOIN priced p USING (response_key)
     WHERE (b.priced_as, b.price_effective_from, b.is_long_context, b.cost_usd)
           IS DISTINCT FROM (p.priced_as, p.price_effective_from, p.is_long_context, p.cost_usd)
     ORDER BY b.response_key
     FOR UPDATE OF b
  ),
  updated AS (
    UPDATE billed_responses b
       SET priced_as = c.priced_as, price_effective_from = c.price_effective_from,
           is_long_context = c.is_long_context, cost_usd = c.cost_usd
      FROM changed c
     WHERE b.response_key = c.response_key
    RETURNING b.*
  )
  SELECT (SELECT array_agg(c.before) FROM changed c), (SELECT array_agg(u) FROM updated u) INTO removed, added;
  IF added IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM apply_billed_change(added, removed);
  RETURN cardinality(added);
END
$$;

CREATE OR REPLACE FUNCTION reprice_after_price_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  models text[];
BEGIN
  IF TG_TABLE_NAME IN ('model_prices', 'model_price_tiers') THEN
    IF TG_OP = 'INSERT' THEN SELECT array_agg(DISTINCT model) INTO models FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN SELECT array_agg(DISTINCT model) INTO models FROM old_rows;
    ELSE SELECT array_agg(DISTINCT model) INTO models FROM (SELECT model FROM new_rows UNION SELECT model FROM old_rows) m;
    END IF;
  ELSE
    IF TG_OP = 'INSERT' THEN SELECT array_agg(DISTINCT x) INTO models FROM new_rows, LATERAL (VALUES (alias), (model)) v (x);
    ELSIF TG_OP = 'DELETE' THEN SELECT array_agg(DISTINCT x) INTO models FROM old_rows, LATERAL (VALUES (alias), (model)) v (x);
    ELSE SELECT array_agg(DISTINCT x) INTO models
           FROM (SELECT alias, model FROM new_rows UNION ALL SELECT alias, model FROM old_rows) r,
                LATERAL (VALUES (r.alias), (r.model)) v (x);
    END IF;
  END IF;
  IF models IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM reprice_billed_responses(models || ARRAY(SELECT a.alias FROM model_aliases a WHERE a.model = ANY (models)));
  RETURN NULL;
END
$$;

CREATE TRIGGER reprice_tiers_inserted AFTER INSERT ON model_price_tiers
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_tiers_deleted AFTER DELETE ON model_price_tiers
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_tiers_updated AFTER UPDATE ON model_price_tiers
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();

-- The rows billed so far, priced by the tier-aware cost.
SELECT reprice_billed_responses(NULL);
