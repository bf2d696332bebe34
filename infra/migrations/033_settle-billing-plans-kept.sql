-- settle_billing with its plans kept; the rollups and the search step in PL/pgSQL (docs/performance.md, "settle_billing
-- per delta commit").
--
-- settle_billing runs at every commit that wrote billed rows (its deferred trigger, migration 012). On the
-- benchmark's database it took about 16 ms of CPU per commit for a delta of five responses, nearly all of it
-- planning, not running (the statements ran in about 4 ms):
-- - its statements were planned again at every commit. PL/pgSQL plans a statement for its parameters the first
--   five times and then keeps a generic plan only when that one is estimated no dearer than the custom ones; the
--   generic plans here estimate ten elements for each unnest() of an array and ~140 rows for each response-id probe,
--   so they never looked cheaper and every commit planned the four-branch probes of response_rows (a view of five
--   joins over every partition of messages) again. With plan_cache_mode = force_generic_plan the plans are made
--   once per connection. They are the plans the statements were written for: each probe of response_rows is fenced
--   with OFFSET 0 (migration 030), so it is a nested loop of index lookups whatever the estimate; a delta of 200
--   responses and a whole session decided again cost no more than before;
-- - apply_billed_change was a SQL function with four statements, which Postgres 15 parses and plans at every call
--   (about 1 ms of CPU per call). The same statements in PL/pgSQL keep their plans for the connection.
-- The search step that follows every commit, index_tool_call_search(session ids, from ordinals) of migration 031,
-- was a SQL function too: about 5 ms of CPU per call on the same database, 0.8 ms as PL/pgSQL.
-- Same statements, same decisions, same rollups, same search rows. The SET of plan_cache_mode is added beside
-- migration 030's jit = off (an ALTER FUNCTION … SET keeps the function's other settings).

ALTER FUNCTION settle_billing() SET plan_cache_mode = force_generic_plan;

