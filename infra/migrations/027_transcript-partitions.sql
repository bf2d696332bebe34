-- Transcripts partitioned by month, and dropped by month (issue 18, section 2). docs/performance.md "Partitions and
-- retention" says why the key is the session's month; README.md "Retention" says how to drop and restore a month.
--
-- - messages, tool_calls and tool_call_search become declarative range partitions on transcript_month: the UTC
--   month of the session's start (sessions.transcript_month, decided by the first write of the session and never
--   changed), so a session's rows stay in one partition and a delta appends to it. A foreign key
--   (session_id, transcript_month) -> sessions (id, transcript_month) holds every row to its session's month.
-- - Each table has a default partition (a month without its own partition yet: create_transcript_partition moves
--   its rows out) and an `unassigned` one that takes rows inserted without a month (any INSERT that does not
--   name transcript_month, e.g. an operator's or a test's) and re-inserts them with their session's month.
-- - A month's partitions are dropped whole (drop_transcript_month): no row trigger fires, so billed_responses and
--   the rollups keep every response; the month's sessions are marked transcript_dropped_at and their billed rows
--   are frozen (settle_billing and rebuild_billing leave them as they are: their copies are gone).
-- The existing rows are copied into the new tables in this transaction; views on the three tables, triggers,
-- policies, grants and indexes are made again on the partitioned parents (read from the catalog, so what other
-- migrations added comes along).

-------------------------------------------------------------------------------------------------------------------
-- The session's month
-------------------------------------------------------------------------------------------------------------------

