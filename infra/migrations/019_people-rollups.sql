-- People and teams in the usage rollups (README "Set up your org"). A session's person is decided from its machine
-- and the OS user of its cwd (migration 018), so the rollups keep that user as one more column of their grain:
-- per (UTC day, machine, agent, project key, model, OS user) a rollup row belongs to exactly one person and team,
-- decided when read, and a binding made later changes daily_usage at once without touching the rollups.
-- Billed rows carry the OS user too; a session whose cwd moves to another home is decided again.

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
       (period.price).long_context_threshold IS NOT NULL
         AND coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
             + coalesce(m.cache_creation_input_tokens, 0) > (period.price).long_context_threshold AS is_long_context,
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

ALTER TABLE billed_responses ADD COLUMN os_user text;
ALTER TABLE usage_rollup_daily ADD COLUMN os_user text;
ALTER TABLE usage_rollup_daily DROP CONSTRAINT usage_rollup_daily_grain,
  ADD CONSTRAINT usage_rollup_daily_grain UNIQUE NULLS NOT DISTINCT (day, machine, agent, project_key, model, os_user);

-- The rollups move by (…, os_user) groups; a rebuild groups the same way.
CREATE OR REPLACE FUNCTION apply_billed_change(added billed_responses[], removed billed_responses[]) RETURNS void
LANGUAGE sql SET search_path = sessionlake, pg_temp AS $$
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
$$;

CREATE OR REPLACE FUNCTION rebuild_billing() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  billed bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(18, bucket) FROM generate_series(0, 255) bucket;
  DELETE FROM billed_responses;
  DELETE FROM usage_rollup_daily;
  DELETE FROM session_usage;
  INSERT INTO billed_responses
  SELECT DISTINCT ON (r.response_key) r.*
    FROM response_rows r
   ORDER BY r.response_key, r.billing_rank DESC, r.billing_preferred DESC, r.session_id, r.message_ordinal;
  GET DIAGNOSTICS billed = ROW_COUNT;
  INSERT INTO usage_rollup_daily
  SELECT day, machine, agent, project_key, model, count(*), sum(input_tokens), sum(output_tokens),
         sum(cache_creation_input_tokens), sum(cache_write_1h_tokens), sum(cache_read_input_tokens),
         sum(reasoning_output_tokens), coalesce(sum(cost_usd), 0), count(*) - count(cost_usd),
         sum(compaction_input_tokens), sum(compaction_output_tokens), sum(compaction_cache_creation_input_tokens),
         sum(compaction_cache_read_input_tokens), os_user
    FROM billed_responses
   GROUP BY day, machine, agent, project_key, model, os_user;
  INSERT INTO session_usage
  SELECT session_id, count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),
         sum(cache_read_input_tokens), sum(reasoning_output_tokens), coalesce(sum(cost_usd), 0),
         count(*) - count(cost_usd)
    FROM billed_responses
   GROUP BY session_id;
  RETURN billed;
END
$$;

-- A session whose cwd moves to another home is decided again (its os_user is part of the grain).
CREATE OR REPLACE FUNCTION note_billing_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  noted bigint;
BEGIN
  INSERT INTO billing_pending (session_id, ordinal)
  SELECT n.id, NULL FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE (n.machine, n.agent, n.project_key, n.source_session_id, n.deleted_at IS NULL, n.os_user)
         IS DISTINCT FROM (o.machine, o.agent, o.project_key, o.source_session_id, o.deleted_at IS NULL, o.os_user);
  GET DIAGNOSTICS noted = ROW_COUNT;
  IF noted > 0 THEN
    INSERT INTO billing_settle DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

SELECT rebuild_billing();

-- A team bound to people sees the rollup rows of their (machine, OS user) pairs, as it sees their sessions.
ALTER POLICY by_machine ON usage_rollup_daily USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user))))
  OR ((SELECT cardinality(visible_people(current_user)) > 0)
      AND (machine, coalesce(os_user, '')) IN (SELECT p.machine, coalesce(p.os_user, '') FROM machine_user_people p
                                                WHERE p.person = ANY (visible_people(current_user)))));

-- The views gain person, person_source, team and team_source (at the end; every other column as before).
DROP VIEW unpriced_usage;
DROP VIEW daily_usage;
DROP VIEW usage;

CREATE VIEW usage WITH (security_invoker = true) AS
SELECT b.day, b.ts, b.machine, b.agent, b.project_key, pn.project, b.session_id, s.kind AS session_kind,
       s.parent_session_id, b.message_ordinal, b.message_id, b.request_id, b.is_sidechain, b.model,
       b.input_tokens, b.output_tokens, b.cache_creation_input_tokens, b.cache_write_5m_tokens,
       b.cache_write_1h_tokens, b.cache_read_input_tokens, b.reasoning_output_tokens, b.is_fast, b.priced_as,
       b.price_effective_from, b.is_long_context, b.cost_usd, b.compaction_input_tokens, b.compaction_output_tokens,
       b.compaction_cache_creation_input_tokens, b.compaction_cache_read_input_tokens,
       p.person, p.person_source, p.team, p.team_source
  FROM billed_responses b
  JOIN sessions s ON s.id = b.session_id
  JOIN project_names pn ON pn.project_key = b.project_key
  LEFT JOIN machine_user_people p ON p.machine = b.machine AND p.os_user IS NOT DISTINCT FROM b.os_user;

