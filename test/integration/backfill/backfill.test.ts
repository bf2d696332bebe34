import { execFile } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARSERS, storedParserVersion } from '../../../shared/parsers/registry.js';
import { SAMPLE_OBJECTS } from '../../fixtures/copilot/expectations.js';
import { geminiFixtures } from '../../fixtures/gemini/expectations.js';
import { awsCliEnv, findAwsCli } from '../../support/aws-cli.js';
import { backfillHarness, type BackfillHarness } from '../../support/backfill.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The backfill over the real emulator and Postgres: a bucket loaded with notifications off ends up exactly as
 * the event path leaves it; a second run touches nothing; changes, deletions, sidecars and a parser version bump
 * are found by listing alone.
 */

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const MACHINES = ['laptop', 'gpu-01'] as const;
const BUCKET = 'sessionlake-raw';
const NOTIFICATIONS_OFF = { prefix: 'notifications-are-off/' };

const awsCli = await findAwsCli();

/** A session whose Bash result was too large for the log: Claude Code kept a preview and saved the rest. */
const SAVED_SESSION = '-home-me-big/5e1d0c1e-0000-4000-8000-00000000b16b';
const SAVED_PATH = `/home/me/.claude/projects/${SAVED_SESSION}/tool-results/toolu_big.txt`;
const SAVED_PREVIEW = `<persisted-output>\nOutput too large (34.3KB). Full output saved to: ${SAVED_PATH}\n\nPreview (first 2KB):\nline 1\n</persisted-output>`;
const SAVED_OUTPUT = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`).join('\n');
const SAVED_LOG = [
  { type: 'user', sessionId: '5e1d0c1e-0000-4000-8000-00000000b16b', uuid: 'u1', timestamp: '2026-04-01T10:00:00Z', message: { content: 'print the log' } },
  { type: 'assistant', sessionId: '5e1d0c1e-0000-4000-8000-00000000b16b', uuid: 'a1', timestamp: '2026-04-01T10:00:01Z', message: { id: 'msg_b', model: 'claude-x', content: [{ type: 'tool_use', id: 'toolu_big', name: 'Bash', input: { command: 'cat log' } }], usage: { input_tokens: 5, output_tokens: 3 } } },
  { type: 'user', sessionId: '5e1d0c1e-0000-4000-8000-00000000b16b', uuid: 'u2', timestamp: '2026-04-01T10:00:02Z', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_big', content: SAVED_PREVIEW }] }, toolUseResult: { persistedOutputPath: SAVED_PATH } },
].map((line) => JSON.stringify(line)).join('\n') + '\n';

/** Fixture trees copied with old mtimes: logs exist before the cron job syncs them. */
async function copyFixtures(): Promise<{ claude: string; codex: string; gemini: string; qwen: string; copilot: string; root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'sessionlake-backfill-'));
  await cp(path.join(FIXTURES, 'claude', 'projects'), path.join(root, 'claude'), { recursive: true });
  await cp(path.join(FIXTURES, 'codex', 'sessions'), path.join(root, 'codex'), { recursive: true });
  await cp(path.join(FIXTURES, 'gemini', 'tmp'), path.join(root, 'gemini'), { recursive: true });
  await cp(path.join(FIXTURES, 'qwen', 'projects'), path.join(root, 'qwen'), { recursive: true });
  // ~/.copilot as README's sync sends it: its .jsonl files only
  await cp(path.join(FIXTURES, 'copilot', 'home'), path.join(root, 'copilot'), {
    recursive: true,
    filter: async (source) => source.endsWith('.jsonl') || (await stat(source)).isDirectory(),
  });
  await mkdir(path.join(root, 'claude', path.dirname(SAVED_SESSION)), { recursive: true });
  await writeFile(path.join(root, 'claude', `${SAVED_SESSION}.jsonl`), SAVED_LOG);
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const entry of await readdir(root, { recursive: true })) await utimes(path.join(root, entry), anHourAgo, anHourAgo);
  return { claude: path.join(root, 'claude'), codex: path.join(root, 'codex'), gemini: path.join(root, 'gemini'), qwen: path.join(root, 'qwen'), copilot: path.join(root, 'copilot'), root };
}

/** `root` holds one folder per agent (claude/, codex/, gemini/, qwen/, copilot/): one sync per machine puts each under raw/<agent>/. */
async function syncBothMachines(stack: IngestStack, dirs: { root: string }): Promise<void> {
  for (const machine of MACHINES) {
    await run(
      awsCli ?? 'aws',
      ['--endpoint-url', stack.emulator.endpoint, 's3', 'sync', dirs.root, `s3://${stack.emulator.bucket}/${machine}/raw/`, '--no-progress'],
      { env: awsCliEnv(stack.emulator.region) },
    );
  }
}