CREATE FUNCTION transcript_month_of(ts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (date_trunc('month', ts AT TIME ZONE 'UTC'))::date
$$;

ALTER TABLE sessions
  ADD COLUMN transcript_month date CHECK (transcript_month = date_trunc('month', transcript_month)::date),
  ADD COLUMN transcript_dropped_at timestamptz;

-- Existing sessions: the month of their earliest message (what the write path takes from a session's first rows),
-- else of their start, else this month.
UPDATE sessions s
   SET transcript_month = coalesce(
         (SELECT transcript_month_of(min(m."timestamp")) FROM messages m WHERE m.session_id = s.id),
         transcript_month_of(s.started_at),
         transcript_month_of(now()));

ALTER TABLE sessions ADD CONSTRAINT sessions_transcript_month_key UNIQUE (id, transcript_month);
CREATE INDEX sessions_transcript_month_idx ON sessions (transcript_month);
CREATE INDEX sessions_transcript_dropped_idx ON sessions (id) WHERE transcript_dropped_at IS NOT NULL;

-------------------------------------------------------------------------------------------------------------------
-- Views on the three tables: kept to be made again on the new tables
-------------------------------------------------------------------------------------------------------------------

CREATE TEMP TABLE kept_views ON COMMIT DROP AS
WITH RECURSIVE dependent (oid, depth) AS (
  SELECT DISTINCT r.ev_class, 1
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
   WHERE d.classid = 'pg_rewrite'::regclass
     AND d.refobjid IN ('messages'::regclass, 'tool_calls'::regclass, 'tool_call_search'::regclass)
     AND r.ev_class <> d.refobjid
  UNION
  SELECT r.ev_class, dependent.depth + 1
    FROM dependent JOIN pg_depend d ON d.refobjid = dependent.oid AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid
   WHERE r.ev_class <> dependent.oid
)
SELECT c.oid, c.relname, max(dependent.depth) AS depth, pg_get_viewdef(c.oid) AS definition, c.reloptions,
       c.relacl, obj_description(c.oid, 'pg_class') AS comment
  FROM dependent JOIN pg_class c ON c.oid = dependent.oid
 GROUP BY c.oid, c.relname, c.reloptions, c.relacl;

DO $$
DECLARE
  v record;
BEGIN
  FOR v IN SELECT * FROM kept_views ORDER BY depth DESC LOOP
    EXECUTE format('DROP VIEW %I', v.relname);
  END LOOP;
END
$$;

-------------------------------------------------------------------------------------------------------------------
-- The partitioned tables, filled from the old ones
-------------------------------------------------------------------------------------------------------------------

-- The old tables (and their indexes, whose names the new ones take) step aside.
DO $$
DECLARE
  t text;
  i record;
BEGIN
  FOREACH t IN ARRAY ARRAY['messages', 'tool_calls', 'tool_call_search'] LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_before_027');
    FOR i IN SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
              WHERE x.indrelid = (t || '_before_027')::regclass LOOP
      EXECUTE format('ALTER INDEX %I RENAME TO %I', i.relname, left(i.relname, 40) || '_before_027');
    END LOOP;
  END LOOP;
END
$$;

-- Same columns (generated ones included), defaults, NOT NULL and checks; plus the month.
CREATE TABLE messages (
  LIKE messages_before_027 INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS,
  transcript_month date NOT NULL DEFAULT '-infinity'
) PARTITION BY RANGE (transcript_month);
CREATE TABLE tool_calls (
  LIKE tool_calls_before_027 INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS,
  transcript_month date NOT NULL DEFAULT '-infinity'
) PARTITION BY RANGE (transcript_month);
CREATE TABLE tool_call_search (
  LIKE tool_call_search_before_027 INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS,
  transcript_month date NOT NULL DEFAULT '-infinity'
) PARTITION BY RANGE (transcript_month);

-- The columns a copy of `parent`'s rows writes (generated columns are computed, not written).
CREATE FUNCTION transcript_columns(parent regclass) RETURNS text
LANGUAGE sql STABLE SET search_path = sessionlake, pg_temp AS $$
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
    FROM pg_attribute
   WHERE attrelid = parent AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
$$;

-- A partition is only read through its parent: row-level security with no policy keeps direct reads (analysts get
-- SELECT on every new table by default privileges, migration 005) to nothing.
CREATE FUNCTION secure_transcript_partition(partition regclass) RETURNS void
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', partition);
  EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', partition);
END
$$;

-- The partitions of one month, for the three tables, created when missing; rows of that month waiting in the
-- default partitions move into them (children first out, parents first in, so no foreign key cascades). Returns
-- whether they were created. Runs as its caller (the owner, or a definer function below).
CREATE FUNCTION create_transcript_partition(month date) RETURNS boolean
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
DECLARE
  t text;
  suffix text := to_char(month, 'YYYY_MM');
BEGIN
  IF month IS NULL OR month <> date_trunc('month', month)::date OR month < '0001-01-01' THEN
    RAISE EXCEPTION 'not the first day of a month: %', month;
  END IF;
  IF to_regclass(format('sessionlake.%I', 'messages_' || suffix)) IS NOT NULL THEN
    RETURN false;
  END IF;
  FOREACH t IN ARRAY ARRAY['tool_call_search', 'tool_calls', 'messages'] LOOP
    EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT * FROM %I WHERE transcript_month = $1',
                   'moving_' || t, t || '_default') USING month;
    EXECUTE format('DELETE FROM %I WHERE transcript_month = $1', t || '_default') USING month;
  END LOOP;
  FOREACH t IN ARRAY ARRAY['messages', 'tool_calls', 'tool_call_search'] LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                   t || '_' || suffix, t, month, (month + interval '1 month')::date);
    PERFORM secure_transcript_partition(format('sessionlake.%I', t || '_' || suffix)::regclass);
    EXECUTE format('INSERT INTO %I (%s) SELECT %2$s FROM %I', t || '_' || suffix, transcript_columns(t::regclass), 'moving_' || t);
    EXECUTE format('DROP TABLE %I', 'moving_' || t);
  END LOOP;
  RETURN true;
END
$$;