CREATE VIEW unpriced_usage WITH (security_invoker = true) AS
SELECT u.model, u.agent,
       CASE WHEN u.model IS NULL THEN 'the log names no model'
            WHEN u.priced_as IS NULL THEN 'no price for this model in model_prices'
            WHEN u.is_fast AND (price_at(u.model, u.ts)).fast_multiplier IS NULL THEN 'fast mode without a fast_multiplier'
            ELSE 'a token type this model has no rate for' END AS reason,
       count(*) AS responses,
       min(u.ts) AS first_seen,
       max(u.ts) AS last_seen,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_creation_input_tokens) AS cache_creation_input_tokens,
       sum(u.cache_read_input_tokens) AS cache_read_input_tokens
  FROM usage u
 WHERE u.cost_usd IS NULL
 GROUP BY 1, 2, 3;

-- The rollup with project names, person and team: migration 012's columns, then person and team. Rows of one
-- group whose OS users are one person are summed into one row.
CREATE VIEW daily_usage WITH (security_invoker = true) AS
SELECT r.day, r.machine, r.agent, r.project_key, pn.project, r.model,
       sum(r.responses)::bigint AS responses,
       sum(r.input_tokens) AS input_tokens,
       sum(r.output_tokens) AS output_tokens,
       sum(r.cache_creation_input_tokens) AS cache_creation_input_tokens,
       sum(r.cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(r.cache_read_input_tokens) AS cache_read_input_tokens,
       sum(r.reasoning_output_tokens) AS reasoning_output_tokens,
       sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
       CASE WHEN sum(r.unpriced_responses) = 0 THEN sum(r.priced_cost_usd) END AS cost_usd,
       sum(r.priced_cost_usd) AS priced_cost_usd,
       sum(r.unpriced_responses)::bigint AS unpriced_responses,
       sum(r.compaction_input_tokens) AS compaction_input_tokens,
       sum(r.compaction_output_tokens) AS compaction_output_tokens,
       sum(r.compaction_cache_creation_input_tokens) AS compaction_cache_creation_input_tokens,
       sum(r.compaction_cache_read_input_tokens) AS compaction_cache_read_input_tokens,
       p.person,
       p.team
  FROM usage_rollup_daily r
  JOIN project_names pn ON pn.project_key = r.project_key
  LEFT JOIN machine_user_people p ON p.machine = r.machine AND p.os_user IS NOT DISTINCT FROM r.os_user
 GROUP BY r.day, r.machine, r.agent, r.project_key, pn.project, r.model, p.person, p.team;

CREATE OR REPLACE VIEW session_overview WITH (security_invoker = true) AS
WITH RECURSIVE tree (root_id, session_id, depth) AS (
  SELECT id, id, 0 FROM sessions
  UNION ALL
  SELECT t.root_id, c.id, t.depth + 1
    FROM tree t JOIN sessions c ON c.parent_session_id = t.session_id
   WHERE t.depth < 16
),
own AS (
  SELECT session_id, responses,
         input_tokens::numeric AS input_tokens, output_tokens::numeric AS output_tokens,
         cache_creation_input_tokens::numeric AS cache_creation_input_tokens,
         cache_read_input_tokens::numeric AS cache_read_input_tokens,
         reasoning_output_tokens::numeric AS reasoning_output_tokens,
         priced_cost_usd, unpriced_responses
    FROM session_usage
),
rolled AS (
  SELECT t.root_id,
         count(*) FILTER (WHERE t.depth > 0) AS subagents,
         coalesce(sum(o.priced_cost_usd) FILTER (WHERE t.depth > 0), 0) AS subagent_cost_usd,
         coalesce(sum(o.unpriced_responses) FILTER (WHERE t.depth > 0), 0) AS subagent_unpriced_responses,
         coalesce(sum(o.input_tokens + o.output_tokens + o.cache_creation_input_tokens + o.cache_read_input_tokens)
                  FILTER (WHERE t.depth > 0), 0) AS subagent_tokens
    FROM tree t LEFT JOIN own o ON o.session_id = t.session_id
   GROUP BY t.root_id
)
SELECT s.id AS session_id, s.machine, s.agent, s.kind, sp.project_key, sp.project, s.git_branch,
       s.title AS first_prompt, s.model, s.started_at, s.ended_at, s.ended_at - s.started_at AS duration,
       s.message_count, s.user_message_count, s.tool_call_count,
       s.parent_session_id, r.subagents,
       coalesce(o.responses, 0) AS responses,
       coalesce(o.input_tokens, 0) AS input_tokens,
       coalesce(o.output_tokens, 0) AS output_tokens,
       coalesce(o.cache_creation_input_tokens, 0) AS cache_creation_input_tokens,
       coalesce(o.cache_read_input_tokens, 0) AS cache_read_input_tokens,
       coalesce(o.reasoning_output_tokens, 0) AS reasoning_output_tokens,
       CASE WHEN coalesce(o.unpriced_responses, 0) = 0 THEN coalesce(o.priced_cost_usd, 0) END AS cost_usd,
       r.subagent_tokens,
       CASE WHEN r.subagent_unpriced_responses = 0 THEN r.subagent_cost_usd END AS subagent_cost_usd,
       CASE WHEN coalesce(o.unpriced_responses, 0) + r.subagent_unpriced_responses = 0
            THEN coalesce(o.priced_cost_usd, 0) + r.subagent_cost_usd END AS total_cost_usd,
       coalesce(o.priced_cost_usd, 0) + r.subagent_cost_usd AS priced_total_cost_usd,
       coalesce(o.unpriced_responses, 0) + r.subagent_unpriced_responses AS unpriced_responses,
       s.malformed_lines, s.is_truncated, s.deleted_at,
       s.secrets_found,
       p.person, p.person_source, p.team, p.team_source
  FROM sessions s
  JOIN (SELECT session_id, project_key, project FROM session_projects) sp ON sp.session_id = s.id
  JOIN rolled r ON r.root_id = s.id
  LEFT JOIN own o ON o.session_id = s.id
  LEFT JOIN machine_user_people p ON p.machine = s.machine AND p.os_user IS NOT DISTINCT FROM s.os_user;

