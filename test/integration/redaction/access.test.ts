import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { handleObject } from '../../../shared/ingest/handle-object.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';
import { plantSecrets } from '../../support/planted-secrets.js';

/**
 * The roles of `sessionlake roles` and docs/security.md on a real Postgres: the writer ingests through row-level
 * security, analysts cannot write or read outside the schema, and two team roles (one made by the command, one
 * by the documented SQL) each see exactly their machines' rows in every table.
 */

// lab is bound to two exact names that are LIKE patterns of other machines too: `gpu_1` (`_` matches any
// character: gpuX1) and `box\1` (a backslash escapes in LIKE: box1). Those other machines belong to no team.
// crew is bound to a person, fay, not to machines: it sees fay's sessions from the machine her key names
// (`fay@laptop`) and from the one `sessionlake people` binds to her (studio-9), and nothing else.
const MACHINES = {
  ml: ['gpu-01', 'gpu-02'], data: ['etl-7', 'laptop-dana'], lab: ['gpu_1', 'box\\1'], crew: ['fay@laptop', 'studio-9'], none: ['laptop-eve', 'gpuX1', 'box1'],
};
type Team = 'ml' | 'data' | 'lab' | 'crew';
const TEAMS: Team[] = ['ml', 'data', 'lab', 'crew'];
const ALL_MACHINES = Object.values(MACHINES).flat();
const LOGIN_PASSWORD = randomBytes(12).toString('hex');
const SECURITY_DOC = new URL('../../../docs/security.md', import.meta.url);

let stack: IngestStack;
let roles: { writer: string; analyst: string; admin: string } & Record<Team, string>;
let writerPool: pg.Pool;
/** A login role per team, a member of the team role (how people connect: docs/security.md, "Add a team"). */
let logins: Record<Team, string>;

