import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { scramSha256Verifier } from '../../../shared/store/scram.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * `sessionlake roles --login`: the logins docs/deploy.md creates for the functions (a member of the writer role)
 * and for analysts (a member of a team role), on a real Postgres. Roles are cluster-wide, so the names carry the
 * test database's suffix and are dropped afterwards.
 */

const BIN = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
let database: FreshDatabase;
let owner: pg.Pool;
let names: { writer: string; analyst: string; admin: string; team: string; functions: string; analystLogin: string };

async function quietly(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    return { code: await main(args), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const storedPassword = async (role: string): Promise<string> =>
  (await owner.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0]?.rolpassword ?? '';

/** Whether `password` is the one the stored SCRAM verifier was made from (same salt and iterations, same keys). */
function verifies(stored: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored);
  if (match === null) return false;
  return scramSha256Verifier(password, Buffer.from(match[2] ?? '', 'base64'), Number(match[1])) === stored;
}

function loginUrl(login: string, password: string): string {
  const url = new URL(database.url);
  url.username = login;
  url.password = password;
  return url.toString();
}

/** Connects as the login with the password: true, or the server's refusal. */
async function canConnect(login: string, password: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: loginUrl(login, password) });
  try {
    await client.connect();
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

beforeAll(async () => {
  database = await freshDatabase('sessionlake_logins');
  await runMigrations(database.url);
  owner = new pg.Pool({ connectionString: database.url, max: 1 });
  owner.on('error', () => {});
  const suffix = database.name.split('_').slice(-2).join('_');
  names = {
    writer: `slw_${suffix}`,
    analyst: `sla_${suffix}`,
    admin: `sld_${suffix}`,
    team: `slt_${suffix}`,
    functions: `slfn_${suffix}`,
    analystLogin: `slana_${suffix}`,
  };
});
afterAll(async () => {
  await dropRoles(owner, [names.functions, names.analystLogin, names.team, names.admin, names.analyst, names.writer]).catch(() => {});
  await owner.end();
  await database.drop();
});

describe('sessionlake roles --login', () => {
  const roleArgs = () => ['roles', '--database-url', database.url, '--writer', names.writer, '--analyst', names.analyst, '--admin', names.admin];

  it('stores the password in the form Postgres itself makes (SCRAM-SHA-256, never the cleartext)', async () => {
    const probe = `slprobe_${names.writer}`;
    await owner.query(`SET password_encryption = 'scram-sha-256'`);
    await owner.query(`CREATE ROLE ${probe} LOGIN PASSWORD 'correct horse battery staple'`);
    try {
      const byPostgres = await storedPassword(probe);
      const salt = Buffer.from(/\$\d+:([^$]+)\$/.exec(byPostgres)?.[1] ?? '', 'base64');
      expect(scramSha256Verifier('correct horse battery staple', salt, 4096)).toBe(byPostgres);
    } finally {
      await owner.query(`DROP ROLE ${probe}`);
    }
  });

  it('creates the functions\' login, a member of the writer role, with the password from SESSIONLAKE_LOGIN_PASSWORD', async () => {
    const { code, out } = await quietly([...roleArgs(), '--login', names.functions, '--member-of', 'writer'], {
      SESSIONLAKE_LOGIN_PASSWORD: 'fn-secret-1',
    });

    expect(code).toBe(0);
    expect(out).toContain(`login ${names.functions}: member of ${names.writer}`);
    expect(out).not.toContain('fn-secret-1');
    const stored = await storedPassword(names.functions);
    expect(verifies(stored, 'fn-secret-1')).toBe(true);
    expect(verifies(stored, 'fn-secret-2')).toBe(false);
    const role = await owner.query('SELECT rolcanlogin, pg_has_role($1, $2, $3) AS writer FROM pg_roles WHERE rolname = $1', [names.functions, names.writer, 'MEMBER']);
    expect(role.rows).toEqual([{ rolcanlogin: true, writer: true }]);

    // As that login: the write path's statements work, DDL does not.
    const asFunctions = new pg.Client({ connectionString: loginUrl(names.functions, 'fn-secret-1') });
    await asFunctions.connect();
    try {
      await asFunctions.query(`INSERT INTO sessionlake.message_failures (message_id, reason, body_excerpt, receive_count) VALUES ('m1', 'r', 'b', 1)`);
      expect((await asFunctions.query('SELECT message_id FROM sessionlake.message_failures')).rows).toEqual([{ message_id: 'm1' }]);
      await expect(asFunctions.query('CREATE TABLE sessionlake.not_allowed (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await asFunctions.end();
    }
  });

  it('sets a new password on an existing login, read from stdin (the CLI as installed)', async () => {
    const child = execFile(process.execPath, [BIN, ...roleArgs(), '--login', names.functions, '--member-of', 'writer', '--password-stdin'], {
      env: { ...process.env, SESSIONLAKE_LOGIN_PASSWORD: '' },
    });
    child.stdin?.end('fn-secret-2\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(code).toBe(0);
    const stored = await storedPassword(names.functions);
    expect(verifies(stored, 'fn-secret-2')).toBe(true);
    expect(verifies(stored, 'fn-secret-1')).toBe(false);
    expect(await canConnect(names.functions, 'fn-secret-2')).toBe(true);
    // A server whose pg_hba.conf trusts local connections takes any password; the verifier checks above still hold.
    const refused = await canConnect(names.functions, 'fn-secret-1');
    if (refused === true) process.stderr.write('roles-login: this Postgres trusts local logins, so a wrong password is not refused here\n');
    else expect(refused).toMatch(/password authentication failed/);
  });

  it('creates an analyst\'s login in a team role: it reads the schema, writes nothing, sees no writer-only table', async () => {
    const { code } = await quietly(
      [...roleArgs(), '--team', 'ml', '--team-role', names.team, '--machine-pattern', 'gpu-%', '--login', names.analystLogin, '--member-of', 'team'],
      { SESSIONLAKE_LOGIN_PASSWORD: 'analyst-secret' },
    );
    expect(code).toBe(0);

    const asAnalyst = new pg.Client({ connectionString: loginUrl(names.analystLogin, 'analyst-secret') });
    await asAnalyst.connect();
    try {
      expect((await asAnalyst.query('SELECT count(*)::int AS n FROM sessionlake.sessions')).rows).toEqual([{ n: 0 }]);
      // Row-level security: message_failures is for the writer and the admin; the owner's row is not shown.
      expect((await asAnalyst.query('SELECT count(*)::int AS n FROM sessionlake.message_failures')).rows).toEqual([{ n: 0 }]);
      await expect(asAnalyst.query(`INSERT INTO sessionlake.team_machines (team, machine) VALUES ('ml', 'gpu-02')`)).rejects.toThrow(
        /permission denied|row-level security/,
      );
    } finally {
      await asAnalyst.end();
    }
    // The owner, by contrast, is not subject to row-level security.
    expect((await owner.query('SELECT count(*)::int AS n FROM sessionlake.message_failures')).rows).toEqual([{ n: 1 }]);
  });

  it('refuses a login without a password or without roles', async () => {
    const noPassword = await quietly([...roleArgs(), '--login', 'x_nopass', '--member-of', 'writer'], { SESSIONLAKE_LOGIN_PASSWORD: '' });
    expect(noPassword).toMatchObject({ code: 1, err: expect.stringContaining('--login needs a password') });
    const noRoles = await quietly([...roleArgs(), '--login', 'x_noroles'], { SESSIONLAKE_LOGIN_PASSWORD: 'p' });
    expect(noRoles).toMatchObject({ code: 1, err: expect.stringContaining('--login needs --member-of') });
    expect((await owner.query(`SELECT rolname FROM pg_roles WHERE rolname IN ('x_nopass', 'x_noroles')`)).rows).toEqual([]);
  });
});
