/**
 * One Postgres for the whole run: the server in DATABASE_URL when set, otherwise an embedded
 * Postgres in a temporary data dir, removed on teardown. Test files get their own database from it
 * (test/support/database.ts), so they can run in parallel.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../infra/local/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL with the right to create and drop databases. */
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = databaseUrl ? '' : await mkdtemp(path.join(tmpdir(), 'sessionlake-test-pg-'));
  const postgres = await startPostgres({
    databaseUrl,
    dataDir,
    persistent: false,
    port: 0,
    log: () => {},
  });
  project.provide('adminDatabaseUrl', postgres.url);
  return () => postgres.stop();
}