function sessionBody(machine: string, index: number): string {
  const secret = plantSecrets(100 + index).find((planted) => planted.rule === 'generic-api-key');
  const sessionId = sessionIdOf(index);
  const lines = [
    { type: 'user', sessionId, uuid: `u${index}`, timestamp: '2026-03-02T09:00:00Z', cwd: `/home/${machine}/app`, message: { role: 'user', content: `set ${secret?.context} on ${machine}` } },
    {
      type: 'assistant', sessionId, uuid: `a${index}`, timestamp: '2026-03-02T09:00:03Z',
      message: { id: `msg_${index}`, model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 3, output_tokens: 2 }, content: [{ type: 'tool_use', id: `toolu_${index}`, name: 'Bash', input: { command: 'ls' } }] },
    },
    { type: 'user', sessionId, uuid: `r${index}`, timestamp: '2026-03-02T09:00:04Z', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${index}`, content: 'README.md' }] } },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

const sessionIdOf = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;

/** Runs `sql` as `role` (SET LOCAL ROLE inside a transaction that is rolled back). */
async function asRole<T extends pg.QueryResultRow>(role: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await stack.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}

/** One connection per team login, kept for the file (hundreds of probes each). */
const loginClients = new Map<Team, pg.Client>();

async function loginClient(team: Team): Promise<pg.Client> {
  const url = new URL(stack.database.url);
  url.username = logins[team];
  url.password = LOGIN_PASSWORD;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/** Runs `sql` connected as `team`'s login role itself (no SET ROLE: session_user is the team member). */
async function asLogin<T extends pg.QueryResultRow>(
  team: Team,
  sql: string,
  params: unknown[] = [],
  setRole?: string,
): Promise<T[]> {
  if (setRole === undefined) {
    let client = loginClients.get(team);
    if (client === undefined) {
      client = await loginClient(team);
      loginClients.set(team, client);
    }
    return (await client.query<T>(sql, params)).rows;
  }
  const client = await loginClient(team);
  try {
    await client.query(`SET ROLE ${client.escapeIdentifier(setRole)}`);
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const out = process.stdout.write;
  process.stdout.write = () => true;
  try {
    return await work();
  } finally {
    process.stdout.write = out;
  }
}

async function sqlBlockAfter(heading: string): Promise<string> {
  const doc = await readFile(SECURITY_DOC, 'utf8');
  const section = doc.slice(doc.indexOf(heading));
  const block = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`no sql block after "${heading}" in docs/security.md`);
  return block;
}

const renamed = (sql: string) =>
  sql.replaceAll('sessionlake_team_data', roles.data).replaceAll('sessionlake_analyst', roles.analyst).replaceAll('sessionlake_admin', roles.admin);

beforeAll(async () => {
  stack = await startIngestStack();
  const suffix = stack.database.name.split('_').slice(-2).join('_');
  roles = {
    writer: `slw_${suffix}`, analyst: `sla_${suffix}`, admin: `sld_${suffix}`, ml: `slt_ml_${suffix}`, data: `slt_data_${suffix}`, lab: `slt_lab_${suffix}`,
    crew: `slt_crew_${suffix}`,
  };

  const roleNames = ['--writer', roles.writer, '--analyst', roles.analyst, '--admin', roles.admin];
  expect(await quietly(() => main(['roles', '--database-url', stack.database.url, ...roleNames, '--team', 'ml', '--team-role', roles.ml, '--machine-pattern', 'gpu-%']))).toBe(0);
  expect(await quietly(() => main(['roles', '--database-url', stack.database.url, ...roleNames, '--team', 'lab', '--team-role', roles.lab, '--machines', MACHINES.lab.join(',')]))).toBe(0);
  expect(await quietly(() => main(['roles', '--database-url', stack.database.url, ...roleNames, '--team', 'crew', '--team-role', roles.crew, '--people', 'fay']))).toBe(0);
  expect(await quietly(() => main(['people', 'add', 'fay', '--database-url', stack.database.url, '--machines', 'studio-9']))).toBe(0);
  await stack.pool.query(renamed(await sqlBlockAfter('### Add a team')));
  logins = { ml: `sll_ml_${suffix}`, data: `sll_data_${suffix}`, lab: `sll_lab_${suffix}`, crew: `sll_crew_${suffix}` };
  for (const team of TEAMS) {
    await stack.pool.query(`CREATE ROLE ${logins[team]} LOGIN PASSWORD '${LOGIN_PASSWORD}' IN ROLE ${roles[team]}`);
  }

  // Budgets naming teams, people and machines (migration 020): each team sees only those about what it sees.
  await stack.pool.query(`INSERT INTO sessionlake.budgets (name, scope, scope_value, period, limit_usd) VALUES
    ('limit-a', 'team', 'ml', 'month', 100), ('limit-b', 'person', 'fay', 'month', 10),
    ('limit-c', 'machine', 'laptop-eve', 'day', 5), ('limit-d', 'machine', 'gpu_1', 'day', 5)`);

  // The write path, connected as the writer role.
  writerPool = new pg.Pool({ connectionString: stack.database.url, max: 2, options: `-c role=${roles.writer}` });
  const deps = { ...stack.deps, store: new ObjectStore(writerPool, { lockTimeoutMs: 5_000 }) };
  for (const [index, machine] of ALL_MACHINES.entries()) {
    const key = `${machine}/raw/claude/-home-app/${sessionIdOf(index)}.jsonl`;
    await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: sessionBody(machine, index) }));
    await handleObject({ bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag: null, size: null, sequencer: null }, deps);
  }
});

afterAll(async () => {
  await Promise.all([...loginClients.values()].map((client) => client.end()));
  await writerPool?.end();
  if (stack !== undefined && roles !== undefined) {
    await dropRoles(stack.pool, [...Object.values(logins ?? {}), ...TEAMS.map((team) => roles[team]), roles.admin, roles.analyst, roles.writer]);
  }
  await stack?.stop();
});

// Each table read alone (a join would let the sessions policy do the filtering for it); `owner` is the session
// (or, for objects, the machine) a row belongs to, mapped to its machine with the owner's view of sessions.
const PER_MACHINE_TABLES: Record<string, string> = {
  sessions: 'SELECT id AS row, id AS owner FROM sessionlake.sessions',
  objects: 'SELECT uri AS row, machine AS owner FROM sessionlake.objects',
  messages: `SELECT session_id || '/' || ordinal AS row, session_id AS owner FROM sessionlake.messages`,
  tool_calls: `SELECT session_id || '/' || call_id AS row, session_id AS owner FROM sessionlake.tool_calls`,
  secret_findings: `SELECT id::text AS row, session_id AS owner FROM sessionlake.secret_findings`,
  // Migration 011: a tool call's search row, visible with its session.
  tool_call_search: `SELECT session_id || '/' || message_ordinal || '/' || call_index AS row, session_id AS owner FROM sessionlake.tool_call_search`,
  // The analysts' views (migration 003) are security_invoker: the tables' policies apply through them.
  usage: `SELECT session_id || '/' || message_ordinal AS row, session_id AS owner FROM sessionlake.usage`,
  session_overview: `SELECT session_id || '/' || secrets_found AS row, session_id AS owner FROM sessionlake.session_overview`,
  // The rollup (migrations 012 and 019): by machine, and by person for a team bound to people.
  daily_usage: `SELECT day || '/' || machine || '/' || model || '/' || coalesce(person, '-') AS row, machine AS owner FROM sessionlake.daily_usage`,
};

async function machineOf(): Promise<(owner: string) => string> {
  const sessions = await stack.pool.query<{ id: string; machine: string }>('SELECT id, machine FROM sessionlake.sessions');
  const byId = new Map(sessions.rows.map((row) => [row.id, row.machine]));
  return (owner) => byId.get(owner) ?? owner;
}

const OPERATIONAL_TABLES = ['message_failures', 'backfill_runs', 'backfill_leases', 'session_link_locks', 'object_checkpoints', 'ingested_ranges'];

describe('roles and row-level security', () => {
  it('the writer role ingested every session, findings included, under row-level security', async () => {
    const objects = await stack.pool.query(`SELECT machine, state FROM sessionlake.objects ORDER BY machine`);
    expect(objects.rows).toEqual([...ALL_MACHINES].sort().map((machine) => ({ machine, state: 'ingested' })));
    const findings = await stack.pool.query(`SELECT s.machine, count(*)::int AS n FROM sessionlake.secret_findings f JOIN sessionlake.sessions s ON s.id = f.session_id GROUP BY 1 ORDER BY 1`);
    expect(findings.rows).toEqual([...ALL_MACHINES].sort().map((machine) => ({ machine, n: 1 })));
  });

  it('the writer cannot change the schema or empty a table', async () => {
    for (const statement of ['CREATE TABLE sessionlake.extra (x int)', 'TRUNCATE sessionlake.messages', 'DROP TABLE sessionlake.tool_calls', 'ALTER TABLE sessionlake.sessions DISABLE ROW LEVEL SECURITY']) {
      await expect(asRole(roles.writer, statement), statement).rejects.toMatchObject({ code: expect.stringMatching(/^42501$/) });
    }
  });

  it.each(['analyst', 'admin', 'ml', 'lab', 'crew'] as const)('the %s role cannot INSERT, UPDATE or DELETE', async (which) => {
    const role = roles[which];
    for (const statement of [
      `INSERT INTO sessionlake.team_machines (team, match, machine) VALUES ('ml', 'like', '%')`,
      `UPDATE sessionlake.sessions SET title = 'x'`,
      `DELETE FROM sessionlake.messages`,
      `INSERT INTO sessionlake.access_roles (role_name, access) VALUES ('${role}', 'admin')`,
    ]) {
      await expect(asRole(role, statement), statement).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('analysts cannot read or create anything outside the schema, nor create in it', async () => {
    const outside = `outside_${stack.database.name.split('_').at(-1)}`;
    await stack.pool.query(`CREATE TABLE public.${outside} (secret text); INSERT INTO public.${outside} VALUES ('x')`);
    for (const role of [roles.analyst, roles.ml, roles.admin]) {
      await expect(asRole(role, `SELECT * FROM public.${outside}`)).rejects.toMatchObject({ code: '42501' });
      await expect(asRole(role, 'CREATE TABLE public.mine (x int)')).rejects.toMatchObject({ code: '42501' });
      await expect(asRole(role, 'CREATE TABLE sessionlake.mine (x int)')).rejects.toMatchObject({ code: '42501' });
    }
  });

  it.each([
    ['ml (made by sessionlake roles)', 'ml', MACHINES.ml],
    ['data (made by the SQL in docs/security.md)', 'data', MACHINES.data],
    ['lab (exact names holding LIKE wildcards and escapes)', 'lab', MACHINES.lab],
    ['crew (bound to a person: her key\'s machine and her bound machine)', 'crew', MACHINES.crew],
  ] as const)('team %s sees exactly its machines\' rows in every table', async (_, team, machines) => {
    const machine = await machineOf();
    for (const [table, sql] of Object.entries(PER_MACHINE_TABLES)) {
      const all = await stack.pool.query<{ row: string; owner: string }>(sql);
      const expected = all.rows.filter((row) => (machines as readonly string[]).includes(machine(row.owner))).map((row) => row.row).sort();
      const seen = (await asRole<{ row: string }>(roles[team], sql)).map((row) => row.row).sort();
      expect(expected.length, table).toBeGreaterThan(0);
      expect(seen, table).toEqual(expected);
    }
    for (const table of OPERATIONAL_TABLES) {
      expect(await asRole(roles[team], `SELECT * FROM sessionlake.${table}`), table).toEqual([]);
    }
    // Its own bindings only: crew is bound by person (team_people), the others by machine (team_machines).
    const [bound, unbound] = team === 'crew' ? ['team_people', 'team_machines'] : ['team_machines', 'team_people'];
    expect(await asRole(roles[team], `SELECT DISTINCT team FROM sessionlake.${bound}`)).toEqual([{ team }]);
    expect(await asRole(roles[team], `SELECT DISTINCT team FROM sessionlake.${unbound}`)).toEqual([]);
    expect(await asRole(roles[team], 'SELECT team FROM sessionlake.access_roles')).toEqual([{ team }]);
  });

  it('the admin role sees every row; the analyst role bound to no team sees none', async () => {
    for (const [table, sql] of Object.entries(PER_MACHINE_TABLES)) {
      const all = (await stack.pool.query<{ row: string }>(sql)).rows.map((row) => row.row).sort();
      expect((await asRole<{ row: string }>(roles.admin, sql)).map((row) => row.row).sort(), table).toEqual(all);
      expect(await asRole(roles.analyst, sql), table).toEqual([]);
    }
  });

  it('the documented check and analyst queries run, and show a team only its machines', async () => {
    const check = renamed(await sqlBlockAfter('### Check what a role sees'));
    const client = await stack.pool.connect();
    try {
      const results = (await client.query(check)) as unknown as pg.QueryResult[];
      const rows = results.find((result) => result.command === 'SELECT')?.rows;
      expect(rows).toEqual(MACHINES.data.map((machine) => ({ machine, sessions: '1', secrets_redacted: '1' })));
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
    const queries = await sqlBlockAfter('### Queries for analysts');
    const client2 = await stack.pool.connect();
    try {
      await client2.query('BEGIN');
      await client2.query(`SET LOCAL ROLE ${client2.escapeIdentifier(roles.admin)}`);
      const [leaks] = (await client2.query(queries)) as unknown as pg.QueryResult[];
      expect(leaks?.rows.map((row) => row.machine).sort()).toEqual([...ALL_MACHINES].sort());
    } finally {
      await client2.query('ROLLBACK');
      client2.release();
    }
  });
});

/**
 * Every route into the schema a team role has, enumerated from pg_catalog (not listed by hand, so a relation or
 * function added later is covered too), checked for what it shows of another team.
 */
describe('every relation and function a team role can use', () => {
  /** Text that only another team's data, or the roles of others, would hold: machines, session ids, teams, roles. */
  function foreignMarkers(team: Team): string[] {
    const own = new Set<string>(MACHINES[team]);
    const machines = ALL_MACHINES.filter((machine) => !own.has(machine));
    const sessions = ALL_MACHINES.flatMap((machine, index) => (own.has(machine) ? [] : [sessionIdOf(index)]));
    const otherRoles = (['writer', 'analyst', 'admin', ...TEAMS] as const).filter((which) => which !== team).map((which) => roles[which]);
    const otherLogins = TEAMS.filter((which) => which !== team).map((which) => logins[which]);
    const budgets: Record<Team, string[]> = { ml: ['limit-a'], data: [], lab: ['limit-d'], crew: ['limit-b'] };
    const otherBudgets = ['limit-a', 'limit-d', 'limit-b', 'limit-c'].filter((name) => !budgets[team].includes(name));
    return [...machines, ...sessions, ...otherRoles, ...otherLogins, ...otherBudgets];
  }

  function leaked(rows: unknown, markers: string[]): string[] {
    const text = JSON.stringify(rows);
    return markers.filter((marker) => text.includes(JSON.stringify(marker).slice(1, -1)));
  }

  it.each(TEAMS)('team %s: every relation of the schema it can SELECT holds none of another team\'s machines, sessions or roles', async (team) => {
    const relations = await stack.pool.query<{ relation: string }>(
      `SELECT c.relname AS relation FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'sessionlake' AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND has_table_privilege($1, c.oid, 'SELECT')
        ORDER BY 1`,
      [roles[team]],
    );
    // The tables and views the checks above name are among them (the enumeration is not empty by accident).
    const names = relations.rows.map((row) => row.relation);
    expect(names).toEqual(expect.arrayContaining([...Object.keys(PER_MACHINE_TABLES), ...OPERATIONAL_TABLES, 'team_machines', 'access_roles', 'daily_usage']));
    const markers = foreignMarkers(team);
    for (const relation of names) {
      const rows = await asLogin(team, `SELECT * FROM sessionlake.${relation}`);
      expect(leaked(rows, markers), relation).toEqual([]);
    }
  });

  it.each(TEAMS)('team %s: every function of the schema it can execute answers nothing about another team or role', async (team) => {
    const functions = await stack.pool.query<{ name: string; signature: string; types: string[]; definer: boolean }>(
      `SELECT p.proname AS name, p.oid::regprocedure::text AS signature, p.prosecdef AS definer,
              ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t) AS types
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'sessionlake' AND has_function_privilege($1, p.oid, 'EXECUTE')
        ORDER BY 2`,
      [roles[team]],
    );
    // Only these bypass row-level security (they run as the owner); any other function runs as the caller.
    expect(functions.rows.filter((fn) => fn.definer).map((fn) => fn.name).sort()).toEqual(
      ['bypasses_row_security', 'sees_all_machines', 'visible_machine_patterns', 'visible_machines', 'visible_people', 'visible_teams'],
    );
    expect(functions.rows.length).toBeGreaterThan(4);

    // Every text-like argument is given each probe (another team's role, the admin's, a machine name); every other
    // argument NULL. A definer function must answer as for a role bound to nothing; none may name others' data.
    const probes = [...foreignMarkers(team), 'gpu_1', 'gpuX1'];
    const markers = foreignMarkers(team);
    for (const fn of functions.rows) {
      const textual = fn.types.map((type) => ['name', 'text', 'character varying'].includes(type));
      for (const probe of textual.some(Boolean) ? probes : [null]) {
        const args = fn.types.map((type, index) => (textual[index] ? `$1::${type}` : `NULL::${type}`));
        const sql = `SELECT sessionlake.${fn.name}(${args.join(', ')}) AS answer`;
        const rows = await asLogin<{ answer: unknown }>(team, sql, textual.some(Boolean) ? [probe] : []);
        if (fn.definer) {
          // (A set-returning one may answer with no row: that tells nothing either.)
          expect([false, [], '{}', null, undefined], `${fn.signature} (${probe})`).toContainEqual(rows[0]?.answer);
        } else {
          // An invoker function only sees what the caller sees; echoing its argument back is not a leak.
          expect(leaked(rows, markers.filter((marker) => marker !== probe)), `${fn.signature} (${probe})`).toEqual([]);
        }
      }
    }
  });

  it('the visibility functions answer for the caller: its login role and the roles it is a member of', async () => {
    const ask = async (team: Team, fn: string, who: string) =>
      (await asLogin<{ answer: unknown }>(team, `SELECT sessionlake.${fn}($1) AS answer`, [who]))[0]?.answer;
    // Its own answers, as the policies ask (current_user), by its login and by its team role.
    expect(await ask('lab', 'visible_machines', logins.lab)).toEqual([...MACHINES.lab].sort());
    expect(await ask('lab', 'visible_machines', roles.lab)).toEqual([...MACHINES.lab].sort());
    expect(await ask('ml', 'visible_machine_patterns', logins.ml)).toEqual(['gpu-%']);
    expect(await ask('ml', 'visible_machines', logins.ml)).toEqual([]);
    expect(await ask('ml', 'visible_teams', logins.ml)).toEqual(['ml']);
    // The data team of docs/security.md: one pattern and one exact name.
    expect(await ask('data', 'visible_machine_patterns', logins.data)).toEqual(['etl-%']);
    expect(await ask('data', 'visible_machines', logins.data)).toEqual(['laptop-dana']);
    // Not about others: before migration 009 these answered gpu-%, true and ['lab'].
    expect(await ask('data', 'visible_machine_patterns', roles.ml)).toEqual([]);
    expect(await ask('data', 'sees_all_machines', roles.admin)).toBe(false);
    expect(await ask('data', 'sees_all_machines', roles.writer)).toBe(false);
    expect(await ask('ml', 'visible_teams', logins.lab)).toEqual([]);
    expect(await ask('ml', 'visible_machines', 'no_such_role')).toEqual([]);
    // SET ROLE to a role it is a member of: row-level security follows current_user.
    const machinesSeen = 'SELECT DISTINCT machine FROM sessionlake.sessions ORDER BY 1';
    for (const setRole of [undefined, roles.lab, roles.analyst]) {
      const expected = setRole === roles.analyst ? [] : [...MACHINES.lab].sort();
      const seen = await asLogin<{ machine: string }>('lab', machinesSeen, [], setRole);
      expect(seen.map((row) => row.machine), `SET ROLE ${setRole}`).toEqual(expected);
      const answer = await asLogin('lab', 'SELECT sessionlake.visible_machines(current_user) AS m', [], setRole);
      expect(answer, `SET ROLE ${setRole}`).toEqual([{ m: expected }]);
    }
    await expect(asLogin('lab', machinesSeen, [], roles.admin)).rejects.toMatchObject({ code: '42501' });
  });

  it('a failing condition of the caller\'s own runs only on rows it may see (the owner-rights view is a security barrier)', async () => {
    for (const team of TEAMS) {
      const error = await asLogin(team, `SELECT * FROM sessionlake.machine_user_people WHERE (machine || person)::int = 1`).then(
        () => null,
        (caught: Error) => caught.message,
      );
      expect(leaked(error ?? '', foreignMarkers(team)), team).toEqual([]);
    }
  });

  it('column statistics do not show a team another team\'s values', async () => {
    await stack.pool.query('ANALYZE sessionlake.sessions, sessionlake.objects, sessionlake.messages, sessionlake.tool_calls, sessionlake.team_machines, sessionlake.access_roles');
    const stats = await asLogin('ml', `SELECT * FROM pg_stats WHERE schemaname = 'sessionlake'`);
    expect(leaked(stats, foreignMarkers('ml'))).toEqual([]);
    const extended = await asLogin('ml', `SELECT * FROM pg_stats_ext WHERE schemaname = 'sessionlake'`);
    expect(leaked(extended, foreignMarkers('ml'))).toEqual([]);
    await expect(asLogin('ml', 'SELECT * FROM pg_statistic')).rejects.toMatchObject({ code: '42501' });
  });
});
