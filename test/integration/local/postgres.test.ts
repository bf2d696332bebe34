import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { locatePostgresBinaries } from '../../../infra/local/postgres-binaries.js';
import { postgresOsUser, startPostmaster } from '../../../infra/local/postgres-process.js';
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

/** A parent dir the postgres OS user can reach (mkdtemp makes it 0700), removed after the test. */
async function reachableTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  return dir;
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a condition that must come true, with a bound far above what it takes. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 100) {
    if (waited > 30_000) throw new Error(`still not true after 30 s: ${what}`);
    await sleep(100);
  }
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
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

  it('fails at once, naming the port and what to do, when another program holds the port', async () => {
    const { port } = await occupiedPort();
    const dataDir = path.join(await reachableTempDir('sessionlake-pg-port-'), 'data');

    const starting = startPostgres({ dataDir, persistent: false, port, log: () => {} });

    await expect(starting).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use by another program, so the embedded Postgres cannot listen there: ` +
        'stop that program, choose another port (--pg-port; 0 picks a free one), or set DATABASE_URL to use a running server.',
    );
  });

  it('refuses a data dir whose server a live process still uses, naming the server and that process', async () => {
    const dataDir = path.join(await reachableTempDir('sessionlake-pg-busy-'), 'data');
    const options = { dataDir, persistent: true, port: 0, log: () => {} };
    await started(await startPostgres(options));
    const pid = await postmasterPid(dataDir);

    const second = startPostgres(options);

    await expect(second).rejects.toThrow(
      `Data dir ${dataDir} is in use by Postgres pid ${pid} started by sessionlake process ${process.pid} (another npm start or test run?): ` +
        `stop ${process.pid} first, or use another data dir (--data-dir).`,
    );
  });

  it('stops a server left running by a run that was killed, then starts on its data dir with the data kept', async () => {
    const dataDir = path.join(await reachableTempDir('sessionlake-pg-orphan-'), 'data');
    const options = { dataDir, persistent: true, port: 0, database: 'sessionlake', log: () => {} };
    const first = await startPostgres(options);
    await query(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$survived$$)');
    await first.stop();
    // The orphan: a postmaster whose sessionlake process (recorded in the data dir) is gone.
    const binaries = await locatePostgresBinaries({ forOtherUser: process.getuid?.() === 0, log: () => {} });
    const runAs = process.getuid?.() === 0 ? await postgresOsUser() : undefined;
    const orphan = await startPostmaster({ binaries, dataDir, port: await freePort(), runAs, flags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='] });
    cleanups.push(() => orphan.stop());
    const gone = await deadPid();
    await writeFile(path.join(dataDir, 'sessionlake-owner.pid'), `${gone}\n`);
    const lines: string[] = [];

    const second = await started(await startPostgres({ ...options, log: (line) => lines.push(line) }));

    expect(lines).toContain(`postgres: stopping Postgres pid ${orphan.pid}, left running on ${dataDir} by a run that ended without stopping it`);
    expect(isAlive(orphan.pid)).toBe(false);
    expect(await query(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'survived' }]);
  });

  it('stops its server when the process that started it is killed with SIGKILL', async () => {
    const dataDir = path.join(await reachableTempDir('sessionlake-pg-killed-'), 'data');
    const script = path.join(await reachableTempDir('sessionlake-pg-script-'), 'start.mts');
    const postgresModule = fileURLToPath(new URL('../../../infra/local/postgres.ts', import.meta.url));
    await writeFile(
      script,
      `import { startPostgres } from ${JSON.stringify(postgresModule)};\n` +
        `await startPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true, port: 0, log: () => {} });\n` +
        `process.stdout.write('started\\n');\nsetInterval(() => {}, 1000);\n`,
    );
    const child = execFile(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
    cleanups.push(async () => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
      child.on('exit', (code) => reject(new Error(`the starter exited with ${code}: ${stderr}`)));
    });
    const pid = await postmasterPid(dataDir);
    expect(isAlive(pid)).toBe(true);

    child.kill('SIGKILL');

    await eventually(() => !isAlive(pid), `Postgres pid ${pid} has stopped`);
  });

  it.runIf(process.getuid?.() === 0)(
    'runs a copy of the binaries when, as root, they sit in a folder the postgres user cannot enter (a mktemp -d clone)',
    async () => {
      const privateDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-private-clone-'));
      cleanups.push(() => rm(privateDir, { recursive: true, force: true }));
      await chmod(privateDir, 0o700);
      const installed = await locatePostgresBinaries({ forOtherUser: false, log: () => {} });
      const privateNative = path.join(privateDir, 'native');
      await symlink(installed.nativeDir, privateNative);
      const dataDir = path.join(await reachableTempDir('sessionlake-pg-copy-'), 'data');
      const lines: string[] = [];

      const postgres = await started(
        await startPostgres({ dataDir, persistent: false, port: 0, binariesDir: privateNative, log: (line) => lines.push(line) }),
      );

      expect(await query(postgres.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      const copied = path.join(tmpdir(), `sessionlake-postgres-${installed.version}-${process.platform}-${process.arch}`);
      expect(lines).toContain(`postgres: ${privateDir} is private, so the postgres OS user runs the binaries copied to ${copied}`);
    },
  );
});

/** A pid no process has any more. */
async function deadPid(): Promise<number> {
  const child = execFile('true');
  const pid = child.pid ?? 0;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}
