import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * How migration 018 decides a session's person and team (README "Set up your org"), on real Postgres. The cases
 * are read off the rules: a binding, else a user@host machine segment, else the home directory of the cwd.
 */

let database: FreshDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await freshDatabase('sessionlake_people');
  await runMigrations(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('SET search_path = sessionlake');
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function scalar(sql: string, values: unknown[]): Promise<unknown> {
  return (await client.query(sql, values)).rows[0]?.value;
}

describe('person_from_machine', () => {
  it.each([
    ['alice@gpu-box', 'alice'],
    ['bob.smith@laptop.local', 'bob.smith'],
    ['svc_ci@runner-7', 'svc_ci'],
    ['gpu-box', null],
    ['@gpu-box', null],
    ['alice@', null],
    ['alice@bob@host', null],
    ['al ice@host', null],
    ['..@host', null],
    ['-x@host', null],
  ])('%s → %s', async (machine, person) => {
    expect(await scalar('SELECT person_from_machine($1) AS value', [machine])).toBe(person);
  });
});

describe('person_from_cwd', () => {
  it.each([
    ['/Users/alice/src/app', 'alice'],
    ['/Users/alice', 'alice'],
    ['/home/bob/work', 'bob'],
    ['/home/bob', 'bob'],
    ['/root/project', 'root'],
    ['/root', 'root'],
    ['C:\\Users\\Carol\\repo', 'Carol'],
    ['c:/Users/carol/repo', 'carol'],
    ['D:\\users\\dave', 'dave'],
    [null, null],
    ['', null],
    ['/opt/project', null],
    ['/Users/Shared/project', null],
    ['C:\\Users\\Public\\x', null],
    ['/workspace/home/bob', null],
    ['/rooted/x', null],
    ['/homes/bob', null],
  ])('%s → %s', async (cwd, person) => {
    expect(await scalar('SELECT person_from_cwd($1) AS value', [cwd])).toBe(person);
  });
});

describe('session_people', () => {
  async function addSession(id: string, machine: string, cwd: string | null): Promise<void> {
    const uri = `s3://bucket/${machine}/raw/claude/p/${id}.jsonl`;
    await client.query(
      `INSERT INTO objects (uri, bucket, key, machine, agent, kind, state) VALUES ($1, 'bucket', $2, $3, 'claude', 'session', 'ingested')`,
      [uri, uri.slice('s3://bucket/'.length), machine],
    );
    await client.query(`INSERT INTO sessions (id, object_uri, machine, agent, kind, cwd) VALUES ($1, $2, $3, 'claude', 'session', $4)`, [
      id,
      uri,
      machine,
      cwd,
    ]);
  }

  async function people(): Promise<Record<string, [unknown, unknown, unknown, unknown]>> {
    const rows = await client.query('SELECT session_id, person, person_source, team, team_source FROM session_people ORDER BY session_id');
    return Object.fromEntries(rows.rows.map((r) => [r.session_id, [r.person, r.person_source, r.team, r.team_source]]));
  }

  beforeAll(async () => {
    await addSession('s-key', 'alice@laptop', '/home/zed/x');
    await addSession('s-logs', 'gpu-1', '/home/bob/train');
    await addSession('s-none', 'gpu-1', '/srv/jobs');
    await addSession('s-bound', 'ana-mac', '/Users/ana/app');
    await addSession('s-pattern', 'ci-runner-3', '/home/runner/work');
  });

  it('decides each route in order, and names no one when nothing says', async () => {
    expect(await people()).toEqual({
      's-bound': ['ana', 'logs', null, null],
      's-key': ['alice', 'key', null, null],
      's-logs': ['bob', 'logs', null, null],
      's-none': [null, null, null, null],
      's-pattern': ['runner', 'logs', null, null],
    });
  });

  it('a binding wins, and re-binding changes the view at once', async () => {
    await client.query(`INSERT INTO people (person, team) VALUES ('ana.lopez', 'web'), ('ci', 'platform'), ('bob', 'ml')`);
    await client.query(`INSERT INTO machine_owners (match, machine, person) VALUES ('exact', 'ana-mac', 'ana.lopez')`);
    await client.query(`INSERT INTO machine_owners (match, machine, person) VALUES ('like', 'ci-%', 'ci')`);
    await client.query(`INSERT INTO machine_owners (match, machine, team) VALUES ('exact', 'gpu-1', 'research')`);
    expect(await people()).toEqual({
      's-bound': ['ana.lopez', 'binding', 'web', 'person'],
      's-key': ['alice', 'key', null, null],
      // bob's own team beats the machine's; the session with no person still counts to the machine's team.
      's-logs': ['bob', 'logs', 'ml', 'person'],
      's-none': [null, null, 'research', 'machine'],
      's-pattern': ['ci', 'binding', 'platform', 'person'],
    });

    await client.query(`UPDATE machine_owners SET person = 'bob' WHERE machine = 'ana-mac'`);
    expect((await people())['s-bound']).toEqual(['bob', 'binding', 'ml', 'person']);
  });

  it('an exact name beats a pattern, and the longest pattern beats a shorter one', async () => {
    await client.query(`INSERT INTO people (person) VALUES ('runner-owner'), ('ci3-owner'), ('exact-owner')`);
    await client.query(`INSERT INTO machine_owners (match, machine, person) VALUES ('like', 'ci-runner-%', 'runner-owner')`);
    expect((await people())['s-pattern']?.[0]).toBe('runner-owner');
    await client.query(`INSERT INTO machine_owners (match, machine, person) VALUES ('like', 'ci-runner-3%', 'ci3-owner')`);
    expect((await people())['s-pattern']?.[0]).toBe('ci3-owner');
    await client.query(`INSERT INTO machine_owners (match, machine, person) VALUES ('exact', 'ci-runner-3', 'exact-owner')`);
    expect((await people())['s-pattern']?.[0]).toBe('exact-owner');
  });

  it('keeps the cwd user on the session row as it is written', async () => {
    const row = await client.query(`SELECT os_user FROM sessions WHERE id = 's-logs'`);
    expect(row.rows[0]?.os_user).toBe('bob');
    await client.query(`UPDATE sessions SET cwd = '/home/carol/x' WHERE id = 's-logs'`);
    const after = await client.query(`SELECT os_user FROM sessions WHERE id = 's-logs'`);
    expect(after.rows[0]?.os_user).toBe('carol');
  });
});
