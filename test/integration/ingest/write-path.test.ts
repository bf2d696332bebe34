import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleObject, type ObjectNotice } from '../../../shared/ingest/handle-object.js';
import { processSqsBatch, type BatchDependencies } from '../../../shared/ingest/sqs-batch.js';
import { SessionlakeError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { TransientS3Error } from '../../../shared/s3/errors.js';
import { TransientStoreError } from '../../../shared/store/errors.js';
import type { ObjectReader } from '../../../shared/s3/object-reader.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * The write path against a real Postgres and the S3 emulator over HTTP, driven directly (no queue):
 * skip-by-ETag, stale and superseded events, deletions, malformed input, atomicity, poison messages.
 */

const fixture = (relative: string) => fileURLToPath(new URL(`../../fixtures/${relative}`, import.meta.url));
const MALFORMED_KEY = 'box/raw/claude/-home-dev-broken/5d1f0c1e-7b9a-4c3e-9f10-2b7e6a1c0d42.jsonl';
const VALID_KEY = 'box/raw/claude/-Users-alice-code-my-app/valid.jsonl';
const VALID_BODY = [
  '{"type":"user","timestamp":"2024-01-01T10:00:00Z","message":{"content":"Fix the login bug"},"cwd":"/Users/alice/code/my-app"}',
  '{"type":"assistant","timestamp":"2024-01-01T10:00:05Z","message":{"id":"msg_1","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Looking."},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"src/auth.ts"}}],"usage":{"input_tokens":100,"output_tokens":50}}}',
  '{"type":"user","timestamp":"2024-01-01T10:00:06Z","message":{"content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"export {}"}]}}',
  '',
].join('\n');

let stack: IngestStack;
let emulator: IngestStack['emulator'];
let pool: pg.Pool;
let deps: BatchDependencies;
const getObjectCalls = () => stack.getObjectKeys.length;

/** What an S3 ObjectCreated event tells the write path. */
function ingestObject(event: Omit<ObjectNotice, 'change' | 'source'>, dependencies: BatchDependencies) {
  return handleObject({ ...event, change: 'created', source: 'event' }, dependencies);
}

beforeAll(async () => {
  stack = await startIngestStack();
  ({ emulator, pool, deps } = stack);
});

afterAll(() => stack?.stop());

beforeEach(() => {
  stack.getObjectKeys.length = 0;
});

async function put(key: string, body: string | Uint8Array): Promise<string> {
  const response = await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: body }));
  return (response.ETag ?? '').replaceAll('"', '');
}

async function one<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T> {
  const result = await pool.query<T>(sql, params);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`no row for ${sql}`);
  return row;
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
    awsRegion: 'us-east-1',
  };
}

function createdBody(key: string, etag: string, sequencer: string): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: emulator.bucket },
          object: { key: key.split('/').map((s) => encodeURIComponent(s).replace(/%20/g, '+')).join('/'), eTag: etag, sequencer, size: 1 },
        },
      },
    ],
  });
}