-- Migration 019's apply_billed_change, in PL/pgSQL; the statements are unchanged.
CREATE OR REPLACE FUNCTION apply_billed_change(added billed_responses[], removed billed_responses[]) RETURNS void
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
BEGIN
  WITH change AS (
    SELECT 1 AS sign, a.* FROM unnest(added) a
    UNION ALL
    SELECT -1 AS sign, r.* FROM unnest(removed) r
  ),
  by_group AS (
    SELECT day, machine, agent, project_key, model,
           sum(sign) AS responses,
           sum(sign * input_tokens) AS input_tokens,
           sum(sign * output_tokens) AS output_tokens,
           sum(sign * cache_creation_input_tokens) AS cache_creation_input_tokens,
           sum(sign * cache_write_1h_tokens) AS cache_write_1h_tokens,
           sum(sign * cache_read_input_tokens) AS cache_read_input_tokens,
           sum(sign * reasoning_output_tokens) AS reasoning_output_tokens,
           sum(sign * coalesce(cost_usd, 0)) AS priced_cost_usd,
           sum(sign * (cost_usd IS NULL)::int) AS unpriced_responses,
           sum(sign * compaction_input_tokens) AS compaction_input_tokens,
           sum(sign * compaction_output_tokens) AS compaction_output_tokens,
           sum(sign * compaction_cache_creation_input_tokens) AS compaction_cache_creation_input_tokens,
           sum(sign * compaction_cache_read_input_tokens) AS compaction_cache_read_input_tokens,
           os_user
      FROM change
     GROUP BY day, machine, agent, project_key, model, os_user
  )
  INSERT INTO usage_rollup_daily AS u
  SELECT * FROM by_group g
   WHERE (g.responses, g.input_tokens, g.output_tokens, g.cache_creation_input_tokens, g.cache_read_input_tokens,
          g.reasoning_output_tokens, g.priced_cost_usd, g.unpriced_responses, g.cache_write_1h_tokens)
         <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
   ORDER BY day, machine, agent, project_key, model, os_user
  ON CONFLICT ON CONSTRAINT usage_rollup_daily_grain DO UPDATE SET
    responses = u.responses + excluded.responses,
    input_tokens = u.input_tokens + excluded.input_tokens,
    output_tokens = u.output_tokens + excluded.output_tokens,
    cache_creation_input_tokens = u.cache_creation_input_tokens + excluded.cache_creation_input_tokens,
    cache_write_1h_tokens = u.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
    cache_read_input_tokens = u.cache_read_input_tokens + excluded.cache_read_input_tokens,
    reasoning_output_tokens = u.reasoning_output_tokens + excluded.reasoning_output_tokens,
    priced_cost_usd = u.priced_cost_usd + excluded.priced_cost_usd,
    unpriced_responses = u.unpriced_responses + excluded.unpriced_responses,
    compaction_input_tokens = u.compaction_input_tokens + excluded.compaction_input_tokens,
    compaction_output_tokens = u.compaction_output_tokens + excluded.compaction_output_tokens,
    compaction_cache_creation_input_tokens = u.compaction_cache_creation_input_tokens + excluded.compaction_cache_creation_input_tokens,
    compaction_cache_read_input_tokens = u.compaction_cache_read_input_tokens + excluded.compaction_cache_read_input_tokens;

  DELETE FROM usage_rollup_daily WHERE responses = 0;

  WITH change AS (
    SELECT 1 AS sign, a.* FROM unnest(added) a
    UNION ALL
    SELECT -1 AS sign, r.* FROM unnest(removed) r
  ),
  by_session AS (
    SELECT session_id,
           sum(sign) AS responses,
           sum(sign * input_tokens) AS input_tokens,
           sum(sign * output_tokens) AS output_tokens,
           sum(sign * cache_creation_input_tokens) AS cache_creation_input_tokens,
           sum(sign * cache_read_input_tokens) AS cache_read_input_tokens,
           sum(sign * reasoning_output_tokens) AS reasoning_output_tokens,
           sum(sign * coalesce(cost_usd, 0)) AS priced_cost_usd,
           sum(sign * (cost_usd IS NULL)::int) AS unpriced_responses
      FROM change
     GROUP BY session_id
  )
  INSERT INTO session_usage AS u
  SELECT * FROM by_session g
   WHERE (g.responses, g.input_tokens, g.output_tokens, g.cache_creation_input_tokens, g.cache_read_input_tokens,
          g.reasoning_output_tokens, g.priced_cost_usd, g.unpriced_responses) <> (0, 0, 0, 0, 0, 0, 0, 0)
   ORDER BY session_id
  ON CONFLICT (session_id) DO UPDATE SET
    responses = u.responses + excluded.responses,
    input_tokens = u.input_tokens + excluded.input_tokens,
    output_tokens = u.output_tokens + excluded.output_tokens,
    cache_creation_input_tokens = u.cache_creation_input_tokens + excluded.cache_creation_input_tokens,
    cache_read_input_tokens = u.cache_read_input_tokens + excluded.cache_read_input_tokens,
    reasoning_output_tokens = u.reasoning_output_tokens + excluded.reasoning_output_tokens,
    priced_cost_usd = u.priced_cost_usd + excluded.priced_cost_usd,
    unpriced_responses = u.unpriced_responses + excluded.unpriced_responses;

  DELETE FROM session_usage WHERE responses = 0;
END
$$;

-- Migration 031's search step, in PL/pgSQL; the statement is unchanged.
CREATE OR REPLACE FUNCTION index_tool_call_search(session_ids text[], from_ordinals integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
DECLARE
  written bigint;
BEGIN
  WITH indexed AS (
    INSERT INTO tool_call_search (session_id, message_ordinal, call_index, search_vector, transcript_month)
    SELECT t.session_id, t.message_ordinal, t.call_index,
           tool_call_search_vector(t.name, t.input, t.input_text, t.result_text), t.transcript_month
      FROM unnest(session_ids, from_ordinals) AS w (session_id, from_ordinal)
      JOIN tool_calls t ON t.session_id = w.session_id AND (w.from_ordinal IS NULL OR t.message_ordinal >= w.from_ordinal)
     WHERE NOT EXISTS (SELECT 1 FROM tool_call_search s
                        WHERE s.session_id = t.session_id AND s.message_ordinal = t.message_ordinal
                          AND s.call_index = t.call_index AND s.transcript_month = t.transcript_month)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*) INTO written FROM indexed;
  RETURN written;
END
$$;
