import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeFixtureExpectations } from '../../fixtures/claude/expectations.js';
import { codexFixtureExpectations } from '../../fixtures/codex/expectations.js';

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
      ['bin/sessionlake.js', 'dev', '--no-home', '--s3-port', '0', '--pg-port', '0', '--data-dir', path.join(dataDir, 'pg')],
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

    const match = /^ready: s3=(http:\/\/\S+) bucket=(\S+) postgres=(postgres:\/\/\S+)$/.exec(ready);
    expect(match).not.toBeNull();
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
      ]);
    } finally {
      await client.end();
    }

    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
