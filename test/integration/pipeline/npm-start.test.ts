import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { claudeFixtureExpectations } from '../../fixtures/claude/expectations.js';
import { codexFixtureExpectations } from '../../fixtures/codex/expectations.js';
import { SAMPLE_OBJECTS } from '../../fixtures/copilot/expectations.js';
import { geminiFixtures } from '../../fixtures/gemini/expectations.js';
import { qwenFixtureExpectations } from '../../fixtures/qwen/expectations.js';

/**
 * The start-up path exactly as a user runs it: `sessionlake dev` (what `npm start` runs) as a child process,
 * with no DATABASE_URL (so embedded Postgres) and the real ingest handler, until its `ready:` line; then the
 * sample sessions are queried over a real connection and Ctrl-C stops it cleanly.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('sessionlake dev (npm start)', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reaches ready with the sample sessions queryable, prints the psql command, and stops on SIGINT', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-start-'));
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    child = spawn(
      process.execPath,
      ['bin/sessionlake.js', 'dev', '--no-home', '--s3-port', '0', '--web-port', '0', '--pg-port', '0', '--data-dir', path.join(dataDir, 'pg')],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within 90 s:\n${output}`)), 90_000);
      child?.stdout?.on('data', () => {
        const line = output.split('\n').find((candidate) => candidate.startsWith('ready:'));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      void exited.then((code) => reject(new Error(`exited with ${code} before ready:\n${output}`)));
    });

    const match = /^ready: s3=(http:\/\/\S+) bucket=(\S+) postgres=(postgres:\/\/\S+) web=(http:\/\/\S+)$/.exec(ready);
    expect(match).not.toBeNull();
    // The dashboard is up on the printed URL and shows the samples' sessions (README "Dashboard").
    const sessionsPage = await fetch(new URL('/sessions', match?.[4]));
    expect(sessionsPage.status).toBe(200);
    const listed = /id="session-count" data-total="(\d+)"/.exec(await sessionsPage.text())?.[1];
    expect(output).toMatch(/psql 'postgres:\/\/\S+'/);
    const client = new pg.Client({ connectionString: match?.[3] });
    await client.connect();
    try {
      const sessions = await client.query<{ agent: string; sessions: number; messages: number }>(
        `SELECT agent, count(*)::int AS sessions, sum(message_count)::int AS messages
         FROM sessionlake.sessions WHERE machine = 'sample' GROUP BY agent ORDER BY agent`,
      );
      const sum = (rows: readonly { messages: number }[]) => rows.reduce((total, row) => total + row.messages, 0);
      expect(sessions.rows).toEqual([
        { agent: 'claude', sessions: claudeFixtureExpectations.length, messages: sum(claudeFixtureExpectations) },
        { agent: 'codex', sessions: codexFixtureExpectations.length, messages: sum(codexFixtureExpectations) },
        { agent: 'copilot', sessions: SAMPLE_OBJECTS.length, messages: SAMPLE_OBJECTS.reduce((total, object) => total + object.messages, 0) },
        { agent: 'gemini', sessions: geminiFixtures.length, messages: sum(geminiFixtures) },
        { agent: 'qwen', sessions: qwenFixtureExpectations.length, messages: sum(qwenFixtureExpectations) },
      ]);
      const topLevel = await client.query<{ n: string }>(`SELECT count(*) AS n FROM sessionlake.sessions WHERE kind = 'session' AND deleted_at IS NULL`);
      expect(Number(listed)).toBe(Number(topLevel.rows[0]?.n));
      expect(Number(listed)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }

    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

interface DevProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** The first output line starting with `prefix`, once printed; rejects if the process exits first. */
  line(prefix: string): Promise<string>;
}

const started: ChildProcess[] = [];

