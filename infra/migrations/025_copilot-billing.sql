-- GitHub Copilot CLI (docs/agents/copilot.md): its model names, and billing its two sources once.
--
-- Copilot CLI records usage in two places: its session's events.jsonl (per-call `session.usage_record` in newer
-- CLIs; per-process per-model totals in `session.shutdown`) and, when the user enables it, an OpenTelemetry file
-- export whose `chat` spans are the calls one by one. A call logged as a usage record and as a span bills once by
-- the response key of migration 012 (same response id and session id). A process's shutdown totals are the sum of
-- its spans, so they must not bill when spans of that session fall in the process's window — whichever object
-- arrives first. This migration replaces exactly one object and adds the rest:
-- - response_rows (replaced; every other agent's rows are as in 021): a shutdown row is left out when such spans
--   exist, and a span row takes the project of the session it belongs to;
-- - note_copilot_conversation_rows, with triggers on messages (spans and shutdown rows written or deleted) and on
--   sessions (a Copilot session inserted, or its machine, source id or project changed): the other object's rows
--   of the same sessions are noted in billing_pending, so settle_billing decides them again in the same
--   transaction. A transaction-level advisory lock per machine, taken at the first such statement, orders two
--   objects of one machine written at once: the later one's notes see the earlier one's rows;
-- - an index for the span lookups, and model_aliases for the names Copilot logs.


-- Copilot writes Anthropic's models with dots (claude-sonnet-4.5; 1.0.102's runtime names claude-haiku-4.5 and
-- claude-opus-4.6), and a 1M-context variant as `-1m` / `-1m-internal` (priced as the model: its long-context
-- rates apply by prompt size). OpenAI's and Google's names are written as those providers write them.
INSERT INTO model_aliases (alias, model) VALUES
  ('claude-sonnet-4.5', 'claude-sonnet-4-5'),
  ('claude-sonnet-4.6', 'claude-sonnet-4-6'),
  ('claude-haiku-4.5', 'claude-haiku-4-5'),
  ('claude-opus-4.1', 'claude-opus-4-1'),
  ('claude-opus-4.5', 'claude-opus-4-5'),
  ('claude-opus-4.6', 'claude-opus-4-6'),
  ('claude-opus-4.6-1m', 'claude-opus-4-6'),
  ('claude-opus-4.6-1m-internal', 'claude-opus-4-6'),
  ('claude-opus-4.7', 'claude-opus-4-7'),
  ('claude-opus-4.8', 'claude-opus-4-8')
ON CONFLICT (alias) DO NOTHING;

CREATE INDEX messages_copilot_span_idx ON messages (request_id, "timestamp") WHERE source_type = 'otel';

