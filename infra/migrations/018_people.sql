-- People and the machines they own, and the person and team of every session (README "Set up your org").
--
-- A session's person is decided in this order, and the route is recorded (person_source):
--   binding  a machine_owners row names the person of the session's machine (an exact name, or a LIKE pattern);
--   key      the machine segment of the S3 key has the form user@host (README recommends $(whoami)@$(hostname));
--   logs     the session's cwd is inside a home directory (/Users/u, /home/u, /root, C:\Users\u) of that machine.
-- Nothing is guessed beyond that: a session none of the three names has no person (NULL). Everything is
-- computed when read, so binding or re-binding a machine changes every view at once, without a re-ingest.

-- The user of a `user@host` machine segment (a name `whoami` can print: no separators, no spaces), else NULL.
CREATE FUNCTION person_from_machine(machine text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN m[1] IN ('.', '..') THEN NULL ELSE m[1] END
  FROM (SELECT regexp_match(machine, '^([A-Za-z0-9._][A-Za-z0-9._-]*[$]?)@[^@]+$') AS m) parsed
$$;

-- The OS user whose home directory `cwd` is in, else NULL. /Users/Shared, C:\Users\Public and the like are
-- nobody's home.
CREATE FUNCTION person_from_cwd(cwd text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN cwd ~ '^/root(/|$)' THEN 'root'
    WHEN u IS NULL OR u IN ('.', '..') OR lower(u) IN ('shared', 'public', 'default', 'default user', 'all users', 'guest')
      OR u !~ '^[A-Za-z0-9._][A-Za-z0-9._-]*[$]?$' THEN NULL
    ELSE u
  END
  FROM (SELECT coalesce(
    (regexp_match(cwd, '^/(?:Users|home)/([^/]+)(?:/|$)'))[1],
    (regexp_match(cwd, '^[A-Za-z]:[\\/][Uu][Ss][Ee][Rr][Ss][\\/]([^\\/]+)(?:[\\/]|$)'))[1]) AS u) parsed
$$;

-- The people sessionlake knows by name: their team (what they spend counts to) and the e-mail a proxy in front
-- of the dashboard identifies them by.
CREATE TABLE people (
  person     text PRIMARY KEY CHECK (person <> ''),
  team       text CHECK (team <> ''),
  email      text UNIQUE CHECK (email <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Whose a machine is: a person's (a laptop), a team's (a shared GPU box whose sessions name their people by key
-- or cwd), or both. One row per exact name and per pattern; a machine several patterns match follows the
-- longest pattern (the most specific), and an exact name beats every pattern. Ownership says who pays; who may
-- see a machine's rows is team_machines (docs/security.md).
CREATE TABLE machine_owners (
  match   text NOT NULL DEFAULT 'exact' CHECK (match IN ('exact', 'like')),
  machine text NOT NULL CHECK (machine <> ''),
  person  text REFERENCES people (person) ON DELETE CASCADE,
  team    text CHECK (team <> ''),
  PRIMARY KEY (match, machine),
  CHECK (person IS NOT NULL OR team IS NOT NULL)
);
CREATE INDEX machine_owners_person_idx ON machine_owners (person);

-- The binding that decides a machine: exact first, then the longest pattern.
CREATE FUNCTION machine_binding(p_machine text, OUT person text, OUT team text)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = sessionlake, pg_catalog AS $$
  SELECT o.person, o.team FROM machine_owners o
  WHERE (o.match = 'exact' AND o.machine = p_machine) OR (o.match = 'like' AND p_machine LIKE o.machine)
  ORDER BY o.match = 'exact' DESC, length(o.machine) DESC, o.machine
  LIMIT 1
$$;

-- Person, route, team and the team's route, from what a session's rows carry: its machine and the OS user of its
-- cwd. Usage rollups keep those two and so decide people the same way.
CREATE FUNCTION decide_person(p_machine text, p_os_user text,
  OUT person text, OUT person_source text, OUT team text, OUT team_source text)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = sessionlake, pg_catalog AS $$
  SELECT d.person, d.person_source, coalesce(p.team, d.machine_team),
    CASE WHEN p.team IS NOT NULL THEN 'person' WHEN d.machine_team IS NOT NULL THEN 'machine' END
  FROM (
    SELECT coalesce(b.person, person_from_machine(p_machine), p_os_user) AS person,
      CASE WHEN b.person IS NOT NULL THEN 'binding'
           WHEN person_from_machine(p_machine) IS NOT NULL THEN 'key'
           WHEN p_os_user IS NOT NULL THEN 'logs' END AS person_source,
      b.team AS machine_team
    FROM (SELECT 1) one LEFT JOIN machine_binding(p_machine) b ON true
  ) d
  LEFT JOIN people p ON p.person = d.person
$$;

-- The OS user of a session's cwd, kept on the row so that rollups and policies can group by it.
ALTER TABLE sessions ADD COLUMN os_user text GENERATED ALWAYS AS (person_from_cwd(cwd)) STORED;

-- A team can be bound to people as well as machines: it then sees those people's sessions from any machine.
CREATE TABLE team_people (
  team   text NOT NULL,
  person text NOT NULL,
  PRIMARY KEY (team, person)
);

CREATE FUNCTION visible_people(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce(array_agg(DISTINCT t.person), '{}')
  FROM access_roles a JOIN pg_roles r ON r.rolname = a.role_name JOIN team_people t ON t.team = a.team
  WHERE may_ask_about(who) AND a.access = 'team' AND pg_has_role(who, r.oid, 'MEMBER')
$$;

-- Whether a session of this machine and OS user is one of the people `who` is bound to. It decides with every
-- binding (as the owner), but answers only about the caller's own people (as migration 009's functions do).
CREATE FUNCTION sees_person_of(who name, p_machine text, p_os_user text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT coalesce((SELECT person FROM decide_person(p_machine, p_os_user)) = ANY (visible_people(who)), false)
$$;

-- Whether `who` reads past row-level security: a superuser, a BYPASSRLS role, or the tables' owner (who runs
-- the migrations). Asked only about the caller's own roles.
CREATE FUNCTION bypasses_row_security(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT may_ask_about(who) AND EXISTS (
    SELECT 1 FROM pg_roles r
    WHERE r.rolname = who
      AND (r.rolsuper OR r.rolbypassrls
           OR pg_has_role(who, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'sessionlake.sessions'::regclass), 'MEMBER')))
$$;

-- A session's person and team for `who`: decided with every binding, told only for a session `who` may see
-- (else no row), so that every viewer sees the same decision and nobody learns another team's bindings.
CREATE FUNCTION session_person(who name, p_machine text, p_os_user text,
  OUT person text, OUT person_source text, OUT team text, OUT team_source text)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sessionlake, pg_catalog AS $$
  SELECT d.person, d.person_source, d.team, d.team_source FROM decide_person(p_machine, p_os_user) d
  WHERE bypasses_row_security(who)
     OR sees_all_machines(who)
     OR p_machine = ANY (visible_machines(who))
     OR p_machine LIKE ANY (visible_machine_patterns(who))
     OR sees_person_of(who, p_machine, p_os_user)
$$;

-- Internal: called by the functions above only (they would tell anyone any machine's owner).
REVOKE EXECUTE ON FUNCTION machine_binding(text), decide_person(text, text) FROM PUBLIC;

CREATE VIEW session_people WITH (security_invoker = true) AS
SELECT s.id AS session_id, s.machine, s.os_user, d.person, d.person_source, d.team, d.team_source
FROM sessions s LEFT JOIN LATERAL session_person(current_user, s.machine, s.os_user) d ON true;

-- Row-level security: a team bound to people sees their sessions (and those sessions' objects, messages and
-- the rest, whose policies follow sessions) from any machine.
ALTER POLICY by_machine ON sessions USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user))))
  OR ((SELECT cardinality(visible_people(current_user)) > 0) AND sees_person_of(current_user, machine, os_user)));
ALTER POLICY by_machine ON objects USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user))))
  OR ((SELECT cardinality(visible_people(current_user)) > 0) AND uri IN (SELECT s.object_uri FROM sessions s)));

-- The bindings: operators see all; a team member its own team's people, their machines and its team's machines.
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON people
  USING ((SELECT sees_all_machines(current_user))
         OR team = ANY (ARRAY(SELECT unnest(visible_teams(current_user))))
         OR person = ANY (ARRAY(SELECT unnest(visible_people(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
ALTER TABLE machine_owners ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON machine_owners
  USING ((SELECT sees_all_machines(current_user))
         OR team = ANY (ARRAY(SELECT unnest(visible_teams(current_user))))
         OR person IN (SELECT p.person FROM people p))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
ALTER TABLE team_people ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON team_people
  USING ((SELECT sees_all_machines(current_user)) OR team = ANY (ARRAY(SELECT unnest(visible_teams(current_user)))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
