import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildS3NotificationRecord, S3EventName } from '../../../infra/local/s3-event.js';
import { claudeFixtureExpectations, claudeProjectsDir } from '../../fixtures/claude/expectations.js';
import { codexFixtureExpectations, codexSessionsDir } from '../../fixtures/codex/expectations.js';
import { geminiFixtures, geminiTmpDir } from '../../fixtures/gemini/expectations.js';
import { qwenFixtureExpectations, qwenProjectsDir } from '../../fixtures/qwen/expectations.js';
import { BILLED_WITH_SPANS, REAL_BILLED, SAMPLE_OBJECTS, copilotHomeDir } from '../../fixtures/copilot/expectations.js';
import { awsCliEnv, findAwsCli } from '../../support/aws-cli.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The acceptance path of the vertical slice: the real AWS CLI syncs a directory laid out like
 * ~/.claude/projects into the local S3; the bridge turns uploads into S3 notifications on the queue; the
 * runner feeds them to the ingest batch handler like the Lambda SQS event source; Postgres is checked
 * against numbers counted from the fixture files.
 */

const run = promisify(execFile);
const awsCli = await findAwsCli();
const MACHINE = 'laptop-01';

/**
 * Copies a fixture tree to a temp dir with mtimes an hour old: logs are written before the cron job syncs them,
 * and aws s3 sync re-uploads a file whose mtime is newer than the object's whole-second LastModified.
 */
async function copyAsWrittenEarlier(source: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await cp(source, dir, { recursive: true });
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const entry of await readdir(dir, { recursive: true })) {
    await utimes(path.join(dir, entry), anHourAgo, anHourAgo);
  }
  return dir;
}

interface LandedSession {
  path: string;
  sourceSessionId: string;
  parentSourceSessionId: string | null;
  project: string | null;
  originator: string | null;
  title: string | null;
  model: string | null;
  messages: number;
  userMessages: number;
  toolCalls: number;
  pendingToolCalls: number;
  tokens: {
    input: number | null;
    output: number | null;
    cacheCreationInput: number | null;
    cacheReadInput: number | null;
    reasoningOutput: number | null;
  };
}

/** One agent's sessions as Postgres holds them, keyed by their path under the synced folder. */
async function landedSessions(pool: pg.Pool, agent: 'claude' | 'codex' | 'qwen'): Promise<LandedSession[]> {
  const result = await pool.query(
    `SELECT substr(s.id, length($1) + 1) || '.jsonl' AS path, s.source_session_id, s.parent_source_session_id,
            s.project, s.originator, s.title, s.model, s.message_count, s.user_message_count, s.tool_call_count,
            (SELECT count(*)::int FROM sessionlake.tool_calls t WHERE t.session_id = s.id AND t.is_error IS NULL) AS pending,
            s.input_tokens, s.output_tokens, s.cache_creation_input_tokens, s.cache_read_input_tokens,
            s.reasoning_output_tokens
     FROM sessionlake.sessions s WHERE s.agent = $2 ORDER BY 1`,
    [`${MACHINE}/raw/${agent}/`, agent],
  );
  const toNumber = (value: string | null) => (value === null ? null : Number(value));
  return result.rows.map((row) => ({
    path: row.path,
    sourceSessionId: row.source_session_id,
    parentSourceSessionId: row.parent_source_session_id,
    project: row.project,
    originator: row.originator,
    title: row.title,
    model: row.model,
    messages: row.message_count,
    userMessages: row.user_message_count,
    toolCalls: row.tool_call_count,
    pendingToolCalls: row.pending,
    tokens: {
      input: toNumber(row.input_tokens),
      output: toNumber(row.output_tokens),
      cacheCreationInput: toNumber(row.cache_creation_input_tokens),
      cacheReadInput: toNumber(row.cache_read_input_tokens),
      reasoningOutput: toNumber(row.reasoning_output_tokens),
    },
  }));
}

const COPILOT_FILTERS = ['--exclude', '*', '--include', '*.jsonl'];

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);

if (awsCli === null) {
  process.stderr.write('SKIPPED aws-cli-sync: the AWS CLI is not installed (apt-get install awscli)\n');
}