CREATE TABLE messages_default PARTITION OF messages DEFAULT;
CREATE TABLE tool_calls_default PARTITION OF tool_calls DEFAULT;
CREATE TABLE tool_call_search_default PARTITION OF tool_call_search DEFAULT;
CREATE TABLE messages_unassigned PARTITION OF messages FOR VALUES FROM (MINVALUE) TO ('0001-01-01');
CREATE TABLE tool_calls_unassigned PARTITION OF tool_calls FOR VALUES FROM (MINVALUE) TO ('0001-01-01');
CREATE TABLE tool_call_search_unassigned PARTITION OF tool_call_search FOR VALUES FROM (MINVALUE) TO ('0001-01-01');
SELECT secure_transcript_partition(p::regclass)
  FROM unnest(ARRAY['messages_default', 'tool_calls_default', 'tool_call_search_default',
                    'messages_unassigned', 'tool_calls_unassigned', 'tool_call_search_unassigned']) p;

-- Every month that has sessions, and this month and the next two.
SELECT create_transcript_partition(m)
  FROM (SELECT DISTINCT transcript_month AS m FROM sessions
        UNION SELECT (transcript_month_of(now()) + make_interval(months => i))::date FROM generate_series(0, 2) i) months
 ORDER BY m;

-- The rows, with their session's month (before any index, trigger or foreign key: one pass each afterwards).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['messages', 'tool_calls', 'tool_call_search'] LOOP
    EXECUTE format('INSERT INTO %I (%s, transcript_month) SELECT %s, s.transcript_month FROM %I o JOIN sessions s ON s.id = o.session_id',
                   t, transcript_columns((t || '_before_027')::regclass),
                   (SELECT string_agg('o.' || quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                     WHERE attrelid = (t || '_before_027')::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''),
                   t || '_before_027');
  END LOOP;
END
$$;

-- Keys: the old ones with the month (which the session decides, so (session_id, ordinal) stays unique).
ALTER TABLE messages ADD PRIMARY KEY (session_id, ordinal, transcript_month);
ALTER TABLE tool_calls ADD PRIMARY KEY (session_id, message_ordinal, call_index, transcript_month);
ALTER TABLE tool_call_search ADD PRIMARY KEY (session_id, message_ordinal, call_index, transcript_month);
ALTER TABLE messages ADD CONSTRAINT messages_session_month_fkey FOREIGN KEY (session_id, transcript_month)
  REFERENCES sessions (id, transcript_month) ON DELETE CASCADE;
ALTER TABLE tool_calls ADD CONSTRAINT tool_calls_session_month_fkey FOREIGN KEY (session_id, transcript_month)
  REFERENCES sessions (id, transcript_month) ON DELETE CASCADE;
ALTER TABLE tool_call_search ADD CONSTRAINT tool_call_search_tool_call_fkey
  FOREIGN KEY (session_id, message_ordinal, call_index, transcript_month)
  REFERENCES tool_calls (session_id, message_ordinal, call_index, transcript_month) ON DELETE CASCADE;

-- The other indexes, triggers, policies and grants of the old tables, made again on the new parents.
DO $$
DECLARE
  t text;
  old regclass;
  r record;
  expected_keys text[] := ARRAY['messages_session_id_fkey', 'tool_calls_session_id_fkey',
                                'tool_call_search_session_id_message_ordinal_call_index_fkey'];
BEGIN
  FOREACH t IN ARRAY ARRAY['messages', 'tool_calls', 'tool_call_search'] LOOP
    old := (t || '_before_027')::regclass;
    -- A foreign key or unique index added by a migration this one does not know would be lost: stop instead.
    FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = old AND contype IN ('f', 'u', 'x')
                                                AND NOT conname = ANY (expected_keys) LOOP
      RAISE EXCEPTION 'migration 027 does not know constraint % on %', r.conname, t;
    END LOOP;
    FOR r IN SELECT c.relname, pg_get_indexdef(x.indexrelid) AS def
               FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
              WHERE x.indrelid = old AND NOT x.indisprimary LOOP
      IF position('CREATE UNIQUE' IN r.def) = 1 THEN
        RAISE EXCEPTION 'migration 027 does not know unique index % on %', r.relname, t;
      END IF;
      -- on the parent: Postgres builds it on every partition, and on each partition created later
      EXECUTE regexp_replace(
        replace(r.def, format(' ON sessionlake.%I ', t || '_before_027'), format(' ON sessionlake.%I ', t)),
        '^CREATE INDEX \S+ ', format('CREATE INDEX %I ', replace(r.relname, '_before_027', '')));
    END LOOP;
    FOR r IN SELECT pg_get_triggerdef(g.oid) AS def FROM pg_trigger g WHERE g.tgrelid = old AND NOT g.tgisinternal LOOP
      EXECUTE replace(r.def, format(' ON sessionlake.%I ', t || '_before_027'), format(' ON sessionlake.%I ', t));
    END LOOP;
    FOR r IN SELECT * FROM pg_policies WHERE schemaname = 'sessionlake' AND tablename = t || '_before_027' LOOP
      EXECUTE format('CREATE POLICY %I ON %I AS %s FOR %s TO %s%s%s', r.policyname, t, r.permissive, r.cmd,
                     (SELECT string_agg(CASE WHEN g = 'public' THEN 'PUBLIC' ELSE quote_ident(g) END, ', ') FROM unnest(r.roles) g),
                     CASE WHEN r.qual IS NULL THEN '' ELSE format(' USING (%s)', r.qual) END,
                     CASE WHEN r.with_check IS NULL THEN '' ELSE format(' WITH CHECK (%s)', r.with_check) END);
    END LOOP;
    IF (SELECT relrowsecurity FROM pg_class WHERE oid = old) THEN
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    END IF;
    FOR r IN SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = old AND a.grantee <> c.relowner LOOP
      EXECUTE format('GRANT %s ON %I TO %s', r.privilege_type, t,
                     CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END);
    END LOOP;
  END LOOP;
END
$$;

DROP TABLE tool_call_search_before_027;
DROP TABLE tool_calls_before_027;
DROP TABLE messages_before_027;

-- The views, as they were.
DO $$
DECLARE
  v record;
  a record;
BEGIN
  FOR v IN SELECT * FROM kept_views ORDER BY depth LOOP
    EXECUTE format('CREATE VIEW %I%s AS %s', v.relname,
                   CASE WHEN v.reloptions IS NULL THEN '' ELSE format(' WITH (%s)', array_to_string(v.reloptions, ', ')) END,
                   v.definition);
    IF v.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON VIEW %I IS %L', v.relname, v.comment);
    END IF;
    FOR a IN SELECT x.grantee, x.privilege_type FROM aclexplode(v.relacl) x
              WHERE x.grantee <> (SELECT relowner FROM pg_class WHERE relname = v.relname AND relnamespace = 'sessionlake'::regnamespace) LOOP
      EXECUTE format('GRANT %s ON %I TO %s', a.privilege_type, v.relname,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END);
    END LOOP;
  END LOOP;
END
$$;

-------------------------------------------------------------------------------------------------------------------
-- Rows inserted without a month
-------------------------------------------------------------------------------------------------------------------

-- A row that names no transcript_month lands in the `unassigned` partition (its default, '-infinity'); this trigger
-- inserts it again with its session's month (deciding that month when the session has none yet: its start, else
-- now) and skips the original. The write path always names the month (shared/store/session-writer.ts).
CREATE FUNCTION assign_transcript_month() RETURNS trigger
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
DECLARE
  month date;
  started timestamptz;
  found_session boolean;
  columns text := transcript_columns(TG_ARGV[0]::regclass);
