-- The write path's search step for the tool calls an ingest wrote, not every tool call of its sessions
-- (docs/performance.md, "Issue 18 §4").
--
-- After each object's commit the write path indexes its sessions' tool calls that have no search row (migration
-- 011). index_tool_call_search(session ids) looks at every tool call of those sessions, so a delta that added a few
-- rows to a long session paid for all of its calls. This overload takes, per session, the ordinal from which its
-- tool calls can lack a search row after the ingest: a delta's resume point, or the earliest call whose pending
-- result it filled in (that update deleted the call's search row, migration 011); NULL: all of them (a full
-- ingest). Tool calls an earlier follow-up left unindexed (a worker that died between its commit and the step) are
-- caught up by index_tool_call_search(NULL), which the backfill runs when a run finishes (shared/store/backfill-store.ts).
CREATE FUNCTION index_tool_call_search(session_ids text[], from_ordinals integer[]) RETURNS bigint
LANGUAGE sql SET search_path = sessionlake, pg_temp AS $$
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
  SELECT count(*) FROM indexed
$$;

REVOKE EXECUTE ON FUNCTION index_tool_call_search(text[], integer[]) FROM PUBLIC;

-- The writer roles of an existing installation (as `sessionlake roles` grants them, shared/store/roles.ts).
DO $$
DECLARE
  writer name;
BEGIN
  FOR writer IN SELECT a.role_name FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name WHERE a.access = 'writer' LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION index_tool_call_search(text[], integer[]) TO %I', writer);
  END LOOP;
END
$$;
