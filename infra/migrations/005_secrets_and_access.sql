-- Secrets redacted at ingest (where each was found, never its value), team visibility and row-level security.
-- Roles themselves are cluster-wide and named by whoever installs: `sessionlake roles` creates them and records
-- them in access_roles; the policies below read that table, so they need no role name.

-- One row per secret found and redacted: where it was and a short hash of it (the same secret has the same hash
-- wherever it leaked). The value itself is never stored.
CREATE TABLE secret_findings (
  id              bigserial PRIMARY KEY,
  session_id      text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  message_ordinal integer,                          -- NULL for the session title
  call_index      integer,                          -- set for tool-call fields
  field           text NOT NULL CHECK (field IN ('text', 'thinking', 'tool_input', 'tool_result', 'sidecar', 'title')),
  rule            text NOT NULL,
  hash            text NOT NULL
);
CREATE INDEX secret_findings_session_idx ON secret_findings (session_id);
CREATE INDEX secret_findings_hash_idx ON secret_findings (hash);

-- Per-session count of secret_findings rows, kept by the write path (session_overview shows it).
ALTER TABLE sessions ADD COLUMN secrets_found integer NOT NULL DEFAULT 0;

-- Which machines a team sees: `machine LIKE machine_pattern` (an exact name, or a pattern such as 'gpu-%').
CREATE TABLE team_machines (
  team            text NOT NULL,
  machine_pattern text NOT NULL,
  PRIMARY KEY (team, machine_pattern)
);

-- The database roles sessionlake knows and what each may see: writer and admin see every row, a team role the
-- rows of its team's machines. A role not listed (and not a member of one listed) sees no row.
CREATE TABLE access_roles (
  role_name name PRIMARY KEY,
  access    text NOT NULL CHECK (access IN ('writer', 'admin', 'team')),
  team      text,
  CHECK ((access = 'team') = (team IS NOT NULL))
);

-- SECURITY DEFINER so that an analyst needs no grant on access_roles for the policies to work; the caller's
-- role is passed in (inside such a function current_user is the owner). Roles dropped since are ignored. Every
-- role may execute them (the policies run them as the querying role); they tell only which machine patterns a
-- role is bound to.
CREATE FUNCTION sees_all_machines(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT EXISTS (
    SELECT 1 FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name
    WHERE a.access IN ('writer', 'admin') AND pg_has_role(who, r.oid, 'MEMBER'))
$$;

CREATE FUNCTION visible_machine_patterns(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT t.machine_pattern), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name JOIN team_machines t ON t.team = a.team
  WHERE a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

CREATE FUNCTION visible_teams(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT a.team), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name
  WHERE a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

-- Row-level security. The owner (who runs migrations) is not subject to it. Each `(SELECT …)`, `ARRAY(SELECT …)` around a function
-- is evaluated once per statement, not once per row. Writes need the same visibility: a writer sees all.
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_machine ON sessions
  USING ((SELECT sees_all_machines(current_user)) OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

ALTER TABLE objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_machine ON objects
  USING ((SELECT sees_all_machines(current_user)) OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

-- A session's rows are visible when its session is (the subquery is itself filtered by the sessions policy).
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON messages
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

ALTER TABLE tool_calls ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON tool_calls
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

ALTER TABLE secret_findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_session ON secret_findings
  USING ((SELECT sees_all_machines(current_user)) OR session_id IN (SELECT s.id FROM sessions s))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

ALTER TABLE team_machines ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON team_machines
  USING ((SELECT sees_all_machines(current_user)) OR team = ANY (ARRAY(SELECT unnest(visible_teams(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

ALTER TABLE access_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON access_roles
  USING ((SELECT sees_all_machines(current_user)) OR team = ANY (ARRAY(SELECT unnest(visible_teams(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));

-- Operational tables name keys and prefixes of every machine: writers and admins only.
ALTER TABLE message_failures ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON message_failures USING ((SELECT sees_all_machines(current_user)));
ALTER TABLE backfill_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON backfill_runs USING ((SELECT sees_all_machines(current_user)));
ALTER TABLE backfill_leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON backfill_leases USING ((SELECT sees_all_machines(current_user)));
ALTER TABLE session_link_locks ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON session_link_locks USING ((SELECT sees_all_machines(current_user)));

-- session_overview (migration 003) gains the session's count of redacted secrets, as its last column.
CREATE OR REPLACE VIEW session_overview WITH (security_invoker = true) AS
WITH RECURSIVE tree (root_id, session_id, depth) AS (
  SELECT id, id, 0 FROM sessions
  UNION ALL
  SELECT t.root_id, c.id, t.depth + 1
    FROM tree t JOIN sessions c ON c.parent_session_id = t.session_id
   WHERE t.depth < 16
),
own AS (
  SELECT session_id, count(*) AS responses,
         sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
         sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
         sum(cache_read_input_tokens) AS cache_read_input_tokens,
         sum(reasoning_output_tokens) AS reasoning_output_tokens,
         coalesce(sum(cost_usd), 0) AS priced_cost_usd,
         count(*) - count(cost_usd) AS unpriced_responses
    FROM usage GROUP BY session_id
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
  JOIN session_projects sp ON sp.session_id = s.id
  JOIN rolled r ON r.root_id = s.id
  LEFT JOIN own o ON o.session_id = s.id;
