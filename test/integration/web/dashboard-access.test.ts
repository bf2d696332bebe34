import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { handleObject } from '../../../shared/ingest/handle-object.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { dataValues, startDashboard, totalText, type RunningDashboard } from '../../support/dashboard.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The dashboard over HTTP with row-level security doing the access (docs/security.md, "The dashboard"): two teams'
 * viewers, named by the proxy's X-Forwarded-Email header, each see exactly their machines' rows on every page;
 * unknown or missing identities are refused; and a server started without --identity-header ignores a forged one
 * and reads as its own login. Expected rows come from the owner's SQL filtered by each team's machines.
 */

const MACHINES = { ml: ['gpu-01', 'gpu-02'], data: ['etl-7'], none: ['laptop-eve'] } as const;
type Team = 'ml' | 'data';
const TEAMS: Team[] = ['ml', 'data'];
const EMAIL: Record<Team, string> = { ml: 'Ana@Example.com', data: 'dan@example.com' };
const ALL_MACHINES = Object.values(MACHINES).flat();
const PASSWORD = randomBytes(12).toString('hex');
const HEADER = 'X-Forwarded-Email';

let stack: IngestStack;
let roles: { writer: string; analyst: string; admin: string } & Record<Team, string>;
let logins: { web: string; mlOnly: string };
let webPool: pg.Pool;
let mlPool: pg.Pool;
let proxied: RunningDashboard;
let direct: RunningDashboard;

const sessionIdOf = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;

