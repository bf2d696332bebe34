import { PutObjectCommand } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleObject, type IngestDependencies, type ObjectOutcome } from '../../../shared/ingest/handle-object.js';
import { TAIL_BYTES } from '../../../shared/ingest/line-tail.js';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { createPool } from '../../../shared/store/pool.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { fixtureObjects, growthCuts, seededRandom, type FixtureObject } from '../../support/fixture-objects.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * Delta ingest over the S3 emulator and a real Postgres: a grown object is read from where the last ingest
 * ended and lands exactly as a full ingest of the same bytes would; anything that does not verify is read in
 * full.
 */

let stack: IngestStack;
let deps: IngestDependencies;
let sequence = 0;

beforeAll(async () => {
  stack = await startIngestStack();
  deps = stack.deps;
});
afterAll(() => stack?.stop());
beforeEach(() => {
  stack.getObjectKeys.length = 0;
});

async function upload(key: string, body: Uint8Array | string): Promise<{ etag: string; size: number }> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const response = await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: bytes }));
  return { etag: (response.ETag ?? '').replaceAll('"', ''), size: bytes.length };
}

/** Uploads `body` at `key` and delivers its ObjectCreated event to the write path. */
async function sync(key: string, body: Uint8Array | string): Promise<ObjectOutcome> {
  const { etag, size } = await upload(key, body);
  sequence += 1;
  const sequencer = sequence.toString(16).padStart(16, '0');
  return handleObject({ bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag, size, sequencer }, deps);
}

/** Delivers an event for the object as it is now in the bucket, without uploading it again. */
async function ingestAsStored(key: string, dependencies: IngestDependencies): Promise<ObjectOutcome> {
  const { etag, size } = await deps.reader.head(stack.emulator.bucket, key);
  return handleObject({ bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag, size, sequencer: null }, dependencies);
}

/** Every row a session object leaves, minus bookkeeping that differs by how often it was ingested. */
async function snapshot(pool: pg.Pool, uris?: string[]): Promise<Record<string, unknown[]>> {
  const tables: Array<[string, string[], string, string]> = [
    ['objects', ['first_seen_at', 'ingested_at', 'updated_at', 'attempts', 'sequencer'], 'uri', 'uri'],
    ['object_checkpoints', ['updated_at'], 'uri', 'uri'],
    ['sessions', ['updated_at'], 'object_uri', 'id'],
    ['messages', [], '(SELECT object_uri FROM sessionlake.sessions s WHERE s.id = session_id)', 'session_id, ordinal'],
    ['tool_calls', [], '(SELECT object_uri FROM sessionlake.sessions s WHERE s.id = session_id)', 'session_id, message_ordinal, call_index'],
  ];
  const result: Record<string, unknown[]> = {};
  for (const [table, ignored, uriOf, order] of tables) {
    const where = uris === undefined ? '' : `WHERE ${uriOf} = ANY($1)`;
    const rows = await pool.query(`SELECT * FROM sessionlake.${table} ${where} ORDER BY ${order}`, uris === undefined ? [] : [uris]);
    result[table] = rows.rows.map((row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([column]) => !ignored.includes(column))));
  }
  return result;
}

const uriOf = (key: string) => `s3://${stack.emulator.bucket}/${key}`;
const ingested = (outcome: ObjectOutcome) => {
  if (outcome.status !== 'ingested') throw new Error(`expected an ingest, got ${JSON.stringify(outcome)}`);
  return outcome;
};

const line = (record: Record<string, unknown>) => `${JSON.stringify(record)}\n`;
const SESSION = '7d1e0c1e-0000-4000-8000-00000000de17';
const claudeLine = (type: string, uuid: string, extra: Record<string, unknown>) =>
  line({ type, sessionId: SESSION, uuid, timestamp: `2026-05-01T10:00:${uuid.slice(-2)}Z`, ...extra });

