-- Billing decided when rows are written, and usage rolled up per day (issue 18). docs/performance.md "Billing and
-- rollups" says why and how; README.md "Usage, cost and search" states the billing rules, which do not change.
--
-- Until now every query of usage, daily_usage and session_overview decided again which copy of a response bills
-- (an index probe per billed row), learned every session's project and priced every response. Now:
-- - billed_responses holds one row per billed response: the winning copy and everything the reports need of it
--   (tokens, price, cost). The transaction that writes or deletes a copy decides again, at commit, for the
--   responses it touched (settle_billing below);
-- - usage_rollup_daily sums billed_responses per (UTC day, machine, agent, project key, model), and session_usage
--   per session; both move by the difference of what a decision added and removed, in the same transaction;
-- - a price added or corrected (model_prices, model_aliases) re-prices the affected billed rows, and a session
--   whose project key, machine, agent, source id or deletion changes is decided again: both in one statement at
--   the change, moving the rollups with them.
-- The views keep their columns and numbers (test/integration/analytics/billing-rollups.test.ts compares them
-- with the definitions of migrations 003-007).

-------------------------------------------------------------------------------------------------------------------
-- The response identity
-------------------------------------------------------------------------------------------------------------------

-- A session's project key (session_projects, migration 003), stored so the write path and the rollup need no view.
ALTER TABLE sessions ADD COLUMN project_key text
  GENERATED ALWAYS AS (machine || '/' || coalesce(project_folder(agent, id, cwd), '(no project)')) STORED;
CREATE INDEX sessions_project_key_idx ON sessions (project_key);

