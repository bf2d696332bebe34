/**
 * docs/deploy.md, "From zero to a first query", the steps a test can run: the roles-and-logins block (step 5) and
 * the first query (step 7), taken from the page and run with bash as written, the variables of step 1 pointing
 * at a test database (`TLS=sslmode=disable`: no TLS here; the RDS handshake is a real-account check). Between
 * them, sessions are ingested as the functions' login the block made, as the deployed ingest would. Logins are
 * cluster-wide, so their names get this run's suffix; the default role names are used as the page uses them.
 * psql is needed for the last step (skipped, saying so, without it).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleObject } from '../../../shared/ingest/handle-object.js';
import { silentLogger } from '../../../shared/log.js';
import { createObjectReader } from '../../../shared/s3/object-reader.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { createPool } from '../../../shared/store/pool.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';
import { repositoryRoot } from '../../support/package-stack.js';

const run = promisify(execFile);
const DEPLOY_DOC = fileURLToPath(new URL('../../../docs/deploy.md', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/claude/projects/-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl', import.meta.url));

const psqlVersion = await run('psql', ['--version']).then(({ stdout }) => stdout.trim(), () => null);
if (psqlVersion === null) process.stderr.write('SKIPPED deploy-doc: psql is not installed (apt-get install postgresql-client)\n');

async function block(marker: string): Promise<string> {
  const page = await readFile(DEPLOY_DOC, 'utf8');
  const found = new RegExp(`<!-- test: ${marker} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(page)?.[1];
  if (found === undefined) throw new Error(`docs/deploy.md has no sh block after <!-- test: ${marker} -->`);
  return found;
}

describe.skipIf(psqlVersion === null)('docs/deploy.md from zero to a first query, the database steps', () => {
  let database: FreshDatabase;
  let emulator: RunningEmulator;
  let owner: pg.Pool;
  let env: Record<string, string>;
  let logins: { functions: string; alice: string; bob: string };
  let rename: (text: string) => string;

  beforeAll(async () => {
    [database, emulator] = await Promise.all([freshDatabase('sessionlake_deploy_doc'), startTestEmulator()]);
    // Step 3: what the migrate function does after the deploy (its zip is run by package.test.ts).
    await runMigrations(database.url);
    owner = new pg.Pool({ connectionString: database.url, max: 1 });
    owner.on('error', () => {});
    const suffix = database.name.split('_').slice(-1)[0] ?? 'x';
    logins = { functions: `sessionlake_functions_${suffix}`, alice: `alice_${suffix}`, bob: `bob_${suffix}` };
    rename = (text) =>
      text
        .replaceAll('sessionlake_functions', logins.functions)
        .replaceAll('--login alice', `--login ${logins.alice}`)
        .replaceAll('--login bob', `--login ${logins.bob}`)
        .replaceAll('postgres://alice:', `postgres://${logins.alice}:`);
    const url = new URL(database.url);
    env = {
      ...(process.env as Record<string, string>),
      OWNER_URL: database.url,
      FUNCTIONS_PASSWORD: 'functions-pw-1',
      ALICE_PASSWORD: 'alice-pw-1',
      BOB_PASSWORD: 'bob-pw-1',
      DB_HOST: url.hostname,
      DB_PORT: url.port === '' ? '5432' : url.port,
      DB_NAME: url.pathname.slice(1),
      TLS: 'sslmode=disable',
      PGPASSWORD: '',
    };
  }, 60_000);

  afterAll(async () => {
    await dropRoles(owner, [logins.functions, logins.alice, logins.bob]).catch(() => {});
    await owner?.end();
    await Promise.all([database?.drop(), emulator?.stop()]);
  });

  it('step 5 makes the roles, the functions\' login in the writer role, and the analysts\' logins', async () => {
    const script = rename(await block('roles-and-logins'));
    expect(script).toContain('--member-of writer');

    await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: repositoryRoot, env, timeout: 120_000 });

    const memberships = await owner.query<{ login: string; role: string }>(
      `SELECT m.rolname AS login, r.rolname AS role FROM pg_auth_members a
         JOIN pg_roles m ON m.oid = a.member JOIN pg_roles r ON r.oid = a.roleid
        WHERE m.rolname = ANY($1) ORDER BY 1, 2`,
      [[logins.functions, logins.alice, logins.bob]],
    );
    expect(memberships.rows).toEqual(
      [
        { login: logins.alice, role: 'sessionlake_admin' },
        { login: logins.bob, role: 'sessionlake_team_ml' },
        { login: logins.functions, role: 'sessionlake_writer' },
      ].sort((a, b) => a.login.localeCompare(b.login)),
    );
  }, 150_000);

  it('step 7: the first query, after the functions\' login ingested sessions of two machines, shows them to alice', async () => {
    const functionsUrl = new URL(database.url);
    functionsUrl.username = logins.functions;
    functionsUrl.password = 'functions-pw-1';
    const pool = createPool({ connectionString: functionsUrl.toString(), max: 1 });
    const deps = { store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }), reader: createObjectReader(emulator.s3), log: silentLogger, maxLineBytes: 1 << 20 };
    try {
      for (const machine of ['gpu-01', 'laptop-eve']) {
        const key = `${machine}/raw/claude/-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl`;
        const put = await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: await readFile(FIXTURE) }));
        const outcome = await handleObject(
          { bucket: emulator.bucket, key, change: 'created', source: 'event', etag: (put.ETag ?? '').replaceAll('"', ''), size: null, sequencer: null },
          deps,
        );
        expect(outcome.status).toBe('ingested');
      }
    } finally {
      await pool.end();
    }
    const query = rename(await block('first-query'));

    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', query], { cwd: repositoryRoot, env, timeout: 60_000 });

    const rows = stdout.split('\n').filter((line) => /^\s*(gpu-01|laptop-eve)\s*\|/.test(line));
    expect(rows.map((line) => line.split('|').map((cell) => cell.trim()).slice(0, 2))).toEqual([
      ['gpu-01', '1'],
      ['laptop-eve', '1'],
    ]);
    // The same query as bob, of team ml (machines gpu-%): row-level security shows him gpu-01 only.
    const asBob = query.replace(`postgres://${logins.alice}:$ALICE_PASSWORD@`, `postgres://${logins.bob}:$BOB_PASSWORD@`);
    const { stdout: bobSees } = await run('bash', ['-euo', 'pipefail', '-c', asBob], { cwd: repositoryRoot, env, timeout: 60_000 });
    expect(bobSees).toMatch(/^\s*gpu-01\s*\|\s*1\s*\|/m);
    expect(bobSees).not.toContain('laptop-eve');
  }, 120_000);
});
