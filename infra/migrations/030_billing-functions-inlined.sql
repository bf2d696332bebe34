-- Pricing a response, and naming it, at the speed of an expression (docs/performance.md, "What billing costs the write path").
--
-- Every billed response is priced when it is written (settle_billing, migration 012) and re-priced when a price
-- changes. response_cost (migration 021) was a SQL function that cannot be inlined (its body has a FROM), called
-- from billed_cost, another SQL function that was not inlined (declared IMMUTABLE over STABLE functions). Postgres 15
-- starts a nested SQL function's executor anew on each call, so response_cost and price_rates_for were parsed and
-- planned again for every response: about 4 ms per priced row on the development machine, the largest part of a
-- first ingest's time in Postgres. Now:
-- - response_cost is PL/pgSQL with the same arithmetic: its statements' plans are kept for the session, and the
--   price_rates_for it calls keeps its plan for the transaction;
-- - billed_cost is STABLE (what it is: it reads prices through response_cost), so it is inlined into its callers;
-- - response_key is STABLE (what it is: concat_ws is), so it too is inlined: as IMMUTABLE over a STABLE function it
--   was called as a function for every row response_rows reads, about five times slower (settle_billing reads the
--   rows of the responses it decides, and their copies, through response_rows).
-- Same rates, same tiers, same results (test/integration/analytics compares every column with the reference views).

CREATE OR REPLACE FUNCTION response_cost(price model_prices, input bigint, output bigint, cache_write_5m bigint,
                                         cache_write_1h bigint, cache_read bigint, is_fast boolean) RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  r sessionlake.price_rates;
BEGIN
  IF (price).model IS NULL THEN
    RETURN NULL;
  END IF;
  r := sessionlake.price_rates_for(price, coalesce(input, 0) + coalesce(cache_read, 0) + coalesce(cache_write_5m, 0)
                                          + coalesce(cache_write_1h, 0));
  RETURN (CASE WHEN is_fast THEN (price).fast_multiplier ELSE 1 END) *
    (sessionlake.token_cost(input, r.input) + sessionlake.token_cost(output, r.output)
     + sessionlake.token_cost(cache_write_5m, r.cache_write_5m) + sessionlake.token_cost(cache_write_1h, r.cache_write_1h)
     + sessionlake.token_cost(cache_read, r.cache_read));
END
$$;

ALTER FUNCTION billed_cost(model_prices, bigint, bigint, bigint, bigint, bigint, boolean, boolean, bigint, bigint, bigint,
                           bigint, bigint) STABLE;

ALTER FUNCTION response_key(text, text, text, text, text, integer, bigint, bigint, bigint) STABLE;