describe('ingestObject', () => {
  it('stores a session, then skips the same ETag without any GetObject', async () => {
    const etag = await put(VALID_KEY, VALID_BODY);
    const request = { bucket: emulator.bucket, key: VALID_KEY, etag, sequencer: '10', size: null };

    const first = await ingestObject(request, deps);
    const second = await ingestObject(request, deps);

    expect(first).toMatchObject({ status: 'ingested', messages: 3, toolCalls: 1, malformedLines: 0 });
    expect(second).toEqual({ status: 'unchanged' });
    expect(getObjectCalls()).toBe(1);
    const session = await one(
      `SELECT title, message_count, tool_call_count, input_tokens, output_tokens, project, machine
       FROM sessionlake.sessions WHERE id = $1`,
      [VALID_KEY.replace(/\.jsonl$/, '')],
    );
    expect(session).toEqual({
      title: 'Fix the login bug',
      message_count: 3,
      tool_call_count: 1,
      input_tokens: '100',
      output_tokens: '50',
      project: 'my-app',
      machine: 'box',
    });
    const call = await one(`SELECT name, input, result_text, is_error FROM sessionlake.tool_calls`);
    expect(call).toEqual({ name: 'Read', input: { file_path: 'src/auth.ts' }, result_text: 'export {}', is_error: false });
  });

  it('ignores an event older than the one applied, and treats a changed object as superseded', async () => {
    const key = 'box/raw/claude/-p/order.jsonl';
    const oldEtag = await put(key, VALID_BODY);
    const newEtag = await put(key, `${VALID_BODY}{"type":"user","message":{"content":"more"}}\n`);

    const newer = await ingestObject({ bucket: emulator.bucket, key, etag: newEtag, sequencer: '0B', size: null }, deps);
    const older = await ingestObject({ bucket: emulator.bucket, key, etag: oldEtag, sequencer: 'A', size: null }, deps);
    const unsequenced = await ingestObject({ bucket: emulator.bucket, key, etag: oldEtag, sequencer: null, size: null }, deps);

    expect(newer).toMatchObject({ status: 'ingested', messages: 4 });
    expect(older).toEqual({ status: 'stale' });
    expect(unsequenced).toEqual({ status: 'superseded' });
    const object = await one(`SELECT etag, sequencer, state FROM sessionlake.objects WHERE key = $1`, [key]);
    expect(object).toEqual({ etag: newEtag, sequencer: '0B', state: 'ingested' });
  });

  it('lands the good lines of a malformed object and counts the bad ones on its objects row', async () => {
    const bytes = await readFile(fixture('malformed/projects/-home-dev-broken/5d1f0c1e-7b9a-4c3e-9f10-2b7e6a1c0d42.jsonl'));
    const etag = await put(MALFORMED_KEY, bytes);

    const outcome = await ingestObject({ bucket: emulator.bucket, key: MALFORMED_KEY, etag, sequencer: null, size: null }, deps);

    expect(outcome).toMatchObject({ status: 'ingested', messages: 3, malformedLines: 4, truncated: true });
    const object = await one(
      `SELECT state, lines_total, lines_malformed, truncated, error FROM sessionlake.objects WHERE key = $1`,
      [MALFORMED_KEY],
    );
    expect(object).toMatchObject({ state: 'ingested', lines_total: 9, lines_malformed: 4, truncated: true });
    expect(object.error).toContain('1 invalid-json line');
    expect(object.error).toContain('3 not-an-object lines');
    const session = await one(
      `SELECT title, message_count, is_truncated, malformed_lines, output_tokens FROM sessionlake.sessions WHERE object_uri = $1`,
      [`s3://${emulator.bucket}/${MALFORMED_KEY}`],
    );
    expect(session).toEqual({
      title: 'Count the bad lines please',
      message_count: 3,
      is_truncated: true,
      malformed_lines: 4,
      output_tokens: '5',
    });
  });

  it('records a vanished object as deleted and keeps its session', async () => {
    const key = 'box/raw/claude/-p/gone.jsonl';
    const etag = await put(key, VALID_BODY);
    await ingestObject({ bucket: emulator.bucket, key, etag, sequencer: '01', size: null }, deps);
    await emulator.s3.send(new DeleteObjectCommand({ Bucket: emulator.bucket, Key: key }));

    const outcome = await ingestObject({ bucket: emulator.bucket, key, etag: 'changed', sequencer: '02', size: null }, deps);

    expect(outcome).toEqual({ status: 'deleted' });
    const session = await one(
      `SELECT s.message_count, s.deleted_at IS NOT NULL AS deleted, o.state FROM sessionlake.sessions s
       JOIN sessionlake.objects o ON o.uri = s.object_uri WHERE o.key = $1`,
      [key],
    );
    expect(session).toEqual({ message_count: 3, deleted: true, state: 'deleted' });
  });

  it('records non-session keys as skipped without reading them', async () => {
    const key = 'box/raw/claude/-p/0a1b/deeper/notes.jsonl';
    const etag = await put(key, VALID_BODY);

    const outcome = await ingestObject({ bucket: emulator.bucket, key, etag, sequencer: null, size: null }, deps);

    expect(outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^not where Claude Code writes sessions/) });
    expect(getObjectCalls()).toBe(0);
    expect(await one(`SELECT kind, state FROM sessionlake.objects WHERE key = $1`, [key])).toEqual({
      kind: 'skipped',
      state: 'skipped',
    });
  });

  it('records a sidecar without reading it, and tolerates its session not being uploaded yet', async () => {
    const key = 'box/raw/claude/-p/0a1b/tool-results/toolu_1.txt';
    const etag = await put(key, 'large tool output');

    const outcome = await ingestObject({ bucket: emulator.bucket, key, etag, sequencer: null, size: null }, deps);

    expect(outcome).toEqual({ status: 'sidecar', session: null });
    expect(getObjectCalls()).toBe(0);
    expect(await one(`SELECT kind, state, session_id FROM sessionlake.objects WHERE key = $1`, [key])).toEqual({
      kind: 'sidecar',
      state: 'ingested',
      session_id: 'box/raw/claude/-p/0a1b',
    });
    expect((await pool.query(`SELECT 1 FROM sessionlake.objects WHERE key = 'box/raw/claude/-p/0a1b.jsonl'`)).rowCount).toBe(0);
  });

  it('reads only rollouts under raw/codex/, and skips one whose content is not Codex', async () => {
    const codexKey = 'box/raw/codex/imported/rollout-2026-03-01T09-00-00-0195f0a0.jsonl';
    const strayKey = 'box/raw/codex/imported/rollout-2026-03-01T09-00-01-claude.jsonl';
    const notRolloutKey = 'box/raw/codex/imported/notes.jsonl';
    const codexEtag = await put(
      codexKey,
      [
        '{"timestamp":"2026-03-01T09:00:00.000Z","type":"session_meta","payload":{"id":"0195f0a0-0000-7000-8000-0000000000aa","cwd":"/w/app","source":"cli"}}',
        '{"timestamp":"2026-03-01T09:00:01.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}}',
        '',
      ].join('\n'),
    );
    const strayEtag = await put(strayKey, VALID_BODY);
    const notRolloutEtag = await put(notRolloutKey, VALID_BODY);

    const codex = await ingestObject({ bucket: emulator.bucket, key: codexKey, etag: codexEtag, sequencer: null, size: null }, deps);
    const stray = await ingestObject({ bucket: emulator.bucket, key: strayKey, etag: strayEtag, sequencer: null, size: null }, deps);
    const notRollout = await ingestObject(
      { bucket: emulator.bucket, key: notRolloutKey, etag: notRolloutEtag, sequencer: null, size: null },
      deps,
    );

    expect(codex).toMatchObject({ status: 'ingested', messages: 1 });
    expect(stray).toEqual({ status: 'skipped', reason: 'content is not a Codex session' });
    expect(notRollout).toEqual({ status: 'skipped', reason: 'not a Codex rollout file (rollout-*.jsonl)' });
    const objects = await pool.query<{ key: string; agent: string | null; state: string; session_id: string | null }>(
      `SELECT key, agent, state, session_id FROM sessionlake.objects WHERE key = ANY($1) ORDER BY key`,
      [[codexKey, strayKey, notRolloutKey]],
    );
    expect(objects.rows).toEqual([
      { key: notRolloutKey, agent: 'codex', state: 'skipped', session_id: null },
      { key: codexKey, agent: 'codex', state: 'ingested', session_id: codexKey.slice(0, -'.jsonl'.length) },
      { key: strayKey, agent: 'codex', state: 'skipped', session_id: null },
    ]);
    const sessions = await pool.query<{ id: string; agent: string; source_session_id: string }>(
      `SELECT id, agent, source_session_id FROM sessionlake.sessions WHERE id LIKE 'box/raw/codex/imported/%'`,
    );
    expect(sessions.rows).toEqual([
      { id: codexKey.slice(0, -'.jsonl'.length), agent: 'codex', source_session_id: '0195f0a0-0000-7000-8000-0000000000aa' },
    ]);
  });

  it('writes nothing of an object whose stream breaks midway, and keeps the version stored before', async () => {
    const key = 'box/raw/claude/-p/atomic.jsonl';
    const firstEtag = await put(key, VALID_BODY);
    await ingestObject({ bucket: emulator.bucket, key, etag: firstEtag, sequencer: '01', size: null }, deps);
    const lines = Array.from({ length: 2000 }, (_, i) => `{"type":"user","message":{"content":"line ${i}"}}`);
    const secondEtag = await put(key, `${lines.join('\n')}\n`);
    const breakingReader: ObjectReader = {
      head: deps.reader.head,
      openFrom: deps.reader.openFrom,
      async open(bucket, openKey, etag) {
        const opened = await deps.reader.open(bucket, openKey, etag);
        async function* breakAfterFirstChunk() {
          for await (const chunk of opened.body) {
            yield chunk;
            throw new TransientS3Error('connection reset mid-body');
          }
        }
        return { ...opened, body: breakAfterFirstChunk() };
      },
    };

    const attempt = ingestObject(
      { bucket: emulator.bucket, key, etag: secondEtag, sequencer: '02', size: null },
      { ...deps, reader: breakingReader },
    );

    await expect(attempt).rejects.toThrow(TransientS3Error);
    const stored = await one(
      `SELECT o.etag, o.sequencer, s.message_count, (SELECT count(*)::int FROM sessionlake.messages m WHERE m.session_id = s.id) AS rows
       FROM sessionlake.objects o JOIN sessionlake.sessions s ON s.object_uri = o.uri WHERE o.key = $1`,
      [key],
    );
    expect(stored).toEqual({ etag: firstEtag, sequencer: '01', message_count: 3, rows: 3 });
  });
});

