import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * People and teams on sessions uploaded the way machines upload them (PutObject → notification → queue →
 * ingest), decided by each route, and re-decided at once by `sessionlake people` (README "Set up your org").
 * The expected people are read off the keys and the fixtures' cwd fields (quoted next to each upload).
 */

const CLI = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
const FIXTURES = new URL('../../fixtures/', import.meta.url);
let stack: IngestStack;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: stack.database.url } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function upload(key: string, fixture: string): Promise<void> {
  const body = await readFile(new URL(fixture, FIXTURES));
  await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
}

async function people(): Promise<Record<string, string>> {
  const rows = await stack.pool.query(
    `SELECT s.machine || ' ' || s.agent || ' ' || coalesce(s.cwd, '-') AS session,
            coalesce(p.person, '(no one)') || ' by ' || coalesce(p.person_source, '-') || ', team ' || coalesce(p.team, '-') AS who
       FROM sessionlake.session_people p JOIN sessionlake.sessions s ON s.id = p.session_id
      WHERE s.kind = 'session' ORDER BY 1`,
  );
  return Object.fromEntries(rows.rows.map((row) => [row.session, row.who]));
}

beforeAll(async () => {
  stack = await startIngestStack({ runner: { functionTimeoutMs: 5_000, visibilityTimeoutSeconds: 5, waitTimeSeconds: 1 } });
  // cwd "/tmp": only the key names the person.
  await upload('alice@laptop/raw/claude/-tmp/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f.jsonl', 'claude/projects/-tmp/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f.jsonl');
  // A shared box: cwd "/Users/alice/code/my-app" and "/home/user/code/api" name their OS users.
  await upload('gpu-1/raw/claude/-Users-alice-code-my-app/041ea817-0561-457c-ad69-4b7d9c24f256.jsonl', 'claude/projects/-Users-alice-code-my-app/041ea817-0561-457c-ad69-4b7d9c24f256.jsonl');
  await upload(
    'gpu-1/raw/codex/2026/08/01/rollout-2026-08-01T18-07-03-019fbcca-9fd4-7d20-83dc-0762b2f839b3.jsonl',
    'codex/sessions/2026/08/01/rollout-2026-08-01T18-07-03-019fbcca-9fd4-7d20-83dc-0762b2f839b3.jsonl',
  );
  // cwd "/path/to/Demo": nothing names anyone until the machine is bound.
  await upload('build-7/raw/claude/-path-to-Demo/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl', 'claude/projects/-path-to-Demo/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl');
  await stack.runner?.drain();
}, 60_000);

afterAll(() => stack?.stop());