BEGIN
  SELECT s.transcript_month, s.started_at, true INTO month, started, found_session FROM sessions s WHERE s.id = NEW.session_id;
  IF found_session AND month IS NULL THEN
    month := coalesce(transcript_month_of(started), transcript_month_of(now()));
    UPDATE sessions SET transcript_month = month WHERE id = NEW.session_id AND transcript_month IS NULL;
  END IF;
  -- No session: the foreign key's own error, on the row as given a month.
  NEW.transcript_month := coalesce(month, transcript_month_of(now()));
  EXECUTE format('INSERT INTO %s (%s) SELECT %2$s FROM (SELECT ($1).*) r', TG_ARGV[0], columns) USING NEW;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION assign_transcript_month() FROM PUBLIC;

CREATE TRIGGER assign_transcript_month BEFORE INSERT ON messages_unassigned
  FOR EACH ROW EXECUTE FUNCTION assign_transcript_month('sessionlake.messages');
CREATE TRIGGER assign_transcript_month BEFORE INSERT ON tool_calls_unassigned
  FOR EACH ROW EXECUTE FUNCTION assign_transcript_month('sessionlake.tool_calls');
CREATE TRIGGER assign_transcript_month BEFORE INSERT ON tool_call_search_unassigned
  FOR EACH ROW EXECUTE FUNCTION assign_transcript_month('sessionlake.tool_call_search');

