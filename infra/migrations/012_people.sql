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

CREATE VIEW session_people WITH (security_invoker = true) AS
SELECT s.id AS session_id, s.machine, s.os_user, d.person, d.person_source, d.team, d.team_source
FROM sessions s CROSS JOIN LATERAL decide_person(s.machine, s.os_user) d;

-- The bindings are the org's directory: every analyst reads them (no row-level security), so every viewer decides
-- a session's person and team the same way (docs/security.md).
