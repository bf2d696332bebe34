-- Team bindings say whether they are an exact machine name or a LIKE pattern, and the visibility functions of
-- migration 005 answer only about roles the asking session can act as (docs/security.md, "Teams and row-level
-- security"). Also: secret findings in a message's usage object (at the end).
--
-- Before: every team_machines row was a LIKE pattern, so a team bound to `gpu_1` also saw `gpuX1` (`_` is a
-- wildcard, and so are `%` and the escape `\`). Now a row is `exact` (compared with `=`) unless it says `like`.
--
-- Existing rows are migrated without widening anyone's access: every machine a migrated row matches, the old
-- LIKE row matched too.
-- - A row with an unescaped `%` stays a LIKE pattern, unchanged (the same machines as before).
-- - Every other row becomes an exact name: its text with LIKE's escapes taken out (`a\_b` → `a_b`) and each
--   unescaped `_` read as itself. LIKE matched that name before (a `_` matches a `_`), so the row now matches
--   one of the machines it matched before: the one it names.
-- - A row ending in a lone `\` was an invalid LIKE pattern (every query of the team failed); it stays a LIKE
--   pattern, so it still matches nothing.

ALTER TABLE team_machines RENAME COLUMN machine_pattern TO machine;
ALTER TABLE team_machines ADD COLUMN match text NOT NULL DEFAULT 'exact' CHECK (match IN ('exact', 'like'));

-- The old row as LIKE read it: 'like' when it has an unescaped `%` or ends in a lone escape, else 'exact'
-- with the name it spelled (escapes removed).
CREATE FUNCTION pg_temp.migrated_binding(pattern text, OUT match text, OUT machine text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  i integer := 1;
  c text;
  name text := '';
BEGIN
  WHILE i <= length(pattern) LOOP
    c := substr(pattern, i, 1);
    IF c = '\' THEN
      IF i = length(pattern) THEN
        match := 'like'; machine := pattern; RETURN;
      END IF;
      name := name || substr(pattern, i + 1, 1);
      i := i + 2;
    ELSIF c = '%' THEN
      match := 'like'; machine := pattern; RETURN;
    ELSE
      name := name || c;
      i := i + 1;
    END IF;
  END LOOP;
  match := 'exact'; machine := name;
END
$$;

CREATE TEMP TABLE migrated_bindings ON COMMIT DROP AS
SELECT DISTINCT t.team, m.match, m.machine FROM team_machines t, pg_temp.migrated_binding(t.machine) m;
DELETE FROM team_machines;
ALTER TABLE team_machines DROP CONSTRAINT team_machines_pkey;
ALTER TABLE team_machines ADD PRIMARY KEY (team, match, machine);
INSERT INTO team_machines (team, match, machine) SELECT team, match, machine FROM migrated_bindings;
DROP FUNCTION pg_temp.migrated_binding(text);

-- The visibility functions. SECURITY DEFINER so that the policies work without a grant on access_roles; inside
-- them current_user is the owner, so the policies pass their own current_user (the querying role, as row-level
-- security means it) as `who`. Every role may execute them, so they answer only when the session could act as
-- `who` itself: `who` is the session's login role or one it is a member of (what SET ROLE allows). Anything else
-- (another team's role, the admin role asked about by a team member) gets the answer for a role bound to
-- nothing: false / no machines / no teams. Nothing is learned that SET ROLE would not show.
CREATE FUNCTION may_ask_about(who name) RETURNS boolean
LANGUAGE sql STABLE SET search_path = sessionlake, pg_catalog AS $$
  SELECT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = who AND pg_has_role(session_user, r.oid, 'MEMBER'))
$$;
-- Only the functions below call it (it tells no more than pg_has_role does, but is no part of the interface).
REVOKE EXECUTE ON FUNCTION may_ask_about(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sees_all_machines(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT may_ask_about(who) AND EXISTS (
    SELECT 1 FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name
    WHERE a.access IN ('writer', 'admin') AND pg_has_role(who, r.oid, 'MEMBER'))
$$;

-- The team's exact machine names.
CREATE FUNCTION visible_machines(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT t.machine), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name JOIN team_machines t ON t.team = a.team
  WHERE may_ask_about(who) AND t.match = 'exact' AND a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

-- The team's LIKE patterns (only bindings made as patterns).
CREATE OR REPLACE FUNCTION visible_machine_patterns(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT t.machine), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name JOIN team_machines t ON t.team = a.team
  WHERE may_ask_about(who) AND t.match = 'like' AND a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

CREATE OR REPLACE FUNCTION visible_teams(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT a.team), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name
  WHERE may_ask_about(who) AND a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

ALTER POLICY by_machine ON sessions USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))));
ALTER POLICY by_machine ON objects USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))));

-- A secret found in a message's usage object (stored as the log wrote it) is a finding of its own field.
ALTER TABLE secret_findings DROP CONSTRAINT secret_findings_field_check;
ALTER TABLE secret_findings ADD CONSTRAINT secret_findings_field_check
  CHECK (field IN ('text', 'thinking', 'tool_input', 'tool_result', 'sidecar', 'title', 'usage'));