-------------------------------------------------------------------------------------------------------------------
-- Search rows carry their tool call's month
-------------------------------------------------------------------------------------------------------------------

-- Migration 011's function, writing the month too (one partition per month, like the tool call it indexes).
CREATE OR REPLACE FUNCTION index_tool_call_search(session_ids text[]) RETURNS bigint
LANGUAGE sql SET search_path = sessionlake, pg_temp AS $$
  WITH indexed AS (
    INSERT INTO tool_call_search (session_id, message_ordinal, call_index, search_vector, transcript_month)
    SELECT t.session_id, t.message_ordinal, t.call_index,
           tool_call_search_vector(t.name, t.input, t.input_text, t.result_text), t.transcript_month
      FROM tool_calls t
     WHERE (session_ids IS NULL OR t.session_id = ANY (session_ids))
       AND NOT EXISTS (SELECT 1 FROM tool_call_search s
                        WHERE s.session_id = t.session_id AND s.message_ordinal = t.message_ordinal
                          AND s.call_index = t.call_index AND s.transcript_month = t.transcript_month)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*) FROM indexed
$$;

-------------------------------------------------------------------------------------------------------------------
-- Billing of dropped transcripts stays as it was
-------------------------------------------------------------------------------------------------------------------

-- Migration 012's settle_billing, unchanged but for one step: a response whose billed row belongs to a session
-- whose transcript was dropped (retention) is not decided again, since its copies are gone; that billed row, its
-- rollups and its session's usage stay exactly as they were. Its copies in live sessions do not bill it twice.
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

-- Migration 019's rebuild_billing, keeping the billed rows of dropped transcripts (and their keys) as they are.
CREATE OR REPLACE FUNCTION rebuild_billing() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  billed bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(18, bucket) FROM generate_series(0, 255) bucket;
  DELETE FROM billed_responses b
   WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = b.session_id AND s.transcript_dropped_at IS NOT NULL);
  DELETE FROM usage_rollup_daily;
  DELETE FROM session_usage;
  IF NOT EXISTS (SELECT 1 FROM sessions WHERE transcript_dropped_at IS NOT NULL) THEN
    INSERT INTO billed_responses
    SELECT DISTINCT ON (r.response_key) r.*
      FROM response_rows r
     ORDER BY r.response_key, r.billing_rank DESC, r.billing_preferred DESC, r.session_id, r.message_ordinal;
  ELSE
    -- the keys billed from dropped transcripts are taken (a hash anti-join, not a probe per row)
    INSERT INTO billed_responses
    SELECT DISTINCT ON (r.response_key) r.*
      FROM response_rows r
      LEFT JOIN (SELECT b.response_key FROM billed_responses b JOIN sessions s ON s.id = b.session_id
                  WHERE s.transcript_dropped_at IS NOT NULL) kept ON kept.response_key = r.response_key
     WHERE kept.response_key IS NULL
     ORDER BY r.response_key, r.billing_rank DESC, r.billing_preferred DESC, r.session_id, r.message_ordinal;
  END IF;
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

-------------------------------------------------------------------------------------------------------------------
-- Maintenance, retention and restore (README.md "Retention"; run by `sessionlake retention` and the scheduled
-- function, which runs as the writer: these run as the owner, and only the writer may call them)
-------------------------------------------------------------------------------------------------------------------