function startDev(args: string[]): DevProcess {
  const env = { ...process.env };
  delete env['DATABASE_URL'];
  const child = spawn(process.execPath, ['bin/sessionlake.js', 'dev', '--no-home', '--s3-port', '0', '--web-port', '0', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    line: (prefix) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = output.split('\n').find((candidate) => candidate.startsWith(prefix));
          if (found !== undefined) {
            listeners.delete(check);
            resolve(found);
          }
        };
        listeners.add(check);
        check();
        void exited.then(() => reject(new Error(`exited before a line starting "${prefix}":\n${output}`)));
      }),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function postmasterPid(stateDir: string): Promise<number> {
  return Number((await readFile(path.join(stateDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

describe('sessionlake dev (npm start) when things are in the way', () => {
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function stateDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'sessionlake-start-'));
    await chmod(dir, 0o755);
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return path.join(dir, 'state');
  }

  it('exits with a one-line error naming the Postgres port when another program holds it', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const dev = startDev(['--pg-port', String(port), '--data-dir', await stateDir()]);

    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain(
      `sessionlake dev: Port ${port} on 127.0.0.1 is already in use by another program, so the embedded Postgres cannot listen there: ` +
        'stop that program, choose another port (--pg-port; 0 picks a free one), or set DATABASE_URL to use a running server.\n',
    );
  });

  it('ends on one SIGTERM while still starting, leaving no Postgres running', async () => {
    const state = await stateDir();
    const dev = startDev(['--pg-port', '0', '--data-dir', state]);
    await dev.line('starting Postgres and the S3/SQS emulator');

    dev.child.kill('SIGTERM');

    expect(await dev.exited).toBe(0);
    expect(dev.output().trimEnd().split('\n').at(-1)).toBe('stopped');
    expect(existsSync(path.join(state, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('ends when SIGTERM is sent to `npm start` itself (npm passes it to the CLI, not only to a shell between them)', async () => {
    const state = await stateDir();
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    const npm = spawn('npm', ['start', '--', '--no-home', '--s3-port', '0', '--web-port', '0', '--pg-port', '0', '--data-dir', state], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(npm);
    let output = '';
    npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // 'close': every holder of the output pipes has exited, the CLI under npm included.
    const closed = new Promise<void>((resolve) => npm.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      npm.stdout?.on('data', () => /^ready:/m.test(output) && resolve());
      npm.on('exit', () => reject(new Error(`npm start exited before ready:\n${output}`)));
    });

    npm.kill('SIGTERM');
    await closed;

    expect(output.trimEnd().split('\n').at(-1)).toBe('stopped');
    expect(existsSync(path.join(state, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('after kill -9, its Postgres stops too, and the next start has the hand-pushed object, byte for byte', async () => {
    const state = await stateDir();
    const first = startDev(['--pg-port', '0', '--data-dir', state]);
    const ready = /^ready: s3=(\S+) bucket=(\S+)/.exec(await first.line('ready:'));
    const s3 = (endpoint: string) =>
      new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const key = 'laptop/raw/claude/-home-me-p/eeeeeeee-0000-4000-8000-000000000005.jsonl';
    const body = '{"type":"user","message":{"role":"user","content":"kept?"}}\n';
    const firstClient = s3(ready?.[1] ?? '');
    const pushed = await firstClient.send(new PutObjectCommand({ Bucket: ready?.[2], Key: key, Body: body }));
    firstClient.destroy();
    const pid = await postmasterPid(state);

    first.child.kill('SIGKILL');
    await first.exited;
    for (let waited = 0; isAlive(pid); waited += 100) {
      if (waited > 30_000) throw new Error(`Postgres pid ${pid} still runs 30 s after its parent was killed`);
      await sleep(100);
    }
    const second = startDev(['--pg-port', '0', '--data-dir', state]);
    const again = /^ready: s3=(\S+) bucket=(\S+)/.exec(await second.line('ready:'));
    const secondClient = s3(again?.[1] ?? '');
    const kept = await secondClient.send(new GetObjectCommand({ Bucket: again?.[2], Key: key }));
    const keptBody = await kept.Body?.transformToString();
    secondClient.destroy();
    second.child.kill('SIGINT');

    expect(keptBody).toBe(body);
    expect(kept.ETag).toBe(pushed.ETag);
    expect(await second.exited).toBe(0);
  }, 240_000); // two starts (each may take the 90 s line() allows) and the 30 s wait for Postgres to stop

  it('with --no-notifications, says the bucket is not loaded on its own and how to load it', async () => {
    const dev = startDev(['--pg-port', '0', '--data-dir', await stateDir(), '--no-notifications']);
    const ready = /^ready: s3=(\S+) bucket=(\S+)/.exec(await dev.line('ready:'));
    dev.child.kill('SIGINT');
    await dev.exited;

    expect(dev.output()).toContain(
      `notifications: off — uploads land in s3://${ready?.[2]} but no event reaches the queue, so nothing is ingested on its own\n`,
    );
    expect(dev.output()).toMatch(new RegExp(`\\nload it: .*AWS_ENDPOINT_URL_S3=${ready?.[1]} .*npx sessionlake backfill s3://${ready?.[2]} `));
    expect(dev.output()).toContain('landed: 0 sessions, 0 messages, 0 tool calls\n');
  });
});