describe('delta ingest', () => {
  let other: { database: FreshDatabase; pool: pg.Pool; deps: IngestDependencies };

  beforeAll(async () => {
    const database = await freshDatabase();
    await runMigrations(database.url);
    const pool = createPool({ connectionString: database.url, max: 2 });
    other = { database, pool, deps: { ...deps, store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }) } };
  });
  afterAll(async () => {
    await other?.pool.end();
    await other?.database.drop();
  });

  it('leaves every fixture grown in random slices exactly as one full ingest of its final bytes, row for row', async () => {
    // Prepare
    const objects = (await fixtureObjects()).filter((o: FixtureObject) => ['session', 'subagent'].includes(classifyKey(o.key).kind));
    const random = seededRandom(20261127);
    const reads = { full: 0, delta: 0 };
    let appendedBytes = 0;
    let deltaBytesFetched = 0;

    // Act: database one sees every upload of the growing log; database two only the last one.
    for (const object of objects) {
      const sizes = [...growthCuts(object.bytes.length, 3, random), object.bytes.length];
      let previous = 0;
      for (const size of sizes) {
        const outcome = await sync(object.key, object.bytes.subarray(0, size));
        if (outcome.status === 'ingested') {
          reads[outcome.read] += 1;
          if (outcome.read === 'delta') {
            appendedBytes += size - previous;
            deltaBytesFetched += outcome.bytesFetched;
          }
        }
        previous = size;
      }
      ingested(await ingestAsStored(object.key, other.deps));
    }

    // Assess
    const uris = objects.map((object) => uriOf(object.key));
    const grown = await snapshot(stack.pool, uris);
    expect(grown['sessions']).toHaveLength(objects.length);
    expect(grown['messages']?.length).toBeGreaterThan(1000);
    expect(grown).toEqual(await snapshot(other.pool, uris));
    // Most later uploads were read as deltas (the rest: a first slice with no whole line, or no state to resume).
    expect(reads.delta).toBeGreaterThan(objects.length * 2);
    // A delta fetches what was appended since the last whole line, plus the tail it checks.
    expect(deltaBytesFetched).toBeLessThan(appendedBytes + reads.delta * TAIL_BYTES + 200_000);
  });

  it('fetches only the appended bytes and the checked tail, and pairs a result with the call the last upload left pending', async () => {
    // Prepare
    const key = 'laptop/raw/claude/-home-me-app/7d1e0c1e-0000-4000-8000-00000000de17.jsonl';
    const first =
      claudeLine('user', 'u-01', { message: { content: 'list the files' } }) +
      claudeLine('assistant', 'a-02', {
        requestId: 'req_1',
        message: { id: 'msg_1', model: 'claude-x', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }], usage: { input_tokens: 10, output_tokens: 1 } },
      });
    const appended =
      claudeLine('assistant', 'a-03', {
        requestId: 'req_1',
        message: { id: 'msg_1', model: 'claude-x', content: [{ type: 'text', text: 'running it' }], usage: { input_tokens: 10, output_tokens: 7 } },
      }) + claudeLine('user', 'u-04', { message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt\nb.txt' }] } });
    ingested(await sync(key, first));
    const sessionId = key.slice(0, -'.jsonl'.length);
    const callOf = () =>
      stack.pool.query('SELECT result_text, is_error FROM sessionlake.tool_calls WHERE session_id = $1 AND call_id = $2', [sessionId, 'toolu_1']);
    const pendingBefore = await callOf();

    // Act
    const outcome = ingested(await sync(key, first + appended));

    // Assess
    expect(pendingBefore.rows).toEqual([{ result_text: null, is_error: null }]);
    expect(outcome).toMatchObject({ read: 'delta', bytesFetched: Buffer.byteLength(appended) + TAIL_BYTES, messages: 2, toolCalls: 0 });
    const calls = await callOf();
    expect(calls.rows).toEqual([{ result_text: 'a.txt\nb.txt', is_error: false }]);
    // The response's tokens moved to its later line with the larger output; the session counts it once.
    const billed = await stack.pool.query(
      `SELECT uuid, output_tokens FROM sessionlake.messages WHERE session_id = $1 AND message_id = 'msg_1' ORDER BY ordinal`,
      [sessionId],
    );
    expect(billed.rows).toEqual([{ uuid: 'a-02', output_tokens: null }, { uuid: 'a-03', output_tokens: '7' }]);
    const session = await stack.pool.query('SELECT message_count, output_tokens FROM sessionlake.sessions WHERE object_uri = $1', [uriOf(key)]);
    expect(session.rows).toEqual([{ message_count: 4, output_tokens: '7' }]);
  });

  it('re-reads a torn last line whole once the rest of it arrives', async () => {
    // Prepare
    const key = 'laptop/raw/claude/-home-me-app/7d1e0c1e-0000-4000-8000-0000000070a7.jsonl';
    const whole = claudeLine('user', 'u-01', { message: { content: 'first' } }) + claudeLine('user', 'u-02', { message: { content: 'second prompt' } });
    const torn = whole.slice(0, whole.length - 20);
    const tornOutcome = ingested(await sync(key, torn));

    // Act
    const outcome = ingested(await sync(key, whole));

    // Assess
    expect(tornOutcome).toMatchObject({ truncated: true, messages: 1 });
    expect(outcome).toMatchObject({ read: 'delta', truncated: false, messages: 1 });
    const rows = await stack.pool.query(
      'SELECT ordinal, text FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal',
      [key.slice(0, -'.jsonl'.length)],
    );
    expect(rows.rows).toEqual([{ ordinal: 0, text: 'first' }, { ordinal: 1, text: 'second prompt' }]);
    const object = await stack.pool.query('SELECT truncated, lines_total, bytes_ingested FROM sessionlake.objects WHERE uri = $1', [uriOf(key)]);
    expect(object.rows).toEqual([{ truncated: false, lines_total: 2, bytes_ingested: String(Buffer.byteLength(whole)) }]);
  });

  it('reads in full an object whose ingested bytes changed, one that got shorter, and one without a usable state', async () => {
    // Prepare
    const base = 'laptop/raw/claude/-home-me-app/7d1e0c1e-0000-4000-8000-0000000c4a';
    const body = Array.from({ length: 30 }, (_, i) => claudeLine('user', `u-${String(i).padStart(2, '0')}`, { message: { content: `prompt ${i}` } })).join('');
    const rewritten = body.replace('prompt 29', 'prompt 2X') + claudeLine('user', 'u-30', { message: { content: 'new' } });
    const cases = {
      changed: { key: `${base}01.jsonl`, next: rewritten, tamper: null },
      shorter: { key: `${base}02.jsonl`, next: body.slice(0, body.length / 2), tamper: null },
      noState: { key: `${base}03.jsonl`, next: `${body}${claudeLine('user', 'u-30', { message: { content: 'new' } })}`, tamper: 'DELETE FROM sessionlake.object_checkpoints WHERE uri = $1' },
      oldParser: {
        key: `${base}04.jsonl`,
        next: `${body}${claudeLine('user', 'u-30', { message: { content: 'new' } })}`,
        tamper: `UPDATE sessionlake.object_checkpoints SET parser_version = 'claude/1' WHERE uri = $1`,
      },
      oldFormat: {
        key: `${base}05.jsonl`,
        next: `${body}${claudeLine('user', 'u-30', { message: { content: 'new' } })}`,
        tamper: 'UPDATE sessionlake.object_checkpoints SET format = format + 1 WHERE uri = $1',
      },
    };
    for (const { key, tamper } of Object.values(cases)) {
      ingested(await sync(key, body));
      if (tamper !== null) await stack.pool.query(tamper, [uriOf(key)]);
    }

    // Act
    const outcomes: Record<string, ObjectOutcome> = {};
    for (const [name, { key, next }] of Object.entries(cases)) outcomes[name] = await sync(key, next);

    // Assess: each read in full, and each holds what a full ingest of its new bytes holds.
    for (const [name, { key, next }] of Object.entries(cases)) {
      expect(outcomes[name], name).toMatchObject({ status: 'ingested', read: 'full', bytesFetched: Buffer.byteLength(next) });
      ingested(await ingestAsStored(key, other.deps));
      expect(await snapshot(stack.pool, [uriOf(key)]), name).toEqual(await snapshot(other.pool, [uriOf(key)]));
    }
    const texts = await stack.pool.query('SELECT text FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal DESC LIMIT 2', [
      cases.changed.key.slice(0, -'.jsonl'.length),
    ]);
    expect(texts.rows).toEqual([{ text: 'new' }, { text: 'prompt 2X' }]);
  });

  it('reads the sidecar of a result that arrives in an appended part', async () => {
    // Prepare
    const sessionPath = 'laptop/raw/claude/-home-me-big/7d1e0c1e-0000-4000-8000-0000000051de';
    const savedPath = `/home/me/.claude/projects/-home-me-big/7d1e0c1e-0000-4000-8000-0000000051de/tool-results/toolu_big.txt`;
    const fullOutput = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const first =
      claudeLine('user', 'u-01', { message: { content: 'print the log' } }) +
      claudeLine('assistant', 'a-02', {
        message: { id: 'msg_b', model: 'claude-x', content: [{ type: 'tool_use', id: 'toolu_big', name: 'Bash', input: { command: 'cat log' } }], usage: { input_tokens: 5, output_tokens: 3 } },
      });
    const appended = claudeLine('user', 'u-03', {
      message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_big', content: `<persisted-output>\nFull output saved to: ${savedPath}\n</persisted-output>` }] },
      toolUseResult: { persistedOutputPath: savedPath },
    });
    await upload(`${sessionPath}/tool-results/toolu_big.txt`, fullOutput);
    ingested(await sync(`${sessionPath}.jsonl`, first));

    // Act
    const outcome = ingested(await sync(`${sessionPath}.jsonl`, first + appended));

    // Assess
    expect(outcome).toMatchObject({ read: 'delta', sidecarsRead: 1 });
    const result = await stack.pool.query('SELECT result_text FROM sessionlake.tool_calls WHERE session_id = $1 AND call_id = $2', [sessionPath, 'toolu_big']);
    expect(result.rows).toEqual([{ result_text: fullOutput }]);
  });

  it('fetches nothing for an object re-synced unchanged', async () => {
    // Prepare
    const key = 'laptop/raw/claude/-home-me-app/7d1e0c1e-0000-4000-8000-00000000cafe.jsonl';
    const body = claudeLine('user', 'u-01', { message: { content: 'hello' } });
    ingested(await sync(key, body));
    stack.getObjectKeys.length = 0;

    // Act
    const outcome = await sync(key, body);

    // Assess
    expect(outcome).toEqual({ status: 'unchanged' });
    expect(stack.getObjectKeys).toEqual([]);
  });
});
