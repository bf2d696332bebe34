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

-- The OS user of a session's cwd, kept on the row so that rollups and policies can group by it.
ALTER TABLE sessions ADD COLUMN os_user text GENERATED ALWAYS AS (person_from_cwd(cwd)) STORED;

-- Every (machine, OS user) pair sessions have: what a person is decided for. Small (machines × their users),
-- so deciding every pair on each query costs little whatever the history's size.
CREATE TABLE machine_users (
  machine text NOT NULL,
  os_user text,
  CONSTRAINT machine_users_pair UNIQUE NULLS NOT DISTINCT (machine, os_user)
);
INSERT INTO machine_users (machine, os_user) SELECT DISTINCT machine, os_user FROM sessions;

-- Noted at commit (a deferred trigger), not when the session row is written: two workers writing the first
-- sessions of one pair would otherwise wait on each other's uncommitted row for the rest of their transactions.
CREATE FUNCTION note_machine_users() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sessionlake, pg_temp AS $$
BEGIN
  INSERT INTO machine_users (machine, os_user) VALUES (NEW.machine, NEW.os_user)
  ON CONFLICT ON CONSTRAINT machine_users_pair DO NOTHING;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER machine_users_noted AFTER INSERT OR UPDATE OF machine, cwd ON sessions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_machine_users();
-- Triggers run it whoever writes; nobody calls it.
REVOKE EXECUTE ON FUNCTION note_machine_users() FROM PUBLIC;

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

-- Person, route, team and the team's route of every (machine, OS user) pair, decided with every binding: the
-- view runs with its owner's rights (no security_invoker), so every viewer gets the same decision, and it shows a
-- viewer only the pairs it may see (its machines, its people), so nobody learns another team's owners. A security
-- barrier: a caller's own conditions (a cast that fails and prints the value) run only on the rows it may see.
CREATE VIEW machine_user_people WITH (security_barrier = true) AS
WITH bound AS (
  SELECT DISTINCT ON (mu.machine, mu.os_user) mu.machine, mu.os_user, o.person AS owner, o.team AS owner_team
    FROM machine_users mu
    LEFT JOIN machine_owners o
      ON (o.match = 'exact' AND o.machine = mu.machine) OR (o.match = 'like' AND mu.machine LIKE o.machine)
   ORDER BY mu.machine, mu.os_user, o.match = 'exact' DESC NULLS LAST, length(o.machine) DESC NULLS LAST, o.machine
),
decided AS (
  SELECT b.machine, b.os_user, b.owner_team,
         coalesce(b.owner, person_from_machine(b.machine), b.os_user) AS person,
         CASE WHEN b.owner IS NOT NULL THEN 'binding'
              WHEN person_from_machine(b.machine) IS NOT NULL THEN 'key'
              WHEN b.os_user IS NOT NULL THEN 'logs' END AS person_source
    FROM bound b
)
SELECT d.machine, d.os_user, d.person, d.person_source,
       coalesce(p.team, d.owner_team) AS team,
       CASE WHEN p.team IS NOT NULL THEN 'person' WHEN d.owner_team IS NOT NULL THEN 'machine' END AS team_source
  FROM decided d LEFT JOIN people p ON p.person = d.person
 WHERE (SELECT bypasses_row_security(current_user))
    OR (SELECT sees_all_machines(current_user))
    OR d.machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
    OR d.machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user))))
    OR d.person = ANY (ARRAY(SELECT unnest(visible_people(current_user))));

-- The policies below read it as the querying role, so every role must be able to (it shows each only its own
-- pairs): a writer or analyst role made before this migration has no grant on objects created after it.
GRANT SELECT ON machine_user_people TO PUBLIC;

CREATE VIEW session_people WITH (security_invoker = true) AS
SELECT s.id AS session_id, s.machine, s.os_user, p.person, p.person_source, p.team, p.team_source
  FROM sessions s
  LEFT JOIN machine_user_people p ON p.machine = s.machine AND p.os_user IS NOT DISTINCT FROM s.os_user;

-- Row-level security: a team bound to people sees their sessions (and those sessions' objects, messages and
-- the rest, whose policies follow sessions) from any machine.
ALTER POLICY by_machine ON sessions USING (
  (SELECT sees_all_machines(current_user))
  OR machine = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
  OR machine LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user))))
  OR ((SELECT cardinality(visible_people(current_user)) > 0)
      AND (machine, coalesce(os_user, '')) IN (SELECT p.machine, coalesce(p.os_user, '') FROM machine_user_people p
                                                WHERE p.person = ANY (visible_people(current_user)))));
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
ALTER TABLE machine_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_pairs ON machine_users
  USING ((SELECT sees_all_machines(current_user))
         OR (machine, coalesce(os_user, '')) IN (SELECT p.machine, coalesce(p.os_user, '') FROM machine_user_people p))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