function sessionBody(machine: string, index: number): string {
  const sessionId = sessionIdOf(index);
  const lines = [
    { type: 'user', sessionId, uuid: `u${index}`, timestamp: `2026-03-0${1 + (index % 3)}T09:00:00Z`, cwd: `/srv/app`, message: { role: 'user', content: `deploy quokka on ${machine}` } },
    {
      type: 'assistant', sessionId, uuid: `a${index}`, timestamp: `2026-03-0${1 + (index % 3)}T09:00:03Z`,
      message: { id: `msg_${index}`, model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 100 * (index + 1), output_tokens: 7 }, content: [{ type: 'tool_use', id: `toolu_${index}`, name: 'Bash', input: { command: `ls /${machine}` } }] },
    },
    { type: 'user', sessionId, uuid: `r${index}`, timestamp: `2026-03-0${1 + (index % 3)}T09:00:04Z`, message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${index}`, content: 'README.md' }] } },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
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

function loginPool(login: string, max = 1): pg.Pool {
  const url = new URL(stack.database.url);
  url.username = login;
  url.password = PASSWORD;
  return new pg.Pool({ connectionString: url.toString(), max });
}

beforeAll(async () => {
  stack = await startIngestStack();
  const suffix = stack.database.name.split('_').slice(-2).join('_');
  roles = { writer: `dw_${suffix}`, analyst: `da_${suffix}`, admin: `dd_${suffix}`, ml: `dt_ml_${suffix}`, data: `dt_data_${suffix}` };
  const url = stack.database.url;
  const names = ['--writer', roles.writer, '--analyst', roles.analyst, '--admin', roles.admin];
  for (const team of TEAMS) {
    expect(await quietly(() => main(['roles', '--database-url', url, ...names, '--team', team, '--team-role', roles[team], '--machines', MACHINES[team].join(',')]))).toBe(0);
    const person = team === 'ml' ? 'ana' : 'dan';
    expect(await quietly(() => main(['people', 'add', person, '--database-url', url, '--team', team, '--email', EMAIL[team]]))).toBe(0);
  }
  // The dashboard's login may act as every team role; a team login for the server without an identity header.
  logins = { web: `dl_web_${suffix}`, mlOnly: `dl_ml_${suffix}` };
  await stack.pool.query(`CREATE ROLE ${logins.web} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${roles.ml}, ${roles.data}`);
  await stack.pool.query(`CREATE ROLE ${logins.mlOnly} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${roles.ml}`);
  await stack.pool.query(`INSERT INTO sessionlake.budgets (name, scope, scope_value, period, limit_usd) VALUES
    ('ml-monthly', 'team', 'ml', 'month', 100), ('data-monthly', 'team', 'data', 'month', 50), ('eve-daily', 'machine', 'laptop-eve', 'day', 5)`);

  for (const [index, machine] of ALL_MACHINES.entries()) {
    const key = `${machine}/raw/claude/-srv-app/${sessionIdOf(index)}.jsonl`;
    await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: sessionBody(machine, index) }));
    await handleObject({ bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag: null, size: null, sequencer: null }, stack.deps);
  }

  webPool = loginPool(logins.web);
  mlPool = loginPool(logins.mlOnly);
  proxied = await startDashboard(webPool, HEADER);
  direct = await startDashboard(mlPool);
});

afterAll(async () => {
  await proxied?.stop();
  await direct?.stop();
  await webPool?.end();
  await mlPool?.end();
  if (stack !== undefined && roles !== undefined) {
    await dropRoles(stack.pool, [...Object.values(logins ?? {}), roles.ml, roles.data, roles.admin, roles.analyst, roles.writer]);
  }
  await stack?.stop();
});

/** What the owner's SQL says a team with these machines must see. */
async function expected(machines: readonly string[]) {
  const sessions = await stack.pool.query<{ id: string }>(
    `SELECT id FROM sessionlake.sessions WHERE machine = ANY ($1) AND kind = 'session' ORDER BY id`, [machines]);
  const usage = await stack.pool.query<{ tokens: string; responses: string }>(
    `SELECT sum(total_tokens) AS tokens, sum(responses) AS responses FROM sessionlake.daily_usage WHERE machine = ANY ($1)`, [machines]);
  const objects = await stack.pool.query<{ n: string }>(`SELECT count(*) AS n FROM sessionlake.objects WHERE machine = ANY ($1)`, [machines]);
  return {
    sessions: sessions.rows.map((row) => row.id),
    tokens: Number(usage.rows[0]?.tokens),
    responses: Number(usage.rows[0]?.responses),
    objects: Number(objects.rows[0]?.n),
  };
}

const asPerson = (team: Team) => ({ [HEADER]: EMAIL[team] });
const number = (text: string) => Number(text.replace(/[^0-9.]/g, ''));

describe('the dashboard reads as the viewer\'s team role', () => {
  it.each(TEAMS)('team %s sees exactly its own rows on every page', async (team) => {
    const want = await expected(MACHINES[team]);
    const other = await expected(MACHINES[team === 'ml' ? 'data' : 'ml']);
    expect(want.sessions.length).toBeGreaterThan(0);

    const sessions = await proxied.get('/sessions', asPerson(team));
    expect(sessions.status).toBe(200);
    expect(sessions.body).toContain(`viewing as ${EMAIL[team]} (team ${team})`);
    expect(dataValues(sessions.body, 'session').sort()).toEqual(want.sessions);
    expect(dataValues(sessions.body, 'total')[0]).toBe(String(want.sessions.length));

    const usage = await proxied.get('/usage?by=machine', asPerson(team));
    expect(usage.status).toBe(200);
    expect(number(totalText(usage.body, 'tokens'))).toBe(want.tokens);
    expect(number(totalText(usage.body, 'responses'))).toBe(want.responses);
    for (const machine of ALL_MACHINES) {
      expect(usage.body.includes(`<td data-label="machine">${machine}</td>`), machine).toBe((MACHINES[team] as readonly string[]).includes(machine));
    }

    for (const id of want.sessions) {
      const page = await proxied.get(`/sessions/${encodeURIComponent(id)}`, asPerson(team));
      expect(page.status).toBe(200);
      expect(page.body).toContain('deploy quokka on');
    }
    for (const id of other.sessions) {
      const page = await proxied.get(`/sessions/${encodeURIComponent(id)}`, asPerson(team));
      expect(page.status).toBe(404);
      expect(page.body).not.toContain('deploy quokka');
    }

    const search = await proxied.get('/search?q=quokka', asPerson(team));
    expect(search.status).toBe(200);
    expect([...new Set(dataValues(search.body, 'session'))].sort()).toEqual(want.sessions);

    const pipeline = await proxied.get('/pipeline', asPerson(team));
    expect(pipeline.status).toBe(200);
    expect(number(totalText(pipeline.body, 'objects'))).toBe(want.objects);

    const budgets = await proxied.get('/budgets', asPerson(team));
    expect(budgets.status).toBe(200);
    expect(dataValues(budgets.body, 'budget')).toEqual([`${team}-monthly`]);
  });

  it('refuses a request without the header (401) and an e-mail nobody has (403), saying why', async () => {
    const missing = await proxied.get('/usage');
    expect(missing.status).toBe(401);
    expect(missing.body).toContain('No X-Forwarded-Email header');
    const unknown = await proxied.get('/sessions', { [HEADER]: 'mallory@example.com' });
    expect(unknown.status).toBe(403);
    expect(unknown.body).toContain('mallory@example.com is not a person sessionlake knows');
    expect(unknown.body).not.toContain('data-session');
  });

  it('hands the connection back as the login, after a page and after a failed request', async () => {
    expect((await proxied.get('/sessions', asPerson('ml'))).status).toBe(200);
    expect((await proxied.get('/usage?since=2026-13-40', asPerson('data'))).status).toBe(400);
    // The pool has one connection: the one those requests used.
    const { rows } = await webPool.query<{ role: string }>('SELECT current_user AS role');
    expect(rows[0]?.role).toBe(logins.web);
    expect(proxied.errors).toEqual([]);
  });

  it('without --identity-header, a forged header is ignored and the login\'s own role decides', async () => {
    const want = await expected(MACHINES.ml);
    const forged = await direct.get('/sessions', { [HEADER]: EMAIL.data });
    expect(forged.status).toBe(200);
    expect(forged.body).toContain(`viewing as database role ${logins.mlOnly}`);
    expect(dataValues(forged.body, 'session').sort()).toEqual(want.sessions);
    const usage = await direct.get('/usage', { [HEADER]: EMAIL.data });
    expect(number(totalText(usage.body, 'tokens'))).toBe(want.tokens);
  });

  it('is read-only: other methods are refused', async () => {
    const response = await fetch(new URL('/sessions', proxied.url), { method: 'POST', headers: asPerson('ml') });
    expect(response.status).toBe(405);
  });
});