describe.skipIf(awsCli === null)('aws s3 sync of ~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, ~/.qwen/projects and ~/.copilot through the queue into Postgres', () => {
  let stack: IngestStack;
  let projectsDir: string;
  let codexDir: string;
  let geminiDir: string;
  let qwenDir: string;
  let copilotDir: string;

  async function sync(localDir = projectsDir, agent = 'claude', filters: string[] = []): Promise<string> {
    const { stdout } = await run(
      awsCli ?? 'aws',
      ['--endpoint-url', stack.emulator.endpoint, 's3', 'sync', localDir, `s3://${stack.emulator.bucket}/${MACHINE}/raw/${agent}/`, '--no-progress', ...filters],
      { env: awsCliEnv(stack.emulator.region) },
    );
    return stdout;
  }

  async function drain(): Promise<void> {
    await stack.runner?.drain();
  }

  beforeAll(async () => {
    stack = await startIngestStack({ runner: { functionTimeoutMs: 30_000, waitTimeSeconds: 1 } });
    projectsDir = await copyAsWrittenEarlier(claudeProjectsDir, 'sessionlake-projects-');
    codexDir = await copyAsWrittenEarlier(codexSessionsDir, 'sessionlake-codex-');
    geminiDir = await copyAsWrittenEarlier(geminiTmpDir, 'sessionlake-gemini-');
    qwenDir = await copyAsWrittenEarlier(qwenProjectsDir, 'sessionlake-qwen-');
    copilotDir = await copyAsWrittenEarlier(copilotHomeDir, 'sessionlake-copilot-');
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([projectsDir, codexDir, geminiDir, qwenDir, copilotDir].map((dir) => (dir ? rm(dir, { recursive: true }) : undefined)));
  });

  it('lands one session per Claude file with the counts read from the fixtures', async () => {
    await sync();
    await drain();

    const landed = (await landedSessions(stack.pool, 'claude')).map((s) => ({
      path: s.path,
      sourceSessionId: s.sourceSessionId,
      messages: s.messages,
      userMessages: s.userMessages,
      toolCalls: s.toolCalls,
      pendingToolCalls: s.pendingToolCalls,
      tokens: {
        input: s.tokens.input,
        output: s.tokens.output,
        cacheCreationInput: s.tokens.cacheCreationInput,
        cacheReadInput: s.tokens.cacheReadInput,
      },
    }));
    const expected = claudeFixtureExpectations
      .map(({ unknownLines: _unknown, ignoredLines: _ignored, ...rest }) => rest)
      .sort(byPath);
    expect(landed).toEqual(expected);
    const messageRows = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sessionlake.messages');
    expect(messageRows.rows[0]?.n).toBe(expected.reduce((sum, e) => sum + e.messages, 0));
    expect(stack.getObjectKeys).toHaveLength(expected.length);
  });

  it('links the subagent file to its parent session', async () => {
    const result = await stack.pool.query<{ id: string; parent: string | null; kind: string }>(
      `SELECT c.id, c.parent_session_id AS parent, c.kind FROM sessionlake.sessions c WHERE c.id LIKE '%/subagents/%'`,
    );

    expect(result.rows).toHaveLength(1);
    const child = result.rows[0];
    expect(child?.kind).toBe('subagent');
    expect(child?.parent).toBe(child?.id.replace(/\/subagents\/agent-[^/]+$/, ''));
    const parent = await stack.pool.query('SELECT 1 FROM sessionlake.sessions WHERE id = $1', [child?.parent]);
    expect(parent.rowCount).toBe(1);
  });

  it('lands Codex rollouts under raw/codex/YYYY/MM/DD/ with the counts read from the fixtures', async () => {
    stack.getObjectKeys.length = 0;

    await sync(codexDir, 'codex');
    await drain();

    const landed = (await landedSessions(stack.pool, 'codex')).map(({ tokens, ...rest }) => ({
      ...rest,
      tokens: {
        input: tokens.input,
        output: tokens.output,
        cacheReadInput: tokens.cacheReadInput,
        reasoningOutput: tokens.reasoningOutput,
      },
    }));
    const expected = codexFixtureExpectations
      .map((e) => ({
        path: e.path,
        sourceSessionId: e.sourceSessionId,
        parentSourceSessionId: e.parentSourceSessionId,
        project: e.project,
        originator: e.originator,
        title: e.title,
        model: e.model,
        messages: e.messages,
        userMessages: e.userMessages,
        toolCalls: e.toolCalls,
        pendingToolCalls: e.pendingToolCalls,
        tokens: e.tokens,
      }))
      .sort(byPath);
    expect(landed).toEqual(expected);
    expect([...stack.getObjectKeys].sort()).toEqual(expected.map((e) => `${MACHINE}/raw/codex/${e.path}`).sort());
  });

  it('lands Gemini CLI chats under raw/gemini/ (JSONL, legacy .json documents, a subagent) with the counts read from the fixtures', async () => {
    stack.getObjectKeys.length = 0;

    await sync(geminiDir, 'gemini');
    await drain();

    const root = `${MACHINE}/raw/gemini/`;
    const landed = await stack.pool.query(
      `SELECT substr(o.key, length($1) + 1) AS path, s.kind, s.source_session_id, s.cwd, s.title, s.model, s.message_count,
              s.user_message_count, s.tool_call_count, s.input_tokens::int, s.output_tokens::int, s.cache_read_input_tokens::int,
              s.reasoning_output_tokens::int,
              (SELECT count(*)::int FROM sessionlake.tool_calls t WHERE t.session_id = s.id AND t.is_error IS NULL) AS pending
       FROM sessionlake.sessions s JOIN sessionlake.objects o ON o.uri = s.object_uri WHERE s.agent = 'gemini' ORDER BY 1`,
      [root],
    );
    expect(landed.rows).toEqual(
      [...geminiFixtures].sort(byPath).map((e) => ({
        path: e.path,
        kind: e.kind,
        source_session_id: e.sourceSessionId,
        cwd: e.cwd,
        title: e.title,
        model: e.model,
        message_count: e.messages,
        user_message_count: e.userMessages,
        tool_call_count: e.toolCalls,
        input_tokens: e.tokens.input,
        output_tokens: e.tokens.output,
        cache_read_input_tokens: e.tokens.cacheReadInput,
        reasoning_output_tokens: e.tokens.reasoningOutput,
        pending: e.pendingToolCalls,
      })),
    );
    expect([...stack.getObjectKeys].sort()).toEqual(geminiFixtures.map((e) => `${root}${e.path}`).sort());

    // The subagent hangs under its parent, found by the parent's session id.
    const child = await stack.pool.query(
      `SELECT p.source_session_id AS parent FROM sessionlake.sessions c JOIN sessionlake.sessions p ON p.id = c.parent_session_id
       WHERE c.agent = 'gemini' AND c.kind = 'subagent'`,
    );
    expect(child.rows).toEqual([{ parent: '7d3e9a41-5b2c-4e8f-9a01-3c5d7e9f1b24' }]);

    // The legacy .json and the .jsonl it was resumed into share their first reply: billed once, the .jsonl's copy.
    const pair = await stack.pool.query(
      `SELECT u.session_id LIKE '%.json' AS legacy, sum(u.input_tokens)::int AS input
       FROM sessionlake.usage u JOIN sessionlake.sessions s ON s.id = u.session_id
       WHERE s.source_session_id = '5a1b2c3d-7e8f-4a9b-8c7d-6e5f4a3b2c1d' GROUP BY 1 ORDER BY 1`,
    );
    // 12000 + (12600 − 11000), all from the .jsonl.
    expect(pair.rows).toEqual([{ legacy: false, input: 13_600 }]);
  });

  it('lands Qwen Code chats and subagent transcripts under raw/qwen/ with the counts read from the samples', async () => {
    stack.getObjectKeys.length = 0;

    await sync(qwenDir, 'qwen');
    await drain();

    const landed = (await landedSessions(stack.pool, 'qwen')).map(({ tokens, ...rest }) => ({
      ...rest,
      tokens: { input: tokens.input, output: tokens.output, cacheReadInput: tokens.cacheReadInput, reasoningOutput: tokens.reasoningOutput },
    }));
    const expected = qwenFixtureExpectations
      .map((e) => ({
        path: e.path,
        sourceSessionId: e.sourceSessionId,
        parentSourceSessionId: e.parentSourceSessionId,
        project: e.project,
        originator: e.originator,
        title: e.title,
        model: e.model,
        messages: e.messages,
        userMessages: e.userMessages,
        toolCalls: e.toolCalls,
        pendingToolCalls: e.pendingToolCalls,
        tokens: e.tokens,
      }))
      .sort(byPath);
    expect(landed).toEqual(expected);
    expect([...stack.getObjectKeys].sort()).toEqual(expected.map((e) => `${MACHINE}/raw/qwen/${e.path}`).sort());
    const rows = await stack.pool.query<{ messages: number; calls: number; errors: number; billed: number }>(
      `SELECT (SELECT count(*)::int FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id WHERE s.agent = 'qwen') AS messages,
              (SELECT count(*)::int FROM sessionlake.tool_calls t JOIN sessionlake.sessions s ON s.id = t.session_id WHERE s.agent = 'qwen') AS calls,
              (SELECT count(*)::int FROM sessionlake.tool_calls t JOIN sessionlake.sessions s ON s.id = t.session_id WHERE s.agent = 'qwen' AND t.is_error) AS errors,
              (SELECT count(*)::int FROM sessionlake.usage u WHERE u.agent = 'qwen') AS billed`,
    );
    expect(rows.rows[0]).toEqual({
      messages: expected.reduce((sum, e) => sum + e.messages, 0),
      calls: expected.reduce((sum, e) => sum + e.toolCalls, 0),
      errors: qwenFixtureExpectations.reduce((sum, e) => sum + e.erroredToolCalls, 0),
      billed: qwenFixtureExpectations.reduce((sum, e) => sum + e.billedResponses, 0),
    });
    const subagent = await stack.pool.query<{ kind: string; parent: string }>(
      `SELECT kind, parent_session_id AS parent FROM sessionlake.sessions WHERE agent = 'qwen' AND id LIKE '%/subagents/%'`,
    );
    expect(subagent.rows).toEqual([{ kind: 'subagent', parent: `${MACHINE}/raw/qwen/-home-alice-proj/chats/7c1e0f52-3a9b-4d8e-9f10-2b3c4d5e6f70` }]);
  });

  it('lands Copilot CLI sessions and its OTel export under raw/copilot/ and bills each call once', async () => {
    stack.getObjectKeys.length = 0;

    // README's command: only the .jsonl files leave ~/.copilot (not its settings, logs or workspace.yaml)
    await sync(copilotDir, 'copilot', COPILOT_FILTERS);
    await drain();

    const objects = await stack.pool.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM sessionlake.objects WHERE agent = 'copilot' GROUP BY 1 ORDER BY 1`,
    );
    // four events.jsonl and three OTel exports
    expect(objects.rows).toEqual([{ kind: 'session', n: SAMPLE_OBJECTS.length }]);
    const rows = await stack.pool.query<{ messages: number; calls: number; errors: number; billed: number; input: number }>(
      `SELECT (SELECT count(*)::int FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id WHERE s.agent = 'copilot') AS messages,
              (SELECT count(*)::int FROM sessionlake.tool_calls t JOIN sessionlake.sessions s ON s.id = t.session_id WHERE s.agent = 'copilot') AS calls,
              (SELECT count(*)::int FROM sessionlake.tool_calls t JOIN sessionlake.sessions s ON s.id = t.session_id WHERE s.agent = 'copilot' AND t.is_error) AS errors,
              (SELECT count(*)::int FROM sessionlake.usage u WHERE u.agent = 'copilot') AS billed,
              (SELECT sum(input_tokens)::int FROM sessionlake.daily_usage d WHERE d.agent = 'copilot') AS input`,
    );
    const billedDays = [...BILLED_WITH_SPANS, REAL_BILLED];
    expect(rows.rows[0]).toEqual({
      messages: SAMPLE_OBJECTS.reduce((sum, object) => sum + object.messages, 0),
      calls: SAMPLE_OBJECTS.reduce((sum, object) => sum + object.toolCalls, 0),
      // session A's `npm test` run
      errors: 1,
      billed: billedDays.reduce((sum, day) => sum + day.responses, 0),
      input: billedDays.reduce((sum, day) => sum + day.input, 0),
    });
    expect([...stack.getObjectKeys].sort()).toEqual(SAMPLE_OBJECTS.map((object) => `${MACHINE}/raw/copilot/${object.path}`).sort());
  });

  it('fetches nothing when nothing changed: a second sync, and every event delivered again', async () => {
    const before = await stack.pool.query('SELECT uri, etag, ingested_at FROM sessionlake.objects ORDER BY uri');
    stack.getObjectKeys.length = 0;

    const output = (await sync()) + (await sync(codexDir, 'codex')) + (await sync(geminiDir, 'gemini')) + (await sync(qwenDir, 'qwen')) + (await sync(copilotDir, 'copilot', COPILOT_FILTERS));
    const listed = await stack.emulator.s3.send(new ListObjectsV2Command({ Bucket: stack.emulator.bucket }));
    for (const object of listed.Contents ?? []) {
      const record = buildS3NotificationRecord({
        eventName: S3EventName.put,
        bucket: stack.emulator.bucket,
        key: object.Key ?? '',
        size: object.Size ?? 0,
        eTag: object.ETag ?? '',
        sequencer: 'FFFFFFFFFFFFFFFFFFFF',
        eventTime: new Date(),
        region: stack.emulator.region,
      });
      await stack.emulator.sqs.send(new SendMessageCommand({ QueueUrl: stack.emulator.queueUrl, MessageBody: JSON.stringify({ Records: [record] }) }));
    }
    await drain();

    expect(output.trim()).toBe('');
    expect(listed.Contents?.length).toBeGreaterThan(0);
    expect(stack.getObjectKeys).toEqual([]);
    const after = await stack.pool.query('SELECT uri, etag, ingested_at FROM sessionlake.objects ORDER BY uri');
    expect(after.rows).toEqual(before.rows);
  });

  it('re-ingests only the object that changed', async () => {
    const changed = claudeFixtureExpectations.find((e) => e.path.endsWith('79884cdc-3688-47b0-817b-e651751e068c.jsonl'));
    if (changed === undefined) throw new Error('fixture missing');
    const line = '{"type":"user","sessionId":"session_b","timestamp":"2026-11-26T09:00:00Z","message":{"role":"user","content":"One more question"}}\n';
    // The fixture ends without a newline: start the appended line on a line of its own.
    await appendFile(path.join(projectsDir, changed.path), `\n${line}`);
    const before = await stack.pool.query<{ uri: string; ingested_at: Date }>('SELECT uri, ingested_at FROM sessionlake.objects ORDER BY uri');
    stack.getObjectKeys.length = 0;

    await sync();
    await drain();

    expect(stack.getObjectKeys).toEqual([`${MACHINE}/raw/claude/${changed.path}`]);
    const session = await stack.pool.query<{ message_count: number; user_message_count: number }>(
      'SELECT message_count, user_message_count FROM sessionlake.sessions WHERE id = $1',
      [`${MACHINE}/raw/claude/${changed.path.replace(/\.jsonl$/, '')}`],
    );
    expect(session.rows[0]).toEqual({ message_count: changed.messages + 1, user_message_count: changed.userMessages + 1 });
    const after = await stack.pool.query<{ uri: string; ingested_at: Date }>('SELECT uri, ingested_at FROM sessionlake.objects ORDER BY uri');
    const touched = after.rows.filter((row, i) => row.ingested_at.getTime() !== before.rows[i]?.ingested_at.getTime());
    expect(touched.map((row) => row.uri)).toEqual([`s3://${stack.emulator.bucket}/${MACHINE}/raw/claude/${changed.path}`]);
  });

  it('has an expectation for every fixture file it synced', async () => {
    const entries = await readdir(projectsDir, { recursive: true });
    expect(entries.filter((entry) => entry.endsWith('.jsonl'))).toHaveLength(claudeFixtureExpectations.length);
    const codexEntries = await readdir(codexDir, { recursive: true });
    expect(codexEntries.filter((entry) => entry.endsWith('.jsonl'))).toHaveLength(codexFixtureExpectations.length);
    const geminiEntries = await readdir(geminiDir, { recursive: true, withFileTypes: true });
    expect(geminiEntries.filter((entry) => entry.isFile())).toHaveLength(geminiFixtures.length);
    const qwenEntries = await readdir(qwenDir, { recursive: true });
    expect(qwenEntries.filter((entry) => entry.endsWith('.jsonl'))).toHaveLength(qwenFixtureExpectations.length);
  });
});