describe('losing the database connection', () => {
  it('mid-object: rolls back, reports it as transient, and the retry on a fresh connection lands', async () => {
    const key = 'box/raw/claude/-p/failover.jsonl';
    const etag = await put(key, VALID_BODY);
    const killer = new pg.Client({ connectionString: stack.database.url, application_name: 'test-killer' });
    await killer.connect();
    const killingReader: ObjectReader = {
      head: deps.reader.head,
      openFrom: deps.reader.openFrom,
      async open(bucket, openKey, openEtag) {
        const opened = await deps.reader.open(bucket, openKey, openEtag);
        async function* killConnectionsFirst() {
          await killer.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'sessionlake' AND datname = current_database()`,
          );
          yield* opened.body;
        }
        return { ...opened, body: killConnectionsFirst() };
      },
    };

    try {
      const attempt = ingestObject(
        { bucket: emulator.bucket, key, etag, sequencer: null, size: null },
        { ...deps, reader: killingReader },
      );
      await expect(attempt).rejects.toBeInstanceOf(TransientStoreError);
      const afterFailure = await pool.query('SELECT 1 FROM sessionlake.objects WHERE key = $1', [key]);
      expect(afterFailure.rowCount).toBe(0);

      const retry = await ingestObject({ bucket: emulator.bucket, key, etag, sequencer: null, size: null }, deps);

      expect(retry).toMatchObject({ status: 'ingested', messages: 3 });
    } finally {
      await killer.end();
    }
  });
});

describe('processSqsBatch', () => {
  it('fails only the poison message, records its reason, and lands the rest of the batch', async () => {
    const goodKey = 'box/raw/claude/-p/batch good+plus ü.jsonl';
    const etag = await put(goodKey, VALID_BODY);
    const event: SQSEvent = {
      Records: [
        sqsRecord('poison-1', 'this is not an S3 notification'),
        sqsRecord('good-1', createdBody(goodKey, etag, '05')),
        sqsRecord('test-1', JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: emulator.bucket })),
      ],
    };

    const response = await processSqsBatch(event, { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r1' }, deps);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison-1' }]);
    const failure = await one(`SELECT reason, body_excerpt, receive_count FROM sessionlake.message_failures WHERE message_id = 'poison-1'`);
    expect(failure).toEqual({
      reason: 'invalid message: message body is not JSON',
      body_excerpt: 'this is not an S3 notification',
      receive_count: 1,
    });
    expect(await one(`SELECT state, message_count FROM sessionlake.objects o JOIN sessionlake.sessions s ON s.object_uri = o.uri WHERE o.key = $1`, [goodKey])).toEqual({
      state: 'ingested',
      message_count: 3,
    });
  });

  it('records an object whose failure no retry cures as failed and acknowledges it; retries one that may clear', async () => {
    class CorruptObjectError extends SessionlakeError {
      readonly retryable = false;
    }
    const permanentKey = 'box/raw/claude/-p/permanent.jsonl';
    const transientKey = 'box/raw/claude/-p/transient.jsonl';
    const permanentEtag = await put(permanentKey, VALID_BODY);
    const transientEtag = await put(transientKey, VALID_BODY);
    const failingReader: ObjectReader = {
      head: deps.reader.head,
      openFrom: deps.reader.openFrom,
      async open(_bucket, key) {
        throw key === permanentKey ? new CorruptObjectError('cannot be read, ever') : new TransientS3Error('throttled');
      },
    };
    const event: SQSEvent = {
      Records: [sqsRecord('permanent-1', createdBody(permanentKey, permanentEtag, '01')), sqsRecord('transient-1', createdBody(transientKey, transientEtag, '01'))],
    };

    const response = await processSqsBatch(event, { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r3' }, {
      ...deps,
      reader: failingReader,
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'transient-1' }]);
    expect(response.results[0]).toEqual({ messageId: 'permanent-1', ok: true, outcomes: ['failed'] });
    const rows = await pool.query(`SELECT key, state, error, attempts FROM sessionlake.objects WHERE key = ANY($1) ORDER BY key`, [
      [permanentKey, transientKey],
    ]);
    expect(rows.rows).toEqual([
      { key: permanentKey, state: 'failed', error: 'Error: cannot be read, ever', attempts: 1 },
      { key: transientKey, state: 'failed', error: 'TransientS3Error: throttled', attempts: 1 },
    ]);
  });

  it('logs a message failing its last receive as going to the DLQ, with the reason', async () => {
    const lines: string[] = [];
    const record = sqsRecord('last-1', 'not a notification');
    record.attributes.ApproximateReceiveCount = String(deps.maxReceiveCount);

    await processSqsBatch({ Records: [record] }, { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r4' }, {
      ...deps,
      log: createLogger('info', {}, (line) => lines.push(line)),
    });

    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['level'] === 'error');
    expect(logged).toMatchObject({
      message: 'message failed its last receive and goes to the DLQ',
      reason: 'invalid message: message body is not JSON',
      receiveCount: deps.maxReceiveCount,
      messageId: 'last-1',
    });
  });

  it('reports records it had no time to start as failed instead of starting them', async () => {
    const event: SQSEvent = { Records: [sqsRecord('late-1', '{}'), sqsRecord('late-2', '{}')] };

    const response = await processSqsBatch(event, { getRemainingTimeInMillis: () => 500, awsRequestId: 'r2' }, deps);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'late-1' }, { itemIdentifier: 'late-2' }]);
    expect(response.results.every((result) => !result.ok && result.reason.includes('time'))).toBe(true);
  });
});

describe('two workers on the same object', () => {
  it('serialise on the object row: one reads and writes it, the other finds it stored and fetches nothing', async () => {
    const key = 'box/raw/claude/-p/raced.jsonl';
    const firstEtag = await put(key, VALID_BODY);
    await ingestObject({ bucket: emulator.bucket, key, etag: firstEtag, sequencer: '06', size: null }, deps);
    const etag = await put(key, `${VALID_BODY}{"type":"user","message":{"content":"again"}}\n`);
    const request = { bucket: emulator.bucket, key, etag, sequencer: '07', size: null };
    stack.getObjectKeys.length = 0;

    const outcomes = await Promise.all([ingestObject(request, deps), ingestObject(request, deps)]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['ingested', 'unchanged']);
    expect(getObjectCalls()).toBe(1);
    const rows = await one<{ n: number }>(
      `SELECT count(*)::int AS n FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id
       JOIN sessionlake.objects o ON o.uri = s.object_uri WHERE o.key = $1`,
      [key],
    );
    expect(rows.n).toBe(4);
  });
});

describe('ingesting an object someone names (sessionlake ingest)', () => {
  it('reports a missing key or bucket as missing and writes nothing', async () => {
    const missingKey = await handleObject(
      { bucket: emulator.bucket, key: 'box/raw/claude/-p/never-uploaded.jsonl', change: 'created', source: 'request', etag: null, size: null, sequencer: null },
      deps,
    );
    const missingBucket = await handleObject(
      { bucket: 'no-such-bucket', key: 'box/raw/claude/-p/x.jsonl', change: 'created', source: 'request', etag: null, size: null, sequencer: null },
      deps,
    );

    expect(missingKey).toMatchObject({ status: 'missing', reason: expect.stringContaining('never-uploaded.jsonl does not exist') });
    expect(missingBucket).toMatchObject({ status: 'missing' });
    const rows = await pool.query(`SELECT uri FROM sessionlake.objects WHERE key IN ('box/raw/claude/-p/never-uploaded.jsonl', 'box/raw/claude/-p/x.jsonl')`);
    expect(rows.rows).toEqual([]);
  });

  it('the CLI says so on stderr and exits non-zero', async () => {
    const cli = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
    const env = {
      ...process.env,
      DATABASE_URL: stack.database.url,
      SESSIONLAKE_S3_ENDPOINT: emulator.endpoint,
      SESSIONLAKE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: emulator.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.clientConfig.credentials.secretAccessKey,
      AWS_REGION: emulator.region,
    };
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [cli, 'ingest', 's3://nobucket/box/raw/claude/-p/x.jsonl'], { env }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('s3://nobucket/box/raw/claude/-p/x.jsonl\tnot found:');
    const rows = await pool.query(`SELECT uri FROM sessionlake.objects WHERE bucket = 'nobucket'`);
    expect(rows.rows).toEqual([]);
  });
});

describe('a sidecar arriving after its session', () => {
  it('re-ingests the session, which reads the full output into the tool call', async () => {
    const sessionKey = 'box/raw/claude/-home-me-app/5e55a0c1-0000-4000-8000-000000000001.jsonl';
    const sidecarKey = 'box/raw/claude/-home-me-app/5e55a0c1-0000-4000-8000-000000000001/tool-results/toolu_s.txt';
    const recorded = '/home/me/.claude/projects/-home-me-app/5e55a0c1-0000-4000-8000-000000000001/tool-results/toolu_s.txt';
    const preview = `<persisted-output>\nOutput too large (40.0KB). Full output saved to: ${recorded}\n\nPreview (first 2KB):\nrow 1\n</persisted-output>`;
    const body = [
      { type: 'assistant', message: { id: 'm1', content: [{ type: 'tool_use', id: 'toolu_s', name: 'Bash', input: { command: 'seq' } }] } },
      { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_s', content: preview }] } },
    ].map((line) => JSON.stringify(line)).join('\n') + '\n';
    const full = Array.from({ length: 5000 }, (_, i) => `row ${i + 1}`).join('\n');
    const sessionEtag = await put(sessionKey, body);
    await ingestObject({ bucket: emulator.bucket, key: sessionKey, etag: sessionEtag, sequencer: '01', size: null }, deps);
    const result = () => pool.query(`SELECT result_text FROM sessionlake.tool_calls WHERE call_id = 'toolu_s'`);
    expect((await result()).rows).toEqual([{ result_text: preview }]);
    const sidecarEtag = await put(sidecarKey, full);

    const outcome = await ingestObject({ bucket: emulator.bucket, key: sidecarKey, etag: sidecarEtag, sequencer: '01', size: null }, deps);
    const again = await ingestObject({ bucket: emulator.bucket, key: sidecarKey, etag: sidecarEtag, sequencer: '01', size: null }, deps);

    expect(outcome).toMatchObject({ status: 'sidecar', session: { status: 'ingested', sidecarsRead: 1 } });
    expect(again).toEqual({ status: 'unchanged' });
    expect((await result()).rows).toEqual([{ result_text: full }]);
  });

  it('when re-ingesting its session fails, leaves the sidecar to be handled again, so the retry reads it', async () => {
    const sessionKey = 'box/raw/claude/-home-me-app/5e55a0c1-0000-4000-8000-000000000002.jsonl';
    const sidecarKey = 'box/raw/claude/-home-me-app/5e55a0c1-0000-4000-8000-000000000002/tool-results/toolu_r.txt';
    const recorded = '/home/me/.claude/projects/-home-me-app/5e55a0c1-0000-4000-8000-000000000002/tool-results/toolu_r.txt';
    const body = [
      { type: 'assistant', message: { id: 'm1', content: [{ type: 'tool_use', id: 'toolu_r', name: 'Bash', input: {} }] } },
      { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_r', content: 'preview' }] }, toolUseResult: { persistedOutputPath: recorded } },
    ].map((line) => JSON.stringify(line)).join('\n') + '\n';
    const sessionEtag = await put(sessionKey, body);
    await ingestObject({ bucket: emulator.bucket, key: sessionKey, etag: sessionEtag, sequencer: '01', size: null }, deps);
    const sidecarEtag = await put(sidecarKey, 'the whole output');
    let failOnce = true;
    const flakyReader: ObjectReader = {
      head: deps.reader.head,
      openFrom: deps.reader.openFrom,
      async open(bucket, key, etag) {
        if (key === sessionKey && failOnce) {
          failOnce = false;
          throw new TransientS3Error('throttled');
        }
        return deps.reader.open(bucket, key, etag);
      },
    };
    const event = { bucket: emulator.bucket, key: sidecarKey, etag: sidecarEtag, sequencer: '01', size: null };

    await expect(ingestObject(event, { ...deps, reader: flakyReader })).rejects.toThrow(TransientS3Error);
    const retry = await ingestObject(event, { ...deps, reader: flakyReader });

    expect(retry).toMatchObject({ status: 'sidecar', session: { status: 'ingested', sidecarsRead: 1 } });
    const result = await pool.query(`SELECT result_text FROM sessionlake.tool_calls WHERE call_id = 'toolu_r'`);
    expect(result.rows).toEqual([{ result_text: 'the whole output' }]);
  });
});