-- Which response a billed row is, from what the parser wrote on it (no agent names):
-- - a response id (Claude message.id): the response with that id and request id, wherever it was copied
--   (`requestId` missing counts as empty, as before);
-- - else, in a session with a source id (Codex rollouts, whose copies under sessions/ and archived_sessions/ share
--   it): the same position of the same agent's session with that source id, with the same request id and counts;
-- - else the row itself.
CREATE FUNCTION response_key(message_id text, request_id text, agent text, source_session_id text, session_id text,
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
$$;

-- The cost of a billed row: the response's own tokens plus its compaction iterations, each priced on its own
-- (migration 007). One place for the formula, used where rows are decided and where they are re-priced.
CREATE FUNCTION billed_cost(price model_prices, input bigint, output bigint, cache_write_5m bigint,
                            cache_write_1h bigint, cache_read bigint, is_fast boolean, has_compaction boolean,
                            compaction_input bigint, compaction_output bigint, compaction_cache_write_5m bigint,
                            compaction_cache_write_1h bigint, compaction_cache_read bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sessionlake.response_cost(price, input, output, cache_write_5m, cache_write_1h, cache_read, is_fast)
         + CASE WHEN has_compaction
                THEN sessionlake.response_cost(price, compaction_input, compaction_output, compaction_cache_write_5m,
                                               compaction_cache_write_1h, compaction_cache_read, is_fast)
                ELSE 0 END
$$;

-- Every row that carries a response's tokens, priced, with its identity and its rank among the copies of that
-- response (billing_rank, then billing_preferred, both highest first, then session id and position lowest first):
-- the largest output, then the copy not in a sidechain (response ids); the copy not deleted from S3 (other copies).
-- The token and price columns are those of the usage view of migration 007.
CREATE VIEW response_rows WITH (security_invoker = true) AS
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
       split.compaction_cache_write_1h AS compaction_cache_write_1h_tokens
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

-------------------------------------------------------------------------------------------------------------------
-- The decided rows and the rollups
-------------------------------------------------------------------------------------------------------------------

-- One row per billed response: the winning copy (session_id, message_ordinal) as response_rows had it when decided.
-- Not a foreign key to messages: a billed row (and so the rollups) outlives transcripts dropped by retention.
CREATE TABLE billed_responses AS SELECT * FROM response_rows WITH NO DATA;
ALTER TABLE billed_responses ADD PRIMARY KEY (response_key);
CREATE UNIQUE INDEX billed_responses_row_idx ON billed_responses (session_id, message_ordinal);
CREATE INDEX billed_responses_model_idx ON billed_responses (model);
CREATE INDEX billed_responses_ts_idx ON billed_responses (ts);          -- the report's period

-- Tokens and cost per UTC day, machine, agent, project key and model: what daily_usage reads. The grain is the
-- unique key; issue 19's per-session dimension (a person) becomes one more column of it (docs/performance.md).
CREATE TABLE usage_rollup_daily (
  day                                    date,       -- NULL: responses without a time
  machine                                text NOT NULL,
  agent                                  text NOT NULL,
  project_key                            text NOT NULL,
  model                                  text,
  responses                              bigint NOT NULL,
  input_tokens                           bigint NOT NULL,
  output_tokens                          bigint NOT NULL,
  cache_creation_input_tokens            bigint NOT NULL,
  cache_write_1h_tokens                  bigint NOT NULL,
  cache_read_input_tokens                bigint NOT NULL,
  reasoning_output_tokens                bigint NOT NULL,
  priced_cost_usd                        numeric NOT NULL,
  unpriced_responses                     bigint NOT NULL,
  compaction_input_tokens                bigint NOT NULL,
  compaction_output_tokens               bigint NOT NULL,
  compaction_cache_creation_input_tokens bigint NOT NULL,
  compaction_cache_read_input_tokens     bigint NOT NULL,
  CONSTRAINT usage_rollup_daily_grain UNIQUE NULLS NOT DISTINCT (day, machine, agent, project_key, model)
);
CREATE INDEX usage_rollup_daily_emptied_idx ON usage_rollup_daily (day) WHERE responses = 0;

-- A session's own billed usage (its subagents' are added up by session_overview).
CREATE TABLE session_usage (
  session_id                  text PRIMARY KEY,
  responses                   bigint NOT NULL,
  input_tokens                bigint NOT NULL,
  output_tokens               bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens     bigint NOT NULL,
  reasoning_output_tokens     bigint NOT NULL,
  priced_cost_usd             numeric NOT NULL,
  unpriced_responses          bigint NOT NULL
);
CREATE INDEX session_usage_emptied_idx ON session_usage (session_id) WHERE responses = 0;

-- Same visibility as the rows they sum (migrations 005 and 009).
ALTER TABLE billed_responses ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON billed_responses
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
ALTER TABLE session_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON session_usage
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
ALTER TABLE usage_rollup_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_machine ON usage_rollup_daily USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

-- Moves the rollups by what a decision added and removed. Groups and sessions are written in key order, so two
-- transactions that touch the same ones wait for each other instead of deadlocking.
CREATE FUNCTION apply_billed_change(added billed_responses[], removed billed_responses[]) RETURNS void
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
           sum(sign * compaction_cache_read_input_tokens) AS compaction_cache_read_input_tokens
      FROM change
     GROUP BY day, machine, agent, project_key, model
  )
  INSERT INTO usage_rollup_daily AS u
  SELECT * FROM by_group g
   WHERE (g.responses, g.input_tokens, g.output_tokens, g.cache_creation_input_tokens, g.cache_read_input_tokens,
          g.reasoning_output_tokens, g.priced_cost_usd, g.unpriced_responses, g.cache_write_1h_tokens)
         <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
   ORDER BY day, machine, agent, project_key, model
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

-------------------------------------------------------------------------------------------------------------------
-- Deciding at write time
-------------------------------------------------------------------------------------------------------------------

-- Rows and sessions a transaction changed, decided at its commit. Unlogged: a row lives only inside its
-- transaction (settle_billing deletes it before commit).
CREATE UNLOGGED TABLE billing_pending (
  xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  session_id text NOT NULL,
  ordinal    integer                                  -- NULL: every row of the session
);
CREATE INDEX billing_pending_xid_idx ON billing_pending (xid);

-- One row per transaction with pending rows; its deferred trigger runs settle_billing at commit.
CREATE UNLOGGED TABLE billing_settle (
  xid xid8 PRIMARY KEY DEFAULT pg_current_xact_id()
);