-- Dropped months, for the record (sessionlake retention prints it; a restore notes when it brought one back).
CREATE TABLE transcript_retention (
  month        date PRIMARY KEY,
  dropped_at   timestamptz NOT NULL DEFAULT now(),
  sessions     bigint NOT NULL,
  messages     bigint NOT NULL,
  tool_calls   bigint NOT NULL,
  bytes        bigint NOT NULL,
  restored_at  timestamptz
);
ALTER TABLE transcript_retention ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON transcript_retention USING ((SELECT sees_all_machines(current_user)));

-- The months that have partitions, or rows waiting in the default partition (no partition of their own yet, size
-- 0 here), with their sessions and size (all three tables).
CREATE FUNCTION transcript_months() RETURNS TABLE (month date, sessions bigint, bytes bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
  WITH months AS (
    SELECT to_date(substr(c.relname, length('messages_') + 1), 'YYYY_MM') AS month,
           (SELECT sum(pg_total_relation_size(p.oid))::bigint FROM pg_class p
             WHERE p.relnamespace = c.relnamespace
               AND p.relname IN (c.relname, 'tool_calls_' || substr(c.relname, 10), 'tool_call_search_' || substr(c.relname, 10))) AS bytes
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'messages'::regclass AND c.relname ~ '^messages_[0-9]{4}_[0-9]{2}$'
    UNION ALL
    SELECT DISTINCT transcript_month, 0::bigint FROM messages_default
  )
  SELECT m.month, (SELECT count(*) FROM sessions s WHERE s.transcript_month = m.month), sum(m.bytes)::bigint
    FROM months m GROUP BY m.month ORDER BY m.month
$$;

-- This month's and the next `months_ahead` months' partitions, and those of months whose rows wait in the default
-- partitions (a session of a month with no partition). Returns the months created. Waits at most `lock_wait` for
-- the tables (creating a partition locks its parent; ingest transactions wait meanwhile): a run that times out
-- fails and the next one tries again.
CREATE FUNCTION ensure_transcript_partitions(months_ahead integer, lock_wait interval DEFAULT '10 seconds')
RETURNS SETOF date
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  m date;
BEGIN
  PERFORM set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint::text, true);
  FOR m IN SELECT DISTINCT transcript_month FROM messages_default
           UNION SELECT DISTINCT transcript_month FROM tool_calls_default
           UNION SELECT (transcript_month_of(now()) + make_interval(months => i))::date
                   FROM generate_series(0, greatest(months_ahead, 0)) i
           ORDER BY 1 LOOP
    IF create_transcript_partition(m) THEN
      RETURN NEXT m;
    END IF;
  END LOOP;
END
$$;

-- Why `month`'s billing is not settled into the rollups (NULL: it is): a billed-looking row of the month's sessions
-- with no billed response (rows loaded with triggers off and not decided by rebuild_billing()), or rollups of the
-- days its billed responses fall on that differ from the sums of billed_responses (per day, machine, agent,
-- project key and model), or a session's usage that differs from its billed rows.
CREATE FUNCTION transcript_month_unsettled(month date) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  undecided bigint;
  days_off bigint;
  sessions_off bigint;
