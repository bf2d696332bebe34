import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { OBJECT_STATES } from '../../../shared/store/object-store.js';
import { readPipelineStatus } from '../../../shared/store/status.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { migrationsUpTo } from '../../support/migrations.js';

/**
 * Migration 024 on a database filled by the schema before it: the state never written by the code (`superseded`)
 * becomes `pending`, and the status views count each state under its own name (README, "Object states").
 */

let database: FreshDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await freshDatabase('sessionlake_states');
  await runMigrations(database.url, await migrationsUpTo(23));
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // One row per state the old schema allowed, two of them `pending`-like (pending, superseded).
  const states = ['pending', 'ingested', 'failed', 'skipped', 'deleted', 'superseded', 'pending'];
  for (const [index, state] of states.entries()) {
    await client.query(
      `INSERT INTO sessionlake.objects (uri, bucket, key, kind, state) VALUES ($1, 'b', $2, 'session', $3)`,
      [`s3://b/k${index}`, `k${index}`, state],
    );
  }
  await runMigrations(database.url);
});

afterAll(async () => {
  await client.end();
  await database.drop();
});

describe('object states after migration 024', () => {
  it('maps superseded to pending and keeps every other state', async () => {
    const rows = await client.query<{ key: string; state: string }>('SELECT key, state FROM sessionlake.objects ORDER BY key');
    expect(rows.rows).toEqual([
      { key: 'k0', state: 'pending' },
      { key: 'k1', state: 'ingested' },
      { key: 'k2', state: 'failed' },
      { key: 'k3', state: 'skipped' },
      { key: 'k4', state: 'deleted' },
      { key: 'k5', state: 'pending' },
      { key: 'k6', state: 'pending' },
    ]);
  });

  it('refuses a state outside the five, and the code names the same five', async () => {
    await expect(
      client.query(`INSERT INTO sessionlake.objects (uri, bucket, key, kind, state) VALUES ('s3://b/x', 'b', 'x', 'session', 'superseded')`),
    ).rejects.toThrow(/objects_state_check/);
    expect([...OBJECT_STATES].sort()).toEqual(['deleted', 'failed', 'ingested', 'pending', 'skipped']);
  });

  it('the status views count each state under its own name, read over one connection without queuing queries', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    const status = await readPipelineStatus(client, { limit: 10 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.map((warning) => warning.message)).toEqual([]);
    expect(status.totals).toMatchObject({ objects: 7, ingested: 1, skipped: 1, deleted: 1, failed: 1, pending: 3 });
    const byState = Object.fromEntries(status.byState.map((row) => [row.state, row.objects]));
    expect(byState).toEqual({ deleted: 1, failed: 1, ingested: 1, pending: 3, skipped: 1 });
    // The problems listed: the failed row, the three pending ones, and the skipped session.
    expect(status.recentErrors.map((row) => row.state).sort()).toEqual(['failed', 'pending', 'pending', 'pending', 'skipped']);
  });
});