ALTER TABLE billing_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_settle ENABLE ROW LEVEL SECURITY;

-- Which bucket of response keys a decision locks: a fixed number, so a transaction holds at most that many
-- advisory locks whatever its size, taken in bucket order (no deadlock). Two keys in one bucket only wait for
-- each other.
CREATE FUNCTION billing_lock_bucket(response_key text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hashtext(response_key) & 255
$$;

-- Decides again, at commit, the responses of the rows this transaction changed: for each response key among
-- them (the keys of the changed rows now, and of the billed rows they were), the best copy there now, under an
-- advisory lock of the key's bucket taken before reading, so that of two transactions writing copies of one
-- response the later one to commit sees the other's rows (READ COMMITTED: each statement sees what committed
-- before it started). Billed rows that differ from the decision are replaced; the rollups move by the difference.
CREATE FUNCTION settle_billing() RETURNS trigger
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
                          WHERE r.session_id = t.session_id AND r.message_ordinal = t.ordinal) r
    UNION ALL
    SELECT r.response_key, r.message_id, r.agent, r.source_session_id, r.session_id, r.message_ordinal
      FROM unnest(whole_sessions) w (session_id)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r WHERE r.session_id = w.session_id) r
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

  PERFORM pg_advisory_xact_lock(18, bucket)
     FROM (SELECT DISTINCT billing_lock_bucket(k) AS bucket FROM unnest(keys) k ORDER BY 1) buckets;

  -- Every copy now, the best of each response wins.
  -- (each probe a nested loop of index lookups: the planner cannot misjudge how many there are)
  WITH copies AS (
    SELECT r.* FROM unnest(probe_ids) p (message_id)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r WHERE r.message_id = p.message_id) r
    UNION ALL
    SELECT r.* FROM (SELECT DISTINCT * FROM unnest(probe_agents, probe_sources, probe_ordinals)) p (agent, source_session_id, ordinal)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r
                          WHERE r.agent = p.agent AND r.source_session_id = p.source_session_id
                            AND r.message_ordinal = p.ordinal AND r.message_id IS NULL) r
    UNION ALL
    SELECT r.* FROM unnest(row_probe_sessions, row_probe_ordinals) p (session_id, ordinal)
     CROSS JOIN LATERAL (SELECT * FROM response_rows r
                          WHERE r.session_id = p.session_id AND r.message_ordinal = p.ordinal) r
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

CREATE CONSTRAINT TRIGGER billing_settle_at_commit
  AFTER INSERT ON billing_settle
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION settle_billing();

-- Billed rows written, deleted or changed: noted for the decision at commit.
CREATE FUNCTION note_billing_messages() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  noted bigint := 0;
  more bigint;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO billing_pending (session_id, ordinal)
    SELECT n.session_id, n.ordinal FROM new_rows n
     WHERE num_nonnulls(n.input_tokens, n.output_tokens, n.cache_creation_input_tokens, n.cache_read_input_tokens) > 0;
    GET DIAGNOSTICS noted = ROW_COUNT;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO billing_pending (session_id, ordinal)
    SELECT o.session_id, o.ordinal FROM old_rows o
     WHERE num_nonnulls(o.input_tokens, o.output_tokens, o.cache_creation_input_tokens, o.cache_read_input_tokens) > 0;
    GET DIAGNOSTICS more = ROW_COUNT;
    noted := noted + more;
  END IF;
  IF noted > 0 THEN
    INSERT INTO billing_settle DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER billing_messages_inserted AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_billing_messages();
CREATE TRIGGER billing_messages_deleted AFTER DELETE ON messages
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_billing_messages();
CREATE TRIGGER billing_messages_updated AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_billing_messages();