function cliEnv(stack: IngestStack): NodeJS.ProcessEnv {
  return {
    ...awsCliEnv(stack.emulator.region),
    DATABASE_URL: stack.database.url,
    AWS_ENDPOINT_URL_S3: stack.emulator.endpoint,
  };
}

/** Every row of the four tables, without the columns that only say when or by which event a row was written. */
async function snapshot(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const tables: Array<[string, string, string]> = [
    ['objects', 'first_seen_at, ingested_at, updated_at, deleted_at, sequencer, last_modified', 'uri'],
    ['sessions', 'updated_at', 'id'],
    ['messages', '', 'session_id, ordinal'],
    ['tool_calls', '', 'session_id, message_ordinal, call_index'],
    // what bills, decided at write time (Copilot CLI's shutdown totals against its OTel spans among it)
    ['billed_responses', '', 'response_key'],
  ];
  const result: Record<string, unknown[]> = {};
  for (const [table, ignored, order] of tables) {
    const rows = await pool.query(`SELECT * FROM sessionlake.${table} ORDER BY ${order}`);
    const drop = new Set(ignored.split(',').map((column) => column.trim()).filter((column) => column !== ''));
    result[table] = rows.rows.map((row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([column]) => !drop.has(column))));
  }
  return result;
}

describe.skipIf(awsCli === null)('sessionlake backfill of a bucket synced with notifications off', () => {
  let backfilled: IngestStack;
  let evented: IngestStack;
  let dirs: Awaited<ReturnType<typeof copyFixtures>>;
  let harness: BackfillHarness;

  beforeAll(async () => {
    [backfilled, evented, dirs] = await Promise.all([
      startIngestStack({ emulator: { bucket: BUCKET, filter: NOTIFICATIONS_OFF } }),
      startIngestStack({ emulator: { bucket: BUCKET }, runner: { functionTimeoutMs: 30_000, visibilityTimeoutSeconds: 30, waitTimeSeconds: 1 } }),
      copyFixtures(),
    ]);
    harness = backfillHarness(backfilled);
  });

  afterAll(async () => {
    await Promise.all([backfilled?.stop(), evented?.stop(), dirs && rm(dirs.root, { recursive: true, force: true })]);
  });

  // Twelve aws CLI syncs (three agents, two machines, two stacks) and a drain: more than the default 60 s on a busy machine.
  it('holds every session exactly as the event path produces it, row for row', async () => {
    await Promise.all([syncBothMachines(backfilled, dirs), syncBothMachines(evented, dirs)]);
    await evented.runner?.drain();

    const { stdout, stderr } = await run(process.execPath, [CLI, 'backfill', `s3://${BUCKET}`], { env: cliEnv(backfilled) });

    const viaBackfill = await snapshot(backfilled.pool);
    const viaEvents = await snapshot(evented.pool);
    const files = (await readdir(dirs.root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).length;
    expect(viaBackfill['objects']).toHaveLength(files * MACHINES.length);
    expect(viaBackfill['sessions']?.length).toBeGreaterThan(0);
    // Gemini CLI's sessions too, the legacy .json documents included (notified by their own suffix).
    const geminiSessions = (viaBackfill['sessions'] ?? []).filter((row) => (row as { agent: string }).agent === 'gemini');
    expect(geminiSessions).toHaveLength(geminiFixtures.length * MACHINES.length);
    expect(geminiSessions.filter((row) => (row as { id: string }).id.endsWith('.json'))).toHaveLength(3 * MACHINES.length);
    expect(viaBackfill).toEqual(viaEvents);
    expect(stdout).toMatch(new RegExp(`s3://${BUCKET}/\\s+finished\\s+${files * MACHINES.length}\\s+${files * MACHINES.length}\\s+0\\s+0\\s+0`));
    expect(stderr).not.toContain('failed');
  }, 300_000);

  it('lists everything and ingests nothing on a second run: no GetObject at all', async () => {
    backfilled.getObjectKeys.length = 0;

    const result = await harness.run();

    const objects = (await backfilled.pool.query('SELECT count(*)::int AS n FROM sessionlake.objects')).rows[0]?.n as number;
    expect(result).toMatchObject({ status: 'finished', counts: { listed: objects, unchanged: objects, new: 0, changed: 0, deleted: 0, ingested: 0 } });
    expect(backfilled.getObjectKeys).toEqual([]);
  });

  it('finds exactly a changed file, a deleted one and a new sidecar, and reads the sidecar into its session', async () => {
    const changedPath = '-Users-dev-ccusage/11e0f562-b05e-406b-948e-23596565c9f5.jsonl';
    const deletedKey = 'gpu-01/raw/codex/2026/05/02/rollout-2026-05-02T12-33-22-0d4a7e26-91bc-4f35-a6e2-58c7f1b9d3a0.jsonl';
    const sessionKey = `laptop/raw/claude/${changedPath}`;
    await appendFile(
      path.join(dirs.claude, changedPath),
      `\n${JSON.stringify({ type: 'user', sessionId: '11e0f562-b05e-406b-948e-23596565c9f5', timestamp: '2026-01-01T00:00:00Z', message: { content: 'one more' } })}\n`,
    );
    await run(awsCli ?? 'aws', ['--endpoint-url', backfilled.emulator.endpoint, 's3', 'sync', dirs.claude, `s3://${BUCKET}/laptop/raw/claude/`, '--no-progress'], {
      env: awsCliEnv(backfilled.emulator.region),
    });
    await backfilled.emulator.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: deletedKey }));
    const sidecarSession = `laptop/raw/claude/${SAVED_SESSION}`;
    const resultOf = () =>
      backfilled.pool.query('SELECT result_text FROM sessionlake.tool_calls WHERE session_id = $1 AND call_id = $2', [sidecarSession, 'toolu_big']);
    expect((await resultOf()).rows).toEqual([{ result_text: SAVED_PREVIEW }]);
    await backfilled.emulator.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${sidecarSession}/tool-results/toolu_big.txt`, Body: SAVED_OUTPUT }),
    );
    const before = await backfilled.pool.query('SELECT message_count FROM sessionlake.sessions WHERE id = $1', [sessionKey.replace(/\.jsonl$/, '')]);

    const result = await harness.run();

    expect(result).toMatchObject({ status: 'finished', counts: { new: 1, changed: 1, deleted: 1, reparsed: 0, retried: 0, ingested: 2, failed: 0 } });
    const after = await backfilled.pool.query('SELECT message_count FROM sessionlake.sessions WHERE id = $1', [sessionKey.replace(/\.jsonl$/, '')]);
    expect(after.rows[0]?.message_count).toBe((before.rows[0]?.message_count as number) + 1);
    const deleted = await backfilled.pool.query(
      `SELECT o.state, s.deleted_at IS NOT NULL AS session_deleted FROM sessionlake.objects o JOIN sessionlake.sessions s ON s.object_uri = o.uri WHERE o.key = $1`,
      [deletedKey],
    );
    expect(deleted.rows).toEqual([{ state: 'deleted', session_deleted: true }]);
    const sidecar = await backfilled.pool.query(`SELECT kind, state, session_id FROM sessionlake.objects WHERE key LIKE '%/tool-results/%'`);
    expect(sidecar.rows).toEqual([{ kind: 'sidecar', state: 'ingested', session_id: sidecarSession }]);
    expect((await resultOf()).rows).toEqual([{ result_text: SAVED_OUTPUT }]);
  });

  it('re-ingests exactly one agent\'s objects after that parser\'s version changes', async () => {
    const codexObjects = (
      await backfilled.pool.query(`SELECT count(*)::int AS n FROM sessionlake.objects WHERE agent = 'codex' AND state = 'ingested' AND parser_version IS NOT NULL`)
    ).rows[0]?.n as number;
    expect(codexObjects).toBeGreaterThan(0);
    const original = PARSERS.codex.version;
    PARSERS.codex.version = `${original}-next`;
    try {
      const result = await harness.run();

      expect(result).toMatchObject({ status: 'finished', counts: { reparsed: codexObjects, ingested: codexObjects, new: 0, changed: 0, failed: 0 } });
      const versions = await backfilled.pool.query(
        `SELECT agent, parser_version, count(*)::int AS n FROM sessionlake.objects WHERE state = 'ingested' AND parser_version IS NOT NULL GROUP BY 1, 2 ORDER BY 1`,
      );
      expect(versions.rows).toEqual([
        { agent: 'claude', parser_version: storedParserVersion(PARSERS.claude), n: expect.any(Number) },
        { agent: 'codex', parser_version: storedParserVersion(PARSERS.codex), n: codexObjects },
        // Copilot CLI: its sessions and OTel exports on each machine
        { agent: 'copilot', parser_version: storedParserVersion(PARSERS.copilot), n: SAMPLE_OBJECTS.length * MACHINES.length },
        // Gemini: its sessions on each machine, untouched by Codex's version.
        { agent: 'gemini', parser_version: storedParserVersion(PARSERS.gemini), n: geminiFixtures.length * MACHINES.length },
        { agent: 'qwen', parser_version: storedParserVersion(PARSERS.qwen), n: expect.any(Number) },
      ]);
    } finally {
      PARSERS.codex.version = original;
    }
  });
});
