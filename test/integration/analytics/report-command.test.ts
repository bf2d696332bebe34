import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { startAnalyticsStack } from '../../support/analytics.js';
import type { IngestStack } from '../../support/ingest-stack.js';

/**
 * `sessionlake report` against the ingested fixtures: its totals are those of sessionlake.daily_usage, --json is
 * JSON, and days are cut in --timezone. Three runs are child processes as a user starts them (DATABASE_URL, exit
 * code, stdout); the others call the CLI's main() in this process with stdout captured, which spares each one
 * the CLI's start-up.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: IngestStack;

function childReport(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/sessionlake.js', 'report', ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: stack.database.url }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    );
  });
}

interface JsonReport {
  report: string;
  rows: Array<Record<string, unknown>>;
  totals: Record<string, number>;
}

function parseJson(run: Run): JsonReport {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as JsonReport;
}

/** In this process, one at a time (the capture is process-wide). */
async function report(...args: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array): boolean => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr) as typeof process.stderr.write);
  try {
    const code = await main(['report', ...args, '--database-url', stack.database.url]);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Started as child processes, together. */
const CHILD_INVOCATIONS = {
  dailyJson: ['daily', '--json'],
  dailyTable: ['daily'],
  badZone: ['daily', '--timezone', 'Mars/Olympus_Mons'],
} as const;

/** Run in this process. */
const INVOCATIONS = {
  utc: ['daily', '--json', '--since', '2025-09-02', '--until', '2025-09-03'],
  losAngeles: ['daily', '--json', '--since', '2025-09-02', '--until', '2025-09-03', '--timezone', 'America/Los_Angeles'],
  // A value starting with '-' is given with '=' (as for any option parsed by node:util parseArgs).
  byName: ['daily', '--json', '--since', '2026-01-09', '--until', '2026-01-09', '--machine', 'sample', '--project=-Users-dev-project-alpha'],
  byKey: ['daily', '--json', '--since', '2026-01-09', '--until', '2026-01-09', '--machine', 'sample', '--project', 'sample/-Users-dev-project-alpha'],
  otherMachine: ['daily', '--json', '--machine', 'no-such-machine'],
  badDay: ['daily', '--since', '09/03/2025'],
  sessions: ['sessions', '--json', '--limit', '1000'],
  models: ['models', '--json'],
} as const;

const runs = {} as Record<keyof typeof INVOCATIONS | keyof typeof CHILD_INVOCATIONS, Run>;

beforeAll(async () => {
  stack = await startAnalyticsStack();
  const children = Object.keys(CHILD_INVOCATIONS) as Array<keyof typeof CHILD_INVOCATIONS>;
  const childRuns = Promise.all(children.map((name) => childReport(...CHILD_INVOCATIONS[name])));
  for (const name of Object.keys(INVOCATIONS) as Array<keyof typeof INVOCATIONS>) runs[name] = await report(...INVOCATIONS[name]);
  (await childRuns).forEach((run, index) => {
    runs[children[index] as keyof typeof CHILD_INVOCATIONS] = run;
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('sessionlake report daily', () => {
  it('prints the totals of daily_usage, as JSON with --json', async () => {
    // Prepare
    const { rows } = await stack.pool.query<Record<string, string>>(
      `SELECT sum(responses) AS responses, sum(input_tokens) AS input, sum(output_tokens) AS output,
              sum(cache_creation_input_tokens) AS cache_write, sum(cache_read_input_tokens) AS cache_read,
              sum(priced_cost_usd) AS cost, sum(unpriced_responses) AS unpriced, count(DISTINCT day) AS days
         FROM sessionlake.daily_usage`,
    );
    const expected = rows[0] ?? {};

    // Act
    const json = parseJson(runs.dailyJson);

    // Assess
    expect(json.report).toBe('daily');
    expect(json.totals).toMatchObject({
      responses: Number(expected['responses']),
      inputTokens: Number(expected['input']),
      outputTokens: Number(expected['output']),
      cacheCreationInputTokens: Number(expected['cache_write']),
      cacheReadInputTokens: Number(expected['cache_read']),
      unpricedResponses: Number(expected['unpriced']),
    });
    expect(json.totals['costUsd']).toBeCloseTo(Number(expected['cost']), 9);
    // daily_usage's day count leaves out the NULL day of usage without a timestamp; the report shows it as a row
    expect(json.rows.filter((row) => row['day'] !== null)).toHaveLength(Number(expected['days']));
  });

  it('prints a table whose Total line has the same tokens and cost', async () => {
    // Prepare
    const totals = parseJson(runs.dailyJson).totals;

    // Act
    const table = runs.dailyTable;

    // Assess
    expect(table.code, table.stderr).toBe(0);
    const totalLine = table.stdout.split('\n').find((line) => line.startsWith('Total'));
    expect(totalLine).toBeDefined();
    const format = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
    expect(totalLine).toContain(format.format(totals['inputTokens'] ?? -1));
    expect(totalLine).toContain(format.format(totals['cacheReadInputTokens'] ?? -1));
    expect(totalLine).toContain(`$${(totals['costUsd'] ?? -1).toFixed(2)}*`);
    expect(table.stdout).toContain('responses have no price');
  });

  it('cuts days in --timezone', async () => {
    // Prepare: 1af7fc5e…jsonl and agent-test-hash-123.jsonl were written 2025-09-03 00:47 UTC, 2025-09-02 17:47 in
    // Los Angeles. Their outputs (jq, largest per response): 953 + 10.
    const utc = parseJson(runs.utc);

    // Act
    const la = parseJson(runs.losAngeles);

    // Assess
    expect(utc.rows.map((row) => [row['day'], row['outputTokens']])).toEqual([['2025-09-03', 963]]);
    expect(la.rows.map((row) => [row['day'], row['outputTokens']])).toEqual([['2025-09-02', 963]]);
  });

  it('filters by --since, --until, --machine and --project', async () => {
    // Prepare: -Users-dev-project-alpha/2774dd33…jsonl, 2026-01-09: input 100 + 200 (jq). No session of that folder
    // records a cwd, so the project's name is the folder's.
    // Act
    const byName = parseJson(runs.byName);
    const byKey = parseJson(runs.byKey);
    const otherMachine = parseJson(runs.otherMachine);

    // Assess
    expect(byName.rows.map((row) => [row['day'], row['inputTokens']])).toEqual([['2026-01-09', 300]]);
    expect(byKey.rows).toEqual(byName.rows);
    expect(otherMachine.rows).toEqual([]);
  });

  it('refuses a time zone Postgres does not know, and a day that is not YYYY-MM-DD', async () => {
    const zone = runs.badZone;
    const day = runs.badDay;

    expect(zone.code).toBe(1);
    expect(zone.stderr).toContain('"Mars/Olympus_Mons" is not a time zone');
    expect(day.code).toBe(1);
    expect(day.stderr).toContain('--since must be a day as YYYY-MM-DD');
  });
});

describe('sessionlake report sessions and models', () => {
  it('rolls a session resumed in another file and a subagent into their sessions, billed once', async () => {
    // Prepare: totals of the sessions report equal those of usage for top-level sessions' trees, i.e. all usage
    const { rows } = await stack.pool.query<{ responses: string }>(`SELECT count(*) AS responses FROM sessionlake.usage`);

    // Act
    const sessions = parseJson(runs.sessions);

    // Assess
    expect(sessions.totals['responses']).toBe(Number(rows[0]?.responses));
    const demo = sessions.rows.find((row) => String(row['sessionId']).endsWith('5c0375b4-57a5-4f26-b12d-d022ee4e51b7'));
    // 5c0375b4…jsonl (ccusage: output 3629 on 2025-09-07, sidechain lines included) + agent-test-hash-123.jsonl (jq: 10)
    expect(demo).toMatchObject({ project: 'Demo', projectKey: 'sample/-path-to-Demo', subagents: 2, outputTokens: 3629 + 10 });
  });

  it('lists every model with its cost, unpriced ones with unpricedResponses', async () => {
    const models = parseJson(runs.models);

    const opus5 = models.rows.find((row) => row['model'] === 'claude-opus-5');
    const codex = models.rows.find((row) => row['model'] === 'gpt-5-codex');
    expect(opus5).toMatchObject({ responses: 1, costUsd: 0, unpricedResponses: 1, pricedAs: null });
    expect(codex).toMatchObject({ responses: 1, unpricedResponses: 0, pricedAs: 'gpt-5-codex' });
    expect(codex?.['costUsd']).toBeCloseTo(0.003, 12);
  });
});
