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

-- settle_billing of migration 012 (with migration 027's freeze of responses billed from a dropped transcript), each of its probes of response_rows fenced with OFFSET 0. Without the fence the
-- planner flattened a probe of a response id's copies into a join and, with a generic plan (the function runs the
-- same statement at every commit), chose to hash the whole of `messages` and compute the response key of every
-- billed row in it, at every commit: a cost that grew with the table (about 0.3 s per commit on the benchmark's
-- 25 MiB corpus, most of what billing added to an ingest). Fenced, each probe is the index lookup it was meant to be
-- (messages_response_idx, the sessions and messages primary keys). Same statements otherwise, same decisions.
CREATE OR REPLACE FUNCTION settle_billing() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  row_sessions text[];
  row_ordinals integer[];
  whole_sessions text[];
  keys text[];
  probe_ids text[];
  probe_agents text[];
  probe_sources text[];
  probe_ordinals integer[];
  row_probe_sessions text[];
  row_probe_ordinals integer[];
  winners billed_responses[];
  removed billed_responses[];
  added billed_responses[];
BEGIN
  DELETE FROM billing_settle WHERE xid = pg_current_xact_id();
  WITH done AS (DELETE FROM billing_pending WHERE xid = pg_current_xact_id() RETURNING session_id, ordinal),
       touched AS (SELECT DISTINCT session_id, ordinal FROM done)
  SELECT array_agg(session_id) FILTER (WHERE ordinal IS NOT NULL),
         array_agg(ordinal) FILTER (WHERE ordinal IS NOT NULL),
         array_agg(session_id) FILTER (WHERE ordinal IS NULL)
    INTO row_sessions, row_ordinals, whole_sessions
    FROM touched;
  IF row_sessions IS NULL AND whole_sessions IS NULL THEN
    RETURN NULL;
  END IF;

  -- The responses concerned, and how to find their copies.
  WITH touched_rows AS (
    SELECT * FROM unnest(row_sessions, row_ordinals) AS t (session_id, ordinal)
    WHERE NOT (t.session_id = ANY (coalesce(whole_sessions, '{}')))
  ),
  concerned AS (
    SELECT r.response_key, r.message_id, r.agent, r.source_session_id, r.session_id, r.message_ordinal
      FROM touched_rows t
     CROSS JOIN LATERAL (SELECT * FROM response_rows r
                          WHERE r.session_id = t.session_id AND r.message_ordinal = t.ordinal OFFSET 0) r
    UNION ALL
    SELECT r.response_key, r.message_id, r.agent, r.source_session_id, r.session_id, r.message_ordinal
      FROM unnest(whole_sessions) w (session_id)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r WHERE r.session_id = w.session_id OFFSET 0) r
    UNION ALL
    SELECT b.response_key, b.message_id, b.agent, b.source_session_id, b.session_id, b.message_ordinal
      FROM billed_responses b JOIN touched_rows t ON b.session_id = t.session_id AND b.message_ordinal = t.ordinal
    UNION ALL
    SELECT b.response_key, b.message_id, b.agent, b.source_session_id, b.session_id, b.message_ordinal
      FROM billed_responses b WHERE b.session_id = ANY (whole_sessions)
  )
  SELECT array_agg(DISTINCT response_key),
         array_agg(DISTINCT message_id) FILTER (WHERE message_id IS NOT NULL),
         array_agg(agent) FILTER (WHERE message_id IS NULL AND source_session_id IS NOT NULL),
         array_agg(source_session_id) FILTER (WHERE message_id IS NULL AND source_session_id IS NOT NULL),
         array_agg(message_ordinal) FILTER (WHERE message_id IS NULL AND source_session_id IS NOT NULL),
         array_agg(session_id) FILTER (WHERE message_id IS NULL AND source_session_id IS NULL),
         array_agg(message_ordinal) FILTER (WHERE message_id IS NULL AND source_session_id IS NULL)
    INTO keys, probe_ids, probe_agents, probe_sources, probe_ordinals, row_probe_sessions, row_probe_ordinals
    FROM concerned;
  IF keys IS NULL THEN
    RETURN NULL;
  END IF;

  -- Responses billed from a dropped transcript stay as billed (checked only when some transcript was dropped).
  IF EXISTS (SELECT 1 FROM sessions WHERE transcript_dropped_at IS NOT NULL) THEN
    SELECT array_agg(k) INTO keys FROM unnest(keys) k
     WHERE NOT EXISTS (SELECT 1 FROM billed_responses b JOIN sessions s ON s.id = b.session_id
                        WHERE b.response_key = k AND s.transcript_dropped_at IS NOT NULL);
    IF keys IS NULL THEN
      RETURN NULL;
    END IF;
  END IF;

  PERFORM pg_advisory_xact_lock(18, bucket)
     FROM (SELECT DISTINCT billing_lock_bucket(k) AS bucket FROM unnest(keys) k ORDER BY 1) buckets;

  -- Every copy now, the best of each response wins.
  -- (each probe a nested loop of index lookups: the planner cannot misjudge how many there are; OFFSET 0 keeps
  -- each one a probe, as migration 030 says)
  WITH copies AS (
    SELECT r.* FROM unnest(probe_ids) p (message_id)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r WHERE r.message_id = p.message_id OFFSET 0) r
    UNION ALL
    SELECT r.* FROM (SELECT DISTINCT * FROM unnest(probe_agents, probe_sources, probe_ordinals)) p (agent, source_session_id, ordinal)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r
                          WHERE r.agent = p.agent AND r.source_session_id = p.source_session_id
                            AND r.message_ordinal = p.ordinal AND r.message_id IS NULL OFFSET 0) r
    UNION ALL
    SELECT r.* FROM unnest(row_probe_sessions, row_probe_ordinals) p (session_id, ordinal)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r
                          WHERE r.session_id = p.session_id AND r.message_ordinal = p.ordinal OFFSET 0) r
  )
  SELECT array_agg(w) INTO winners
    FROM (SELECT DISTINCT ON (c.response_key) c.*
            FROM copies c
           WHERE c.response_key = ANY (keys)
           ORDER BY c.response_key, c.billing_rank DESC, c.billing_preferred DESC, c.session_id, c.message_ordinal) w;

  WITH gone AS (
    DELETE FROM billed_responses b
     WHERE b.response_key = ANY (keys)
       AND NOT EXISTS (SELECT 1 FROM unnest(winners) w WHERE w IS NOT DISTINCT FROM b)
    RETURNING b.*
  )
  SELECT array_agg(gone) INTO removed FROM gone;

  WITH fresh AS (
    INSERT INTO billed_responses
    SELECT w.* FROM unnest(winners) w
     WHERE NOT EXISTS (SELECT 1 FROM billed_responses b WHERE b.response_key = w.response_key)
    RETURNING *
  )
  SELECT array_agg(fresh) INTO added FROM fresh;

  IF added IS NOT NULL OR removed IS NOT NULL THEN
    PERFORM apply_billed_change(coalesce(added, '{}'), coalesce(removed, '{}'));
  END IF;
  RETURN NULL;
END
$$;


-- The decision's statements are planned generically (the same statements at every commit), with estimates of
-- about 140 copies per response id; a first ingest's few hundred responses then cost more than jit_above_cost and
-- Postgres JIT-compiled the copies statement at every commit: about 0.6 s of compilation for a query that runs in
-- a few ms (auto_explain inside the trigger; a 281-response session settled in 1.55 s with JIT, 0.55 s without).
ALTER FUNCTION settle_billing() SET jit = off;