-- A session whose identity, grouping or deletion changes: all its rows are decided again at commit.
CREATE FUNCTION note_billing_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  noted bigint;
BEGIN
  INSERT INTO billing_pending (session_id, ordinal)
  SELECT n.id, NULL FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE (n.machine, n.agent, n.project_key, n.source_session_id, n.deleted_at IS NULL)
         IS DISTINCT FROM (o.machine, o.agent, o.project_key, o.source_session_id, o.deleted_at IS NULL);
  GET DIAGNOSTICS noted = ROW_COUNT;
  IF noted > 0 THEN
    INSERT INTO billing_settle DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER billing_sessions_updated AFTER UPDATE ON sessions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_billing_sessions();

-------------------------------------------------------------------------------------------------------------------
-- Prices added or corrected
-------------------------------------------------------------------------------------------------------------------

-- Re-prices the billed rows of the given model names as logs write them (NULL: all) in one statement, and moves
-- the rollups of their days by the difference.
CREATE FUNCTION reprice_billed_responses(model_names text[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  removed billed_responses[];
  added billed_responses[];
BEGIN
  WITH priced AS (
    SELECT b.response_key, (period.price).model AS priced_as, (period.price).effective_from AS price_effective_from,
           (period.price).long_context_threshold IS NOT NULL
             AND b.own_input_tokens + b.own_cache_read_input_tokens + b.own_cache_creation_input_tokens
                 > (period.price).long_context_threshold AS is_long_context,
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

-- The names logs write for the models whose prices or aliases a statement changed: the models themselves and
-- every alias of them (before and after the change).
CREATE FUNCTION reprice_after_price_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  models text[];
BEGIN
  IF TG_TABLE_NAME = 'model_prices' THEN
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

CREATE TRIGGER reprice_prices_inserted AFTER INSERT ON model_prices
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_prices_deleted AFTER DELETE ON model_prices
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_prices_updated AFTER UPDATE ON model_prices
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_aliases_inserted AFTER INSERT ON model_aliases
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_aliases_deleted AFTER DELETE ON model_aliases
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();
CREATE TRIGGER reprice_aliases_updated AFTER UPDATE ON model_aliases
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reprice_after_price_change();

-------------------------------------------------------------------------------------------------------------------
-- Rebuilding from scratch
-------------------------------------------------------------------------------------------------------------------

-- Decides every response again from the rows there are, in three set-based statements: this migration runs it on
-- the rows of an existing installation; a bulk load with triggers off (session_replication_role = replica, as
-- bench/analytics.ts does) runs it after. Holds every bucket lock meanwhile, so no write path decides at once.
CREATE FUNCTION rebuild_billing() RETURNS bigint
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
         sum(compaction_cache_read_input_tokens)
    FROM billed_responses
   GROUP BY day, machine, agent, project_key, model;
  INSERT INTO session_usage
  SELECT session_id, count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),
         sum(cache_read_input_tokens), sum(reasoning_output_tokens), coalesce(sum(cost_usd), 0),
         count(*) - count(cost_usd)
    FROM billed_responses
   GROUP BY session_id;
  RETURN billed;
END
$$;

REVOKE EXECUTE ON FUNCTION settle_billing() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION note_billing_messages() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION note_billing_sessions() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION reprice_after_price_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION reprice_billed_responses(text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rebuild_billing() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION apply_billed_change(billed_responses[], billed_responses[]) FROM PUBLIC;

SELECT rebuild_billing();

-------------------------------------------------------------------------------------------------------------------
-- The views, on the decided rows
-------------------------------------------------------------------------------------------------------------------

DROP VIEW unpriced_usage;
DROP VIEW daily_usage;
DROP VIEW session_overview;
DROP VIEW usage;

-- One row per project key with its display name: the naming rules of session_projects (migration 003), read from
-- the stored sessions.project_key, so that the per-session string work (project_folder) is not done on every query
-- and the path functions run once per project, not per session.
CREATE VIEW project_names WITH (security_invoker = true) AS
WITH learned AS (
  SELECT DISTINCT ON (project_key) project_key, cwd
    FROM sessions
   WHERE nullif(cwd, '') IS NOT NULL
   GROUP BY project_key, cwd
   ORDER BY project_key, count(*) DESC, max(started_at) DESC NULLS LAST, cwd
),
keys AS (
  -- the folder is what follows `<machine>/` in the key, '(no project)' standing for none
  SELECT DISTINCT ON (project_key) project_key, machine,
         nullif(substr(project_key, length(machine) + 2), '(no project)') AS folder
    FROM sessions
   ORDER BY project_key
),
projects AS (
  SELECT k.project_key, k.machine, l.cwd AS path,
         coalesce(path_basename(l.cwd), k.folder, '(no project)') AS short_name,
         coalesce(path_tail2(l.cwd), k.folder, '(no project)') AS longer_name
    FROM keys k LEFT JOIN learned l USING (project_key)
)
SELECT project_key,
       CASE WHEN count(*) OVER (PARTITION BY machine, short_name) = 1 THEN short_name
            WHEN count(*) OVER (PARTITION BY machine, longer_name) = 1 THEN longer_name
            ELSE coalesce(path, project_key) END AS project,
       path AS project_path
  FROM projects;

-- session_projects (migration 003), same columns, from the stored key and project_names.
CREATE OR REPLACE VIEW session_projects WITH (security_invoker = true) AS
SELECT s.id AS session_id, s.project_key, n.project, n.project_path
  FROM sessions s JOIN project_names n USING (project_key);

-- The columns of migration 007's usage view, read from the decided rows.
CREATE VIEW usage WITH (security_invoker = true) AS
SELECT b.day, b.ts, b.machine, b.agent, b.project_key, pn.project, b.session_id, s.kind AS session_kind,
       s.parent_session_id, b.message_ordinal, b.message_id, b.request_id, b.is_sidechain, b.model,
       b.input_tokens, b.output_tokens, b.cache_creation_input_tokens, b.cache_write_5m_tokens,
       b.cache_write_1h_tokens, b.cache_read_input_tokens, b.reasoning_output_tokens, b.is_fast, b.priced_as,
       b.price_effective_from, b.is_long_context, b.cost_usd, b.compaction_input_tokens, b.compaction_output_tokens,
       b.compaction_cache_creation_input_tokens, b.compaction_cache_read_input_tokens
  FROM billed_responses b
  JOIN sessions s ON s.id = b.session_id
  JOIN project_names pn ON pn.project_key = b.project_key;

-- The rollup with project names: columns of migration 007's daily_usage.
CREATE VIEW daily_usage WITH (security_invoker = true) AS
SELECT r.day, r.machine, r.agent, r.project_key, pn.project, r.model,
       r.responses,
       r.input_tokens::numeric AS input_tokens,
       r.output_tokens::numeric AS output_tokens,
       r.cache_creation_input_tokens::numeric AS cache_creation_input_tokens,
       r.cache_write_1h_tokens::numeric AS cache_write_1h_tokens,
       r.cache_read_input_tokens::numeric AS cache_read_input_tokens,
       r.reasoning_output_tokens::numeric AS reasoning_output_tokens,
       (r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens)::numeric AS total_tokens,
       CASE WHEN r.unpriced_responses = 0 THEN r.priced_cost_usd END AS cost_usd,
       r.priced_cost_usd,
       r.unpriced_responses,
       r.compaction_input_tokens::numeric AS compaction_input_tokens,
       r.compaction_output_tokens::numeric AS compaction_output_tokens,
       r.compaction_cache_creation_input_tokens::numeric AS compaction_cache_creation_input_tokens,
       r.compaction_cache_read_input_tokens::numeric AS compaction_cache_read_input_tokens
  FROM usage_rollup_daily r
  JOIN project_names pn ON pn.project_key = r.project_key;

-- Unchanged from migration 003.
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

-- Migration 005's session_overview, its own usage read from session_usage.
CREATE VIEW session_overview WITH (security_invoker = true) AS
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
       s.secrets_found
  FROM sessions s
  JOIN (SELECT session_id, project_key, project FROM session_projects) sp ON sp.session_id = s.id
  JOIN rolled r ON r.root_id = s.id
  LEFT JOIN own o ON o.session_id = s.id;
