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