BEGIN
  SELECT count(*) INTO undecided
    FROM response_rows r
   WHERE r.session_id IN (SELECT id FROM sessions WHERE transcript_month = month AND transcript_dropped_at IS NULL)
     AND NOT EXISTS (SELECT 1 FROM billed_responses b WHERE b.response_key = r.response_key);
  IF undecided > 0 THEN
    RETURN format('%s responses of %s have no billed row (run SELECT sessionlake.rebuild_billing())', undecided, to_char(month, 'YYYY-MM'));
  END IF;
  WITH days AS (
    SELECT DISTINCT b.day FROM billed_responses b JOIN sessions s ON s.id = b.session_id WHERE s.transcript_month = month
  ),
  expected AS (
    SELECT day, machine, agent, project_key, model, count(*) AS responses,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
           sum(cache_read_input_tokens) AS cache_read_input_tokens,
           sum(reasoning_output_tokens) AS reasoning_output_tokens, coalesce(sum(cost_usd), 0) AS cost
      FROM billed_responses WHERE day IN (SELECT day FROM days) OR (day IS NULL AND EXISTS (SELECT 1 FROM days WHERE day IS NULL))
     GROUP BY day, machine, agent, project_key, model
  ),
  rolled AS (
    SELECT day, machine, agent, project_key, model, sum(responses) AS responses,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
           sum(cache_read_input_tokens) AS cache_read_input_tokens,
           sum(reasoning_output_tokens) AS reasoning_output_tokens, sum(priced_cost_usd) AS cost
      FROM usage_rollup_daily WHERE day IN (SELECT day FROM days) OR (day IS NULL AND EXISTS (SELECT 1 FROM days WHERE day IS NULL))
     GROUP BY day, machine, agent, project_key, model
  )
  SELECT count(*) INTO days_off FROM ((TABLE expected EXCEPT TABLE rolled) UNION ALL (TABLE rolled EXCEPT TABLE expected)) d;
  IF days_off > 0 THEN
    RETURN format('%s rollup groups of the days billed from %s differ from billed_responses (run SELECT sessionlake.rebuild_billing())',
                  days_off, to_char(month, 'YYYY-MM'));
  END IF;
  SELECT count(*) INTO sessions_off FROM (
    SELECT b.session_id, count(*) AS responses, coalesce(sum(b.cost_usd), 0) AS cost
      FROM billed_responses b JOIN sessions s ON s.id = b.session_id WHERE s.transcript_month = month GROUP BY b.session_id
    EXCEPT
    SELECT u.session_id, u.responses, u.priced_cost_usd
      FROM session_usage u JOIN sessions s ON s.id = u.session_id WHERE s.transcript_month = month
  ) d;
  IF sessions_off > 0 THEN
    RETURN format('%s sessions of %s have usage that differs from their billed rows (run SELECT sessionlake.rebuild_billing())',
                  sessions_off, to_char(month, 'YYYY-MM'));
  END IF;
  RETURN NULL;
END
$$;

-- Drops `month`'s transcripts (its partitions of messages, tool_calls and tool_call_search), refusing when its
-- billing is not settled. Sessions, billed responses, rollups and costs stay; the month's sessions are marked
-- transcript_dropped_at, which freezes their billed rows (settle_billing). Returns the sessions marked.
CREATE FUNCTION drop_transcript_month(month date, lock_wait interval DEFAULT '10 seconds') RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  suffix text := to_char(month, 'YYYY_MM');
  why text;
  marked bigint;
  counts record;
BEGIN
  IF month IS NULL OR month <> date_trunc('month', month)::date THEN
    RAISE EXCEPTION 'not the first day of a month: %', month;
  END IF;
  PERFORM set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint::text, true);
  -- No transaction writes while the month is checked and dropped (dropping a partition locks its parent anyway).
  LOCK TABLE messages, tool_calls, tool_call_search IN ACCESS EXCLUSIVE MODE;
  -- Rows of the month still in the default partitions get its partitions first, so they go with them.
  PERFORM create_transcript_partition(month);
  why := transcript_month_unsettled(month);
  IF why IS NOT NULL THEN
    RAISE EXCEPTION 'refusing to drop the transcripts of %: %', to_char(month, 'YYYY-MM'), why;
  END IF;
  EXECUTE format('SELECT (SELECT count(*) FROM %I) AS messages, (SELECT count(*) FROM %I) AS tool_calls, '
                 '(SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c WHERE c.oid IN (%L::regclass, %L::regclass, %L::regclass)) AS bytes',
                 'messages_' || suffix, 'tool_calls_' || suffix,
                 'sessionlake.messages_' || suffix, 'sessionlake.tool_calls_' || suffix, 'sessionlake.tool_call_search_' || suffix)
    INTO counts;
  UPDATE sessions SET transcript_dropped_at = now() WHERE transcript_month = month AND transcript_dropped_at IS NULL;
  GET DIAGNOSTICS marked = ROW_COUNT;
  -- The search rows first (they reference the tool calls); a partition a foreign key references is detached
  -- before it is dropped.
  EXECUTE format('DROP TABLE %I', 'tool_call_search_' || suffix);
  EXECUTE format('ALTER TABLE tool_calls DETACH PARTITION %I', 'tool_calls_' || suffix);
  EXECUTE format('DROP TABLE %I, %I', 'tool_calls_' || suffix, 'messages_' || suffix);
  INSERT INTO transcript_retention (month, sessions, messages, tool_calls, bytes)
  VALUES (month, marked, counts.messages, counts.tool_calls, coalesce(counts.bytes, 0))
  ON CONFLICT ON CONSTRAINT transcript_retention_pkey DO UPDATE SET dropped_at = now(),
    sessions = transcript_retention.sessions + EXCLUDED.sessions, messages = transcript_retention.messages + EXCLUDED.messages,
    tool_calls = transcript_retention.tool_calls + EXCLUDED.tool_calls, bytes = transcript_retention.bytes + EXCLUDED.bytes,
    restored_at = NULL;
  RETURN marked;
