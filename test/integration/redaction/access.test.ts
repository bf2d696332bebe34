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

const MACHINES = { ml: ['gpu-01', 'gpu-02'], data: ['etl-7', 'laptop-dana'], none: ['laptop-eve'] };
const ALL_MACHINES = Object.values(MACHINES).flat();
const SECURITY_DOC = new URL('../../../docs/security.md', import.meta.url);

let stack: IngestStack;
let roles: { writer: string; analyst: string; admin: string; ml: string; data: string };
let writerPool: pg.Pool;

function sessionBody(machine: string, index: number): string {
  const secret = plantSecrets(100 + index).find((planted) => planted.rule === 'generic-api-key');
  const sessionId = `00000000-0000-4000-8000-00000000000${index}`;
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
  roles = { writer: `slw_${suffix}`, analyst: `sla_${suffix}`, admin: `sld_${suffix}`, ml: `slt_ml_${suffix}`, data: `slt_data_${suffix}` };

  const out = process.stdout.write;
  process.stdout.write = () => true;
  try {
    const code = await main([
      'roles', '--database-url', stack.database.url, '--writer', roles.writer, '--analyst', roles.analyst, '--admin', roles.admin,
      '--team', 'ml', '--team-role', roles.ml, '--machines', 'gpu-%',
    ]);
    expect(code).toBe(0);
  } finally {
    process.stdout.write = out;
  }
  await stack.pool.query(renamed(await sqlBlockAfter('### Add a team')));

  // The write path, connected as the writer role.
  writerPool = new pg.Pool({ connectionString: stack.database.url, max: 2, options: `-c role=${roles.writer}` });
  const deps = { ...stack.deps, store: new ObjectStore(writerPool, { lockTimeoutMs: 5_000 }) };
  for (const [index, machine] of ALL_MACHINES.entries()) {
    const key = `${machine}/raw/claude/-home-app/00000000-0000-4000-8000-00000000000${index}.jsonl`;
    await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: sessionBody(machine, index) }));
    await handleObject({ bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag: null, size: null, sequencer: null }, deps);
  }
});

afterAll(async () => {
  await writerPool?.end();
  if (stack !== undefined && roles !== undefined) await dropRoles(stack.pool, [roles.ml, roles.data, roles.admin, roles.analyst, roles.writer]);
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
  // The analysts' views (migration 003) are security_invoker: the tables' policies apply through them.
  usage: `SELECT session_id || '/' || message_ordinal AS row, session_id AS owner FROM sessionlake.usage`,
  session_overview: `SELECT session_id || '/' || secrets_found AS row, session_id AS owner FROM sessionlake.session_overview`,
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

  it.each(['analyst', 'admin', 'ml'] as const)('the %s role cannot INSERT, UPDATE or DELETE', async (which) => {
    const role = roles[which];
    for (const statement of [
      `INSERT INTO sessionlake.team_machines (team, machine_pattern) VALUES ('ml', '%')`,
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
    expect(await asRole(roles[team], 'SELECT DISTINCT team FROM sessionlake.team_machines')).toEqual([{ team }]);
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
