import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/log.js';
import { loadMigrations, runMigrations } from '../../../shared/store/migrate.js';
import { REQUIRED_SCHEMA_VERSION, SchemaTooOldError, schemaGate } from '../../../shared/store/schema-version.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { migrationsUpTo } from '../../support/migrations.js';

/**
 * Migrations as a deploy runs them (the migrate function, possibly invoked twice at once) and the check the
 * functions make before their first batch, against real Postgres.
 */

const databases: FreshDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});

async function database(): Promise<FreshDatabase> {
  const created = await freshDatabase('sessionlake_migrations');
  databases.push(created);
  return created;
}

describe('runMigrations', () => {
  it('two runs at once on a fresh database both succeed and apply each migration exactly once', async () => {
    const all = (await loadMigrations()).map((migration) => migration.version);
    // Several fresh databases: the race on creating the bookkeeping table does not show every time.
    for (let round = 0; round < 4; round++) {
      const { url } = await database();

      const [first, second] = await Promise.all([runMigrations(url), runMigrations(url)]);

      expect([...first, ...second].sort((a, b) => a - b)).toEqual(all);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = await client.query<{ version: number }>('SELECT version FROM sessionlake.schema_migrations ORDER BY version');
        expect(rows.rows.map((row) => row.version)).toEqual(all);
      } finally {
        await client.end();
      }
    }
  }, 120_000);

  it('a second run applies nothing', async () => {
    const { url } = await database();
    await runMigrations(url);
    expect(await runMigrations(url)).toEqual([]);
  });

  it('REQUIRED_SCHEMA_VERSION is the highest migration: raise it with each migration the code needs', async () => {
    const highest = Math.max(...(await loadMigrations()).map((migration) => migration.version));
    expect(REQUIRED_SCHEMA_VERSION).toBe(highest);
  });
});

describe('the billing functions', () => {
  /** Each function's language and settings, by name, on a freshly migrated database. */
  async function functionsAfterMigrating(where: string): Promise<Array<{ proname: string; language: string; proconfig: string[] }>> {
    const { url } = await database();
    await runMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = await client.query<{ proname: string; language: string; proconfig: string[] | null }>(
        `SELECT p.proname, l.lanname AS language, p.proconfig FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
          WHERE p.pronamespace = 'sessionlake'::regnamespace AND (${where})
          ORDER BY p.proname`,
      );
      return rows.rows.map((row) => ({ ...row, proconfig: [...(row.proconfig ?? [])].sort() }));
    } finally {
      await client.end();
    }
  }

  it('settle_billing and rebuild_billing run without JIT (a CREATE OR REPLACE that drops the setting fails here)', async () => {
    const rows = await functionsAfterMigrating(`p.proname IN ('settle_billing', 'rebuild_billing')`);
    expect(rows.map((row) => [row.proname, row.proconfig.includes('jit=off')])).toEqual([
      ['rebuild_billing', true],
      ['settle_billing', true],
    ]);
  });

  // settle_billing plans every call for its values (migration 034 replaced 033's generic plans: over a parameter,
  // `= ANY (keys)` is searched element by element for every row, so a whole session's commit cost the square of its
  // responses).
  it('settle_billing plans each call for its values; apply_billed_change and the search step are PL/pgSQL (migrations 033, 034)', async () => {
    const rows = await functionsAfterMigrating(
      `p.proname IN ('settle_billing', 'apply_billed_change')
       OR p.oid = 'sessionlake.index_tool_call_search(text[], integer[])'::regprocedure`,
    );
    expect(rows.map((row) => [row.proname, row.language, row.proconfig])).toEqual([
      ['apply_billed_change', 'plpgsql', ['search_path=sessionlake, pg_temp']],
      ['index_tool_call_search', 'plpgsql', ['search_path=sessionlake, pg_temp']],
      ['settle_billing', 'plpgsql', ['jit=off', 'plan_cache_mode=force_custom_plan', 'search_path=sessionlake, pg_temp']],
    ]);
  });
});

describe('the schema check of the functions', () => {
  /** A login that is a member of a writer role, as the deployed functions connect. */
  async function writerLogin(url: string): Promise<string> {
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    const suffix = Math.random().toString(36).slice(2, 8);
    const login = `schema_check_${suffix}`;
    // A password, so the login also works where the server asks for one (the embedded Postgres does; trust auth ignores it).
    const password = `pw_${suffix}`;
    try {
      await owner.query(`CREATE ROLE ${login} LOGIN PASSWORD '${password}'`);
      await owner.query(`GRANT USAGE ON SCHEMA sessionlake TO ${login}`);
    } finally {
      await owner.end();
    }
    const asLogin = new URL(url);
    asLogin.username = login;
    asLogin.password = password;
    return asLogin.toString();
  }

  it('refuses a schema older than the code needs, with a log line saying what to run; passes once migrated', async () => {
    const { url } = await database();
    await runMigrations(url, await migrationsUpTo(REQUIRED_SCHEMA_VERSION - 1));
    const pool = new pg.Pool({ connectionString: await writerLogin(url), max: 1 });
    const lines: string[] = [];
    const gate = schemaGate(pool, createLogger('info', { function: 'ingest' }, (line) => lines.push(line)));
    try {
      const refused = await gate.ensure().then(() => null, (error: unknown) => error);

      expect(refused).toBeInstanceOf(SchemaTooOldError);
      expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
        expect.objectContaining({
          level: 'error',
          function: 'ingest',
          message: 'refusing to run: database schema too old',
          requiredSchemaVersion: REQUIRED_SCHEMA_VERSION,
          error: expect.stringContaining('run the migrate function'),
        }),
      ]);

      await runMigrations(url);
      await expect(gate.ensure()).resolves.toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('names the version it found when the login can read it', async () => {
    const { url } = await database();
    await runMigrations(url);
    const pool = new pg.Pool({ connectionString: await writerLogin(url), max: 1 });
    try {
      const error = await schemaGate(pool, createLogger('error', {}, () => {}), REQUIRED_SCHEMA_VERSION + 1)
        .ensure()
        .then(() => null, (caught: unknown) => caught as SchemaTooOldError);
      expect(error?.message).toBe(
        `the database schema is at version ${REQUIRED_SCHEMA_VERSION}, older than the ${REQUIRED_SCHEMA_VERSION + 1} this code needs: run the migrate function (docs/deploy.md)`,
      );
    } finally {
      await pool.end();
    }
  });
});