END
$$;

-- A restore begins: `month` gets its partitions again, and the objects of its dropped sessions are listed (with
-- their sessions) for the write path to ingest in full.
CREATE FUNCTION begin_transcript_restore(month date) RETURNS TABLE (session_id text, object_uri text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
BEGIN
  PERFORM create_transcript_partition(month);
  RETURN QUERY SELECT s.id, s.object_uri FROM sessions s
                WHERE s.transcript_month = month AND s.transcript_dropped_at IS NOT NULL ORDER BY s.object_uri;
END
$$;

-- A restored session (its object ingested again in full) is live again: its billed rows are decided again at this
-- transaction's commit from the rows now there (the same rows give the same decision). Returns the sessions.
CREATE FUNCTION finish_transcript_restore(session_ids text[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
DECLARE
  restored bigint;
BEGIN
  WITH live AS (
    UPDATE sessions SET transcript_dropped_at = NULL
     WHERE id = ANY (session_ids) AND transcript_dropped_at IS NOT NULL
    RETURNING id
  )
  INSERT INTO billing_pending (session_id, ordinal) SELECT id, NULL FROM live;
  GET DIAGNOSTICS restored = ROW_COUNT;
  IF restored > 0 THEN
    INSERT INTO billing_settle DEFAULT VALUES ON CONFLICT DO NOTHING;
    UPDATE transcript_retention r SET restored_at = now()
     WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.transcript_month = r.month AND s.transcript_dropped_at IS NOT NULL)
       AND r.restored_at IS NULL;
  END IF;
  RETURN restored;
END
$$;

-- transcript_columns stays executable by all: the trigger of the unassigned partitions runs as the inserting role
-- (the writer, an operator), and it only reads the catalog.
REVOKE EXECUTE ON FUNCTION secure_transcript_partition(regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION create_transcript_partition(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION transcript_months() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ensure_transcript_partitions(integer, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION transcript_month_unsettled(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION drop_transcript_month(date, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION begin_transcript_restore(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION finish_transcript_restore(text[]) FROM PUBLIC;

-- The writer roles of an existing installation (as `sessionlake roles` grants them, shared/store/roles.ts).
DO $$
DECLARE
  writer name;
BEGIN
  FOR writer IN SELECT a.role_name FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name WHERE a.access = 'writer' LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION transcript_months(), ensure_transcript_partitions(integer, interval), '
                   'transcript_month_unsettled(date), drop_transcript_month(date, interval), begin_transcript_restore(date), '
                   'finish_transcript_restore(text[]) TO %I', writer);
    EXECUTE format('GRANT SELECT ON transcript_retention TO %I', writer);
  END LOOP;
END
$$;

ANALYZE messages;
ANALYZE tool_calls;
ANALYZE tool_call_search;
