import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueueOnIngestQueue } from '../../../shared/backfill/actions.js';
import { handleObject, type IngestDependencies, type ObjectOutcome } from '../../../shared/ingest/handle-object.js';
import { TAIL_BYTES } from '../../../shared/ingest/line-tail.js';
import { processSqsBatch } from '../../../shared/ingest/sqs-batch.js';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { ObjectStore } from '../../../shared/store/object-store.js';
import { silentLogger } from '../../../shared/log.js';
import { createPool } from '../../../shared/store/pool.js';
import { backfillHarness, type BackfillHarness } from '../../support/backfill.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { fixtureObjects, growthCuts, seededRandom, type FixtureObject } from '../../support/fixture-objects.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';
import * as copilotSample from '../../fixtures/copilot/expectations.js';

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
    // Written after each object's transaction (migration 011): after deltas, the same as after one full ingest.
    ['tool_call_search', [], '(SELECT object_uri FROM sessionlake.sessions s WHERE s.id = session_id)', 'session_id, message_ordinal, call_index'],
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

  it('reads grown Copilot CLI events files and OTel export as deltas, and bills them as one ingest of the whole files', async () => {
    // Prepare: the Copilot samples on a machine of their own, with session and response ids of their own (copies of
    // a response bill once across machines, migration 012; the first test ingests the samples as they are).
    const machine = 'copilot-grown';
    const localized = (text: string) =>
      text
        .replaceAll(copilotSample.SESSION_A.slice(0, 8), 'c0917a0a')
        .replaceAll(copilotSample.SESSION_B.slice(0, 8), 'c0917b0b')
        .replaceAll('msg_a_span_', 'msg_grown_')
        .replaceAll('chatcmpl-b1', 'chatcmpl-grown');
    const sample = (relative: string) => ({
      key: `${machine}/raw/copilot/${localized(relative)}`,
      lines: localized(readFileSync(path.join(copilotSample.copilotHomeDir, relative), 'utf8')).split(/(?<=\n)/u),
    });
    // Each first upload ends where the rest depends on what came before: A before its pending call's result and
    // its second shutdown (billed as what it adds to the first), B before the shutdown that repeats its usage
    // record (not billed), the export before the span of session B.
    const grown = [
      { ...sample(copilotSample.EVENTS_A), firstLines: 12 },
      { ...sample(copilotSample.EVENTS_B), firstLines: 4 },
      { ...sample(copilotSample.OTEL_EXPORT), firstLines: 2 },
    ];
    const [eventsA, eventsB, otel] = grown as [(typeof grown)[number], (typeof grown)[number], (typeof grown)[number]];
    const usage = async (pool: pg.Pool) =>
      (await pool.query(`SELECT * FROM sessionlake.daily_usage WHERE machine = $1 ORDER BY day, model, project_key`, [machine])).rows;
    const billed = async (pool: pg.Pool) =>
      (
        await pool.query<copilotSample.BilledDay>(
          `SELECT d.day::text AS day, d.model, s.source_session_id AS session, d.responses::int AS responses,
                  d.input_tokens::int AS input, d.output_tokens::int AS output,
                  d.cache_creation_input_tokens::int AS "cacheWrite", d.cache_read_input_tokens::int AS "cacheRead",
                  d.reasoning_output_tokens::int AS reasoning
             FROM sessionlake.daily_usage d
             JOIN sessionlake.sessions s ON s.project_key = d.project_key AND s.machine = d.machine AND s.agent = 'copilot'
            WHERE d.machine = $1 ORDER BY 1, 2`,
          [machine],
        )
      ).rows;
    const expected = (days: copilotSample.BilledDay[]) => days.map((day) => ({ ...day, session: localized(day.session) }));
    const whole = (object: (typeof grown)[number]) => object.lines.join('');
    const first = (object: (typeof grown)[number]) => object.lines.slice(0, object.firstLines).join('');
    const reads: string[] = [];

    // Act: the events files grow first (no span yet), then the export.
    for (const object of [eventsA, eventsB]) reads.push(ingested(await sync(object.key, first(object))).read);
    const eventDeltas = [];
    for (const object of [eventsA, eventsB]) eventDeltas.push(ingested(await sync(object.key, whole(object))));
    const billedByEvents = await billed(stack.pool);
    reads.push(ingested(await sync(otel.key, first(otel))).read);
    const otelDelta = ingested(await sync(otel.key, whole(otel)));
    for (const object of grown) ingested(await ingestAsStored(object.key, other.deps));

    // Assess
    expect(reads).toEqual(['full', 'full', 'full']);
    for (const [object, outcome] of [[eventsA, eventDeltas[0]], [eventsB, eventDeltas[1]], [otel, otelDelta]] as const) {
      const appended = Buffer.byteLength(object.lines.slice(object.firstLines).join(''));
      expect(outcome, object.key).toMatchObject({ read: 'delta', bytesFetched: appended + TAIL_BYTES });
      expect(appended + TAIL_BYTES, object.key).toBeLessThan(Buffer.byteLength(whole(object)));
    }
    // Counted by hand (expectations.ts): A's second shutdown bills what it adds to the first (31000 input, of which
    // 27000 read and 500 written), B's shutdown repeats its usage record; then the spans of A's second process bill
    // instead of its shutdown, and B's span is its usage record's response (one bill).
    expect(billedByEvents).toEqual(expected(copilotSample.BILLED_WITHOUT_SPANS));
    expect(await billed(stack.pool)).toEqual(expected(copilotSample.BILLED_WITH_SPANS));
    expect(await usage(stack.pool)).toEqual(await usage(other.pool));
    const uris = grown.map((object) => uriOf(object.key));
    expect(await snapshot(stack.pool, uris)).toEqual(await snapshot(other.pool, uris));
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

  it('makes a result a delta adds searchable, and forgets it when the object is rewritten without it', async () => {
    // Prepare: a call left pending by the first upload
    const key = 'laptop/raw/claude/-home-me-app/7d1e0c1e-0000-4000-8000-00000000f1d5.jsonl';
    const first =
      claudeLine('user', 'u-01', { message: { content: 'find the config' } }) +
      claudeLine('assistant', 'a-02', {
        requestId: 'req_s',
        message: { id: 'msg_s', model: 'claude-x', content: [{ type: 'tool_use', id: 'toolu_s', name: 'Bash', input: { command: 'find . -name x' } }], usage: { input_tokens: 3, output_tokens: 1 } },
      });
    const result = claudeLine('user', 'u-03', { message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_s', content: 'narwhalconfig written' }] } });
    const hits = async (term: string) =>
      (await stack.pool.query(
        `SELECT session_id, kind, label FROM sessionlake.search_documents WHERE search_vector @@ websearch_to_tsquery('simple', $1)`,
        [term],
      )).rows;
    const sessionId = key.slice(0, -'.jsonl'.length);
    ingested(await sync(key, first));
    const pendingFound = await hits('"find . -name x"');

    // Act
    const delta = ingested(await sync(key, first + result));
    const afterDelta = await hits('narwhalconfig');
    ingested(await sync(key, claudeLine('user', 'u-01', { message: { content: 'something else entirely' } })));

    // Assess
    expect(pendingFound).toEqual([{ session_id: sessionId, kind: 'tool_call', label: 'Bash' }]);
    expect(delta.read).toBe('delta');
    expect(afterDelta).toEqual([{ session_id: sessionId, kind: 'tool_call', label: 'Bash' }]);
    expect(await hits('narwhalconfig')).toEqual([]);
    expect(await hits('"find . -name x"')).toEqual([]);
    const left = await stack.pool.query('SELECT count(*)::int AS n FROM sessionlake.tool_call_search WHERE session_id = $1', [sessionId]);
    expect(left.rows).toEqual([{ n: 0 }]);
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

/**
 * A delta checks only the bytes just before where the last ingest ended. A new version that rewrote earlier
 * bytes (a secret scrubber's in-place edit) and grew passes that check; the backfill's verification reads the
 * ingested ranges again and re-ingests in full what changed, so the rows end as a fresh ingest of the bytes.
 */
describe('delta ingest after an earlier rewrite', () => {
  let fresh: { database: FreshDatabase; pool: pg.Pool; deps: IngestDependencies };
  let backfill: BackfillHarness;
  const base = 'laptop/raw/claude/-home-me-scrub/7d1e0c1e-0000-4000-8000-0000005c';
  const prompt = (i: number, content = `prompt number ${i} about the deploy key`) =>
    claudeLine('user', `u-${i}-${String(i % 60).padStart(2, '0')}`, { message: { content } });
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => prompt(from + i));
  /** 100 lines, the first version every case starts from. */
  const hundred = lines(0, 100);
  const fifty = lines(100, 150).join('');
  const upperOnLine = (all: string[], lineNumber: number) => all.map((text, i) => (i === lineNumber - 1 ? text.replace('deploy', 'DEPLOY') : text));

  beforeAll(async () => {
    const database = await freshDatabase();
    await runMigrations(database.url);
    const pool = createPool({ connectionString: database.url, max: 2 });
    fresh = { database, pool, deps: { ...deps, store: new ObjectStore(pool, { lockTimeoutMs: 5_000 }) } };
    backfill = backfillHarness(stack);
  });
  afterAll(async () => {
    await fresh?.pool.end();
    await fresh?.database.drop();
  });

  /**
   * 99 lines and a last one padded so that the 'y' of line 99's "deploy" is the last byte before the 256 the
   * delta checks: upper-casing that word changes only bytes just outside the checked window.
   */
  function besideTheWindow(): { first: string; next: string } {
    const head = lines(0, 99).join('');
    const wordEnd = head.lastIndexOf('deploy') + 'deploy'.length;
    const padding = (k: number) => prompt(99, `last ${'x'.repeat(k)}`);
    const k = wordEnd - 1 + TAIL_BYTES + 1 - head.length - padding(0).length;
    const first = head + padding(k);
    expect(first.length - TAIL_BYTES - 1).toBe(wordEnd - 1);
    const rewritten = first.slice(0, wordEnd - 'deploy'.length) + 'DEPLOY' + first.slice(wordEnd);
    return { first, next: rewritten + fifty };
  }

  it('converges on the bytes in S3 for every rewrite of ingested bytes followed by growth, row for row', async () => {
    // Prepare: the example (line 5 upper-cased, 50 lines appended) and its relatives.
    const longerShorter = hundred.map((text, i) =>
      i === 4 ? text.replace('about the deploy key', 'about the deploy keys!') : i === 5 ? text.replace('about the deploy key', 'about the deploy') : text,
    );
    const cases: Record<string, { first: string; next: string }> = {
      'same length, line 5': { first: hundred.join(''), next: upperOnLine(hundred, 5).join('') + fifty },
      'at the start': { first: hundred.join(''), next: upperOnLine(hundred, 1).join('') + fifty },
      'in the middle': { first: hundred.join(''), next: upperOnLine(hundred, 50).join('') + fifty },
      'just outside the checked window': besideTheWindow(),
      longer: { first: hundred.join(''), next: hundred.map((text, i) => (i === 4 ? text.replace('deploy', 'deployment') : text)).join('') + fifty },
      shorter: { first: hundred.join(''), next: hundred.map((text, i) => (i === 4 ? text.replace('deploy ', '') : text)).join('') + fifty },
      'longer on line 5, shorter on line 6': { first: hundred.join(''), next: longerShorter.join('') + fifty },
    };
    const keys = Object.fromEntries(Object.keys(cases).map((name, i) => [name, `${base}${String(i).padStart(2, '0')}.jsonl`]));
    const reads: Record<string, string> = {};
    for (const [name, { first, next }] of Object.entries(cases)) {
      const key = keys[name] as string;
      ingested(await sync(key, first));
      reads[name] = ingested(await sync(key, next)).read;
    }

    // Act: `sessionlake backfill --verify`.
    const result = await backfill.run({ prefix: base.slice(0, base.lastIndexOf('/') + 1), verifyQuietMs: 0 });

    // Assess
    // The same-length rewrites (the scrubber's case) passed the delta check: without verification they stay stale.
    expect(reads).toMatchObject({ 'same length, line 5': 'delta', 'at the start': 'delta', 'in the middle': 'delta', 'just outside the checked window': 'delta' });
    const line5 = await stack.pool.query('SELECT line_number, text FROM sessionlake.messages WHERE session_id = $1 AND line_number = 5', [
      (keys['same length, line 5'] as string).slice(0, -'.jsonl'.length),
    ]);
    expect(line5.rows).toEqual([{ line_number: 5, text: 'prompt number 4 about the DEPLOY key' }]);
    for (const [name, key] of Object.entries(keys)) {
      ingested(await ingestAsStored(key, fresh.deps));
      expect(await snapshot(stack.pool, [uriOf(key)]), name).toEqual(await snapshot(fresh.pool, [uriOf(key)]));
    }
    expect(result).toMatchObject({ status: 'finished', counts: { listed: 7, verified: Object.values(reads).filter((read) => read === 'delta').length, failed: 0 } });
  });

  it('verifies an object only once it has gone quiet, and each version once', async () => {
    // Prepare: one object rewritten and grown, one only grown (its bytes check out).
    const rewrittenKey = `${base}q1.jsonl`;
    const grownKey = `${base}q2.jsonl`;
    for (const key of [rewrittenKey, grownKey]) ingested(await sync(key, hundred.join('')));
    expect(ingested(await sync(rewrittenKey, upperOnLine(hundred, 5).join('') + fifty)).read).toBe('delta');
    expect(ingested(await sync(grownKey, hundred.join('') + fifty)).read).toBe('delta');
    const prefix = base.slice(0, base.lastIndexOf('/') + 1);
    const inTwoHours = () => Date.now() + 2 * 3_600_000;
    const textOfLine5 = async () =>
      (await stack.pool.query('SELECT text FROM sessionlake.messages WHERE session_id = $1 AND line_number = 5', [rewrittenKey.slice(0, -'.jsonl'.length)])).rows;
    stack.getObjectKeys.length = 0;

    // Act: a pass while the objects are fresh (the default hour has not passed), then two once they are quiet.
    const early = await backfill.run({ prefix });
    const readEarly = stack.getObjectKeys.splice(0).filter((key) => key.includes('-0000005cq'));
    const staleBefore = await textOfLine5();
    const quiet = await backfill.run({ prefix, now: inTwoHours });
    const readQuiet = stack.getObjectKeys.splice(0).filter((key) => key.includes('-0000005cq')).sort();
    const again = await backfill.run({ prefix, now: inTwoHours });
    const readAgain = stack.getObjectKeys.splice(0);

    // Assess
    expect(early).toMatchObject({ status: 'finished', counts: { verified: 0 } });
    expect(readEarly).toEqual([]);
    expect(staleBefore).toEqual([{ text: 'prompt number 4 about the deploy key' }]);
    expect(quiet).toMatchObject({ status: 'finished', counts: { verified: 2 } });
    // The rewritten one is read to verify, then read again in full; the grown one only to verify.
    expect(readQuiet).toEqual([rewrittenKey, rewrittenKey, grownKey]);
    expect(await textOfLine5()).toEqual([{ text: 'prompt number 4 about the DEPLOY key' }]);
    expect(again).toMatchObject({ status: 'finished', counts: { verified: 0 } });
    expect(readAgain).toEqual([]);
  });

  it('verifies in the same pass a quiet object that the backfill itself stores by delta (its event was lost)', async () => {
    // Prepare: the rewritten, grown version is uploaded but its notification never reaches the write path.
    const key = `${base}d1.jsonl`;
    ingested(await sync(key, hundred.join('')));
    await upload(key, upperOnLine(hundred, 5).join('') + fifty);

    // Act
    const result = await backfill.run({ prefix: key, now: () => Date.now() + 2 * 3_600_000 });

    // Assess
    expect(result).toMatchObject({ status: 'finished', counts: { changed: 1, ingested: 1, failed: 0 } });
    ingested(await ingestAsStored(key, fresh.deps));
    expect(await snapshot(stack.pool, [uriOf(key)])).toEqual(await snapshot(fresh.pool, [uriOf(key)]));
  });

  it('reads in full, once, an object whose ingested ranges are not known (rows stored before they were recorded)', async () => {
    // Prepare: an object delta-ingested before migration 009 has no ranges at all.
    const key = `${base}l1.jsonl`;
    ingested(await sync(key, hundred.join('')));
    ingested(await sync(key, upperOnLine(hundred, 5).join('') + fifty));
    await stack.pool.query('DELETE FROM sessionlake.ingested_ranges WHERE uri = $1', [uriOf(key)]);
    stack.getObjectKeys.length = 0;

    // Act
    const first = await backfill.run({ prefix: key, verifyQuietMs: 0 });
    const second = await backfill.run({ prefix: key, verifyQuietMs: 0 });

    // Assess
    expect(first).toMatchObject({ status: 'finished', counts: { verified: 1 } });
    expect(second).toMatchObject({ status: 'finished', counts: { verified: 0 } });
    expect(stack.getObjectKeys).toEqual([key]);
    ingested(await ingestAsStored(key, fresh.deps));
    expect(await snapshot(stack.pool, [uriOf(key)])).toEqual(await snapshot(fresh.pool, [uriOf(key)]));
  });

  it('the scheduled backfill sends the verification through the ingest queue, and the ingest path repairs', async () => {
    // Prepare
    const key = `${base}s1.jsonl`;
    ingested(await sync(key, hundred.join('')));
    const next = upperOnLine(hundred, 5).join('') + fifty;
    expect(ingested(await sync(key, next)).read).toBe('delta');
    await stack.emulator.bridge.idle();
    await drainQueue(); // the upload notifications (no queue runner in this suite)

    // Act
    const sent = await backfill.run({
      prefix: key,
      verifyQuietMs: 0,
      actions: enqueueOnIngestQueue(stack.emulator.sqs, stack.emulator.queueUrl, stack.emulator.region, silentLogger),
    });
    const outcomes = await drainQueue();

    // Assess
    expect(sent).toMatchObject({ status: 'finished', counts: { verified: 1, enqueued: 0 } });
    expect(outcomes).toEqual(['ingested']);
    ingested(await ingestAsStored(key, fresh.deps));
    expect(await snapshot(stack.pool, [uriOf(key)])).toEqual(await snapshot(fresh.pool, [uriOf(key)]));
  });

  /** Hands every message on the ingest queue to the batch handler, as the Lambda's event source would. */
  async function drainQueue(): Promise<string[]> {
    const outcomes: string[] = [];
    for (;;) {
      const received = await stack.emulator.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.emulator.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = received.Messages ?? [];
      if (messages.length === 0) return outcomes;
      const event = {
        Records: messages.map((message) => ({ messageId: message.MessageId ?? '', body: message.Body ?? '', attributes: { ApproximateReceiveCount: '1' } })),
      } as unknown as SQSEvent;
      const response = await processSqsBatch(event, { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'verify' }, stack.deps);
      for (const result of response.results) if (result.ok) outcomes.push(...result.outcomes);
      for (const message of messages) {
        await stack.emulator.sqs.send(new DeleteMessageCommand({ QueueUrl: stack.emulator.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }
});
