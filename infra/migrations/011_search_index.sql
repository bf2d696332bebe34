-- Full-text search of tool calls leaves the object's transaction. Migration 003 stored a generated tsvector on
-- every tool_calls row and kept a GIN index on it: computing the tsvector of the bulkiest text there is (tool
-- output) inside the ingest made the tool-call insert about 8× a plain insert (`npm run bench:search-write`,
-- docs/performance.md). The tsvector now lives in tool_call_search, one row per tool call, written right after
-- the object's transaction commits (ObjectStore → index_tool_call_search): search sees a tool call a moment after
-- its rows are committed. search_documents answers as before; README.md "Usage, cost and search" says what moved.
-- Messages keep their stored column (their insert with it is about 2.5× a plain one).

DROP VIEW search_documents;
ALTER TABLE tool_calls DROP COLUMN search_vector;   -- drops tool_calls_search_idx with it

-- A row per indexed tool call. Deleting or replacing a tool call deletes its row (the foreign key; the trigger
-- below for a call whose text changes in place), so the index never keeps text that is no longer there.
CREATE TABLE tool_call_search (
  session_id       text NOT NULL,
  message_ordinal  integer NOT NULL,
  call_index       integer NOT NULL,
  search_vector    tsvector NOT NULL,
  PRIMARY KEY (session_id, message_ordinal, call_index),
  FOREIGN KEY (session_id, message_ordinal, call_index)
    REFERENCES tool_calls (session_id, message_ordinal, call_index) ON DELETE CASCADE
);
CREATE INDEX tool_call_search_idx ON tool_call_search USING gin (search_vector);

-- Same visibility as the tool call it indexes (migration 005).
ALTER TABLE tool_call_search ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON tool_call_search
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

-- What a tool call's search row holds: the expression of migration 003, unchanged ('simple' configuration,
-- the first 200 000 characters of name, input and result).
CREATE FUNCTION tool_call_search_vector(name text, input jsonb, input_text text, result_text text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig,
                     left(name || ' ' || coalesce(input::text, input_text, '') || ' ' || coalesce(result_text, ''), 200000))
$$;

-- Indexes the tool calls of the given sessions (NULL: of all sessions) that have no search row yet; returns how
-- many. The write path calls it with an object's sessions after the object's transaction commits; run with NULL
-- (as the owner or the writer) it catches up anything a crash between commit and this call left unindexed.
-- It runs as its caller: only the writer role may (grants below), analysts cannot write search rows.
CREATE FUNCTION index_tool_call_search(session_ids text[]) RETURNS bigint
LANGUAGE sql SET search_path = sessionlake, pg_temp AS $$
  WITH indexed AS (
    INSERT INTO tool_call_search (session_id, message_ordinal, call_index, search_vector)
    SELECT t.session_id, t.message_ordinal, t.call_index,
           tool_call_search_vector(t.name, t.input, t.input_text, t.result_text)
      FROM tool_calls t
     WHERE (session_ids IS NULL OR t.session_id = ANY (session_ids))
       AND NOT EXISTS (SELECT 1 FROM tool_call_search s
                        WHERE s.session_id = t.session_id AND s.message_ordinal = t.message_ordinal
                          AND s.call_index = t.call_index)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*) FROM indexed
$$;

-- A tool call whose searchable text changes in place (a delta adds the result of a pending call) loses its
-- search row, so the next index_tool_call_search writes the new text instead of keeping the old.
CREATE FUNCTION forget_changed_tool_call_search() RETURNS trigger
LANGUAGE plpgsql SET search_path = sessionlake, pg_temp AS $$
BEGIN
  DELETE FROM tool_call_search
   WHERE session_id = OLD.session_id AND message_ordinal = OLD.message_ordinal AND call_index = OLD.call_index;
  RETURN NULL;
END
$$;
CREATE TRIGGER tool_call_search_forget_changed
  AFTER UPDATE OF name, input, input_text, result_text ON tool_calls
  FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.input IS DISTINCT FROM NEW.input
        OR OLD.input_text IS DISTINCT FROM NEW.input_text OR OLD.result_text IS DISTINCT FROM NEW.result_text)
  EXECUTE FUNCTION forget_changed_tool_call_search();

-- The writer role (as `sessionlake roles` grants it, shared/store/roles.ts) writes and deletes search rows; the
-- writer roles of an existing installation get the same here. Nobody else may run the functions that write.
REVOKE EXECUTE ON FUNCTION index_tool_call_search(text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION forget_changed_tool_call_search() FROM PUBLIC;
DO $$
DECLARE
  writer name;
BEGIN
  FOR writer IN SELECT a.role_name FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name WHERE a.access = 'writer' LOOP
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON tool_call_search TO %I', writer);
    EXECUTE format('GRANT EXECUTE ON FUNCTION index_tool_call_search(text[]) TO %I', writer);
  END LOOP;
END
$$;

-- The existing tool calls, converted in place.
SELECT index_tool_call_search(NULL);

-- Everything searchable, one row per message text/thinking or tool call (name, input and result): the columns of
-- migration 003; a tool call appears once it is indexed.
CREATE VIEW search_documents WITH (security_invoker = true) AS
SELECT m.session_id, m.ordinal AS message_ordinal, NULL::integer AS call_index, 'message'::text AS kind,
       m.role AS label, m."timestamp", m.search_vector,
       concat_ws(E'\n', m.text, m.thinking) AS body
  FROM messages m
UNION ALL
SELECT t.session_id, t.message_ordinal, t.call_index, 'tool_call'::text AS kind,
       t.name AS label, m."timestamp", s.search_vector,
       concat_ws(E'\n', coalesce(t.input::text, t.input_text), t.result_text) AS body
  FROM tool_calls t
  JOIN tool_call_search s ON s.session_id = t.session_id AND s.message_ordinal = t.message_ordinal
                         AND s.call_index = t.call_index
  JOIN messages m ON m.session_id = t.session_id AND m.ordinal = t.message_ordinal;