-- Migration 021's response_rows with the two Copilot rules.
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
       coalesce(conversation.project_key, s.project_key) AS project_key,
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
  -- a Copilot OTel span bills in the project of the session it belongs to (gen_ai.conversation.id = request_id)
  LEFT JOIN LATERAL (
    SELECT e.project_key FROM sessions e
     WHERE s.agent = 'copilot' AND m.source_type = 'otel'
       AND e.agent = 'copilot' AND e.machine = s.machine AND e.source_session_id = m.request_id
     ORDER BY e.id LIMIT 1
  ) AS conversation ON true
  LEFT JOIN model_aliases alias ON alias.alias = m.model
  -- a response without a time is priced at the latest price
  LEFT JOIN model_price_periods period
    ON period.model = coalesce(alias.model, m.model)
   AND coalesce(m."timestamp", 'infinity') >= period.valid_from
   AND (coalesce(m."timestamp", 'infinity') < period.valid_until OR period.valid_until = 'infinity')
 -- rows with a token count, as `num_nonnulls(…) > 0` before, written so that the planner does not read a whole
 -- session's rows through messages_billed_day_idx (its predicate), which scans every billed row of every day
 WHERE coalesce(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens) IS NOT NULL
   AND m.model IS DISTINCT FROM '<synthetic>'
   -- a Copilot process's shutdown totals do not bill when OTel spans of its session fall in its window
   -- (request_id holds the process's start; the spans are its calls one by one)
   AND NOT (s.agent = 'copilot' AND m.source_type = 'session.shutdown' AND EXISTS (
     SELECT 1 FROM messages span JOIN sessions o ON o.id = span.session_id
      WHERE span.source_type = 'otel' AND span.request_id = s.source_session_id
        AND o.agent = 'copilot' AND o.machine = s.machine
        AND span."timestamp" > coalesce(m.request_id::timestamptz, '-infinity')
        AND span."timestamp" <= m."timestamp"));

-- The sessions whose Copilot rows were written or deleted (a span's session is its conversation id, a shutdown
-- row's its own source id): their events files' rows (whole) and their spans are decided again at commit.
CREATE FUNCTION note_copilot_conversation_rows(session_ids text[], source_types text[], request_ids text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  machines text[];
  conversations text[];
  noted bigint;
BEGIN
  WITH changed AS (
    SELECT DISTINCT s.machine,
           CASE WHEN r.source_type = 'otel' THEN r.request_id ELSE s.source_session_id END AS conversation
      FROM unnest(session_ids, source_types, request_ids) AS r (session_id, source_type, request_id)
      JOIN sessions s ON s.id = r.session_id
     WHERE s.agent = 'copilot'
  )
  SELECT array_agg(machine), array_agg(conversation) INTO machines, conversations
    FROM changed WHERE conversation IS NOT NULL;
  IF machines IS NULL THEN
    RETURN;
  END IF;
  -- held to commit: a concurrent writer of the same machine's Copilot objects waits here, and its statements
  -- below then see this transaction's rows (READ COMMITTED: a new snapshot per statement)
  PERFORM pg_advisory_xact_lock(25, hashtext(machine))
     FROM (SELECT DISTINCT unnest(machines) AS machine ORDER BY 1) AS ordered;
  INSERT INTO billing_pending (session_id, ordinal)
  SELECT e.id, NULL
    FROM unnest(machines, conversations) AS c (machine, conversation)
    JOIN sessions e ON e.agent = 'copilot' AND e.machine = c.machine AND e.source_session_id = c.conversation
  UNION
  SELECT span.session_id, span.ordinal
    FROM unnest(machines, conversations) AS c (machine, conversation)
    JOIN messages span ON span.source_type = 'otel' AND span.request_id = c.conversation
    JOIN sessions o ON o.id = span.session_id AND o.agent = 'copilot' AND o.machine = c.machine
   WHERE num_nonnulls(span.input_tokens, span.output_tokens, span.cache_creation_input_tokens,
                      span.cache_read_input_tokens) > 0;
  GET DIAGNOSTICS noted = ROW_COUNT;
  IF noted > 0 THEN
    INSERT INTO billing_settle DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
END
$$;

-- One function for both triggers: each names its transition table `changed_rows` (the new rows of an insert, the
-- old rows of a delete).
CREATE FUNCTION note_copilot_rows_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
BEGIN
  PERFORM note_copilot_conversation_rows(array_agg(c.session_id), array_agg(c.source_type), array_agg(c.request_id))
     FROM changed_rows c WHERE c.source_type IN ('otel', 'session.shutdown')
    HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER billing_copilot_rows_inserted AFTER INSERT ON messages
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_copilot_rows_changed();
CREATE TRIGGER billing_copilot_rows_deleted AFTER DELETE ON messages
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_copilot_rows_changed();

-- The write path fills a session's source id and cwd after its messages (shared/store/object-store.ts): a Copilot
-- session that gains or changes them has its spans (and its own rows) decided again.
CREATE FUNCTION note_copilot_sessions_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM note_copilot_conversation_rows(array_agg(n.id), array_agg('session'::text), array_agg(NULL::text))
       FROM new_rows n WHERE n.agent = 'copilot' AND n.source_session_id IS NOT NULL
      HAVING count(*) > 0;
  ELSE
    PERFORM note_copilot_conversation_rows(array_agg(n.id), array_agg('session'::text), array_agg(NULL::text))
       FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.agent = 'copilot' AND n.source_session_id IS NOT NULL
        AND (n.machine, n.source_session_id, n.project_key) IS DISTINCT FROM (o.machine, o.source_session_id, o.project_key)
     HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER billing_copilot_sessions_inserted AFTER INSERT ON sessions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_copilot_sessions_changed();
CREATE TRIGGER billing_copilot_sessions_updated AFTER UPDATE ON sessions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_copilot_sessions_changed();

-- Run by the triggers only, as their owner (as migration 012's billing functions): no role calls them.
REVOKE EXECUTE ON FUNCTION note_copilot_conversation_rows(text[], text[], text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION note_copilot_rows_changed() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION note_copilot_sessions_changed() FROM PUBLIC;
