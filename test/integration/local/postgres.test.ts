import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startPostgres, type RunningPostgres } from '../../../infra/local/postgres.js';

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function started(postgres: RunningPostgres): Promise<RunningPostgres> {
  cleanups.push(() => postgres.stop());
  return postgres;
}

describe('startPostgres', () => {
  it('names the unreachable server without its password when the given URL does not connect', async () => {
    const port = await freePort();

    const starting = startPostgres({
      databaseUrl: `postgres://someone:hunter2@127.0.0.1:${port}/db`,
      dataDir: '',
      persistent: false,
      port: 0,
      log: () => {},
    });

    await expect(starting).rejects.toThrow(`Cannot connect to Postgres at postgres://someone:***@127.0.0.1:${port}/db`);
    await expect(starting).rejects.not.toThrow(/hunter2/);
  });

  it('keeps the data of a persistent embedded server and reuses its data dir on the next start', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'sessionlake-pg-test-'));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    const lines: string[] = [];
    const options = { dataDir, persistent: true, port: 0, database: 'sessionlake', log: (line: string) => lines.push(line) };
    const first = await started(await startPostgres(options));
    await query(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
    await first.stop();

    const second = await started(await startPostgres(options));
    const rows = await query(second.url, 'SELECT value FROM kept');

    expect(rows).toEqual([{ value: 'still here' }]);
    expect(second.embedded).toBe(true);
    expect(second.dataDir).toBe(dataDir);
    expect(lines.filter((line) => line.includes(dataDir)).map((line) => /\((new|reused)/.exec(line)?.[1])).toEqual(['new', 'reused']);
  });

  it.runIf(process.getuid?.() === 0)(
    'uses a data dir under the temp dir, and says so, when the postgres user cannot reach the one asked for',
    async () => {
      const privateDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-private-'));
      cleanups.push(() => rm(privateDir, { recursive: true, force: true }));
      await chmod(privateDir, 0o700);
      const requested = path.join(privateDir, 'pg');
      const lines: string[] = [];

      const postgres = await started(await startPostgres({ dataDir: requested, persistent: false, port: 0, log: (line) => lines.push(line) }));

      expect(postgres.dataDir).not.toBe(requested);
      expect(postgres.dataDir?.startsWith(tmpdir())).toBe(true);
      expect(lines.some((line) => line.includes(`${requested} is not reachable by the postgres OS user`))).toBe(true);
      expect(await query(postgres.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    },
  );
});