describe('people and teams through the upload path', () => {
  it('names each session\'s person by the key, then the logs, and no one when neither says', async () => {
    expect(await people()).toEqual({
      'alice@laptop claude /tmp': 'alice by key, team -',
      'build-7 claude /path/to/Demo': '(no one) by -, team -',
      'gpu-1 claude /Users/alice/code/my-app': 'alice by logs, team -',
      'gpu-1 codex /home/user/code/api': 'user by logs, team -',
    });
  });

  it('sessionlake people binds machines and teams, and the views change at once', async () => {
    const added = await cli(['people', 'add', 'ci-bot', '--team', 'platform', '--machines', 'build-7']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('machine build-7 → ci-bot');
    expect((await cli(['people', 'add', 'alice', '--team', 'web', '--email', 'alice@example.com'])).code).toBe(0);
    expect((await cli(['people', 'team-machines', 'ml', '--machine-pattern', 'gpu-%'])).code).toBe(0);

    expect(await people()).toEqual({
      'alice@laptop claude /tmp': 'alice by key, team web',
      'build-7 claude /path/to/Demo': 'ci-bot by binding, team platform',
      'gpu-1 claude /Users/alice/code/my-app': 'alice by logs, team web',
      // `user` is no one sessionlake knows: the shared box's team.
      'gpu-1 codex /home/user/code/api': 'user by logs, team ml',
    });

    // The rollup reports the same people and teams (one row per day, model, person and team of the machine).
    const daily = await stack.pool.query(
      `SELECT DISTINCT machine, person, team FROM sessionlake.daily_usage ORDER BY 1, 2 NULLS LAST`,
    );
    // (alice@laptop's log has no usage object: nothing of it is billed.)
    expect(daily.rows).toEqual([
      { machine: 'build-7', person: 'ci-bot', team: 'platform' },
      { machine: 'gpu-1', person: 'alice', team: 'web' },
      { machine: 'gpu-1', person: 'user', team: 'ml' },
    ]);

    const moved = await cli(['people', 'add', 'bob', '--machines', 'build-7']);
    expect(moved.stdout).toContain('machine build-7 → bob (was ci-bot)');
    expect((await people())['build-7 claude /path/to/Demo']).toBe('bob by binding, team -');
    const rebound = await stack.pool.query(`SELECT DISTINCT person, team FROM sessionlake.daily_usage WHERE machine = 'build-7'`);
    expect(rebound.rows).toEqual([{ person: 'bob', team: null }]);

    expect((await cli(['people', 'unbind', '--machines', 'build-7'])).stdout).toContain('removed 1 machine binding(s)');
    expect((await people())['build-7 claude /path/to/Demo']).toBe('(no one) by -, team -');
  });

  it('people list shows the people, the team machines and whom sessions count to', async () => {
    const listed = await cli(['people', 'list', '--json']);
    expect(listed.code).toBe(0);
    const parsed = JSON.parse(listed.stdout) as { people: Array<{ person: string; team: string | null }>; sessions: unknown[] };
    expect(parsed.people.map((p) => [p.person, p.team])).toEqual([['alice', 'web'], ['bob', null], ['ci-bot', 'platform']]);
    expect(parsed.sessions).toContainEqual({ machine: 'gpu-1', person: 'user', personSource: 'logs', team: 'ml', teamSource: 'machine', sessions: 1 });
    const table = await cli(['people', 'list']);
    expect(table.stdout).toMatch(/^gpu-1\s+alice\s+logs\s+web\s+1$/m);
  });

  it('report daily --by person and --by team: the rollup\'s days and groups equal the billed responses summed by hand', async () => {
    expect((await cli(['people', 'add', 'alice', '--team', 'web'])).code).toBe(0);
    const reference = await stack.pool.query<{ day: string; group: string | null; responses: number; cost: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, person AS group, count(*)::int AS responses, coalesce(sum(cost_usd), 0)::float8 AS cost
         FROM sessionlake.usage GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(reference.rows.length).toBeGreaterThan(1);
    const byPerson = await cli(['report', 'daily', '--by', 'person', '--format', 'json']);
    expect(byPerson.code).toBe(0);
    const rows = (JSON.parse(byPerson.stdout) as { rows: Array<{ day: string; group: string | null; responses: number; costUsd: number }> }).rows;
    const sorted = rows.map((row) => ({ day: row.day, group: row.group, responses: row.responses, cost: row.costUsd }))
      .sort((a, b) => `${a.day}${a.group}`.localeCompare(`${b.day}${b.group}`));
    expect(sorted.map(({ cost, ...rest }) => rest)).toEqual(reference.rows.map(({ cost, ...rest }) => rest).sort((a, b) => `${a.day}${a.group}`.localeCompare(`${b.day}${b.group}`)));
    for (const row of sorted) {
      const same = reference.rows.find((r) => r.day === row.day && r.group === row.group);
      expect(row.cost).toBeCloseTo(same?.cost ?? -1, 9);
    }

    // --team keeps one team's usage; CSV has a header and one line per row.
    const web = await cli(['report', 'daily', '--by', 'team', '--team', 'web', '--format', 'csv']);
    const [header, ...lines] = web.stdout.trimEnd().split('\r\n');
    expect(header).toBe('day,group,responses,inputTokens,outputTokens,cacheCreationInputTokens,cacheReadInputTokens,reasoningOutputTokens,totalTokens,costUsd,unpricedResponses');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.split(',')[1] === 'web')).toBe(true);
    expect(await cli(['report', 'sessions', '--by', 'team'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--by goes with the daily report') });
  });

  it('refuses what it cannot do, with the reason', async () => {
    expect(await cli(['people', 'fire', 'x'])).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown action "fire"') });
    expect(await cli(['people', 'remove', 'nobody'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no person "nobody"') });
    expect(await cli(['people', 'team-machines', 'ml'])).toMatchObject({ code: 1, stderr: expect.stringContaining('needs --machines') });
    expect(await cli(['people', 'add', 'x', '--machines', 'gpu-%'])).toMatchObject({ code: 1, stderr: expect.stringContaining('use --machine-pattern') });
  });
});
