import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * Applies the numbered SQL files of infra/migrations in order, each in its own transaction, inside the
 * `sessionlake` schema. Concurrent runners serialise on a transaction-scoped advisory lock.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../infra/migrations/', import.meta.url));
const MIGRATION_FILE = /^(\d+)_([\w-]+)\.sql$/;
// Any constant works; it only has to be the same for every runner of this schema.
const MIGRATION_LOCK_KEY = 7_311_042;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => MIGRATION_FILE.test(file));
  const migrations = await Promise.all(
    files.map(async (file) => {
      const [, version = '', name = ''] = MIGRATION_FILE.exec(file) ?? [];
      return { version: Number(version), name, sql: await readFile(`${dir}/${file}`, 'utf8') };
    }),
  );
  migrations.sort((a, b) => a.version - b.version);
  const seen = new Set<number>();
  for (const migration of migrations) {
    if (seen.has(migration.version)) throw new Error(`two migrations share version ${migration.version} in ${dir}`);
    seen.add(migration.version);
  }
  return migrations;
}

/** Runs pending migrations; returns the versions applied now. Accepts a connection string or a pool. */
export async function runMigrations(target: string | pg.Pool, dir: string = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  const pool = typeof target === 'string' ? new pg.Pool({ connectionString: target, max: 1 }) : target;
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    // Under the lock too: two runners' CREATE … IF NOT EXISTS on a fresh database race (a duplicate-key error).
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    for (const migration of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const done = await client.query(`SELECT 1 FROM ${SCHEMA}.schema_migrations WHERE version = $1`, [
          migration.version,
        ]);
        if (done.rowCount === 0) {
          await client.query(`SET LOCAL search_path TO ${SCHEMA}, public`);
          await client.query(migration.sql);
          await client.query(`INSERT INTO ${SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)`, [
            migration.version,
            migration.name,
          ]);
          applied.push(migration.version);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  } finally {
    client.release();
    if (typeof target === 'string') await pool.end();
  }
  return applied;
}
