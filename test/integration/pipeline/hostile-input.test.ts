import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * Input that once lost data, pushed through the real upload path (PutObject → notification → queue →
 * batch handler → Postgres). Every good line must land; what cannot be stored is counted, not fatal.
 */

let stack: IngestStack;
let pool: pg.Pool;

beforeAll(async () => {
  stack = await startIngestStack({ runner: { functionTimeoutMs: 10_000, visibilityTimeoutSeconds: 10, waitTimeSeconds: 1 } });
  pool = stack.pool;
});

afterAll(() => stack?.stop());

async function upload(key: string, body: string | Uint8Array): Promise<void> {
  await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
  await stack.runner?.drain();
}

async function objectRow(key: string) {
  const result = await pool.query<{ state: string; error: string | null; values_rejected: number; session_id: string | null }>(
    'SELECT state, error, values_rejected, session_id FROM sessionlake.objects WHERE key = $1',
    [key],
  );
  return result.rows[0];
}

async function sessionCount(key: string): Promise<number> {
  const result = await pool.query('SELECT 1 FROM sessionlake.sessions WHERE id = $1', [key.replace(/\.jsonl$/, '')]);
  return result.rowCount ?? 0;
}

async function noMessageFailures(): Promise<void> {
  const failures = await pool.query('SELECT reason FROM sessionlake.message_failures');
  expect(failures.rows).toEqual([]);
}

const user = (text: string, timestamp: string) => JSON.stringify({ type: 'user', timestamp, message: { content: text } });

describe('numbers and dates no column can hold', () => {
  it('become NULL and are counted on the objects row; every line lands', async () => {
    const key = 'box/raw/claude/-w/out-of-range.jsonl';
    // Six values out of range or fractional, written as a log would carry them (raw JSON numbers).
    const body = [
      user('hello', '2024-01-01T10:00:00Z'),
      '{"type":"assistant","timestamp":"0000-01-01T00:00:00Z","message":{"id":"msg_1","model":"claude-x","content":"a","usage":{"input_tokens":10,"output_tokens":1e20}}}',
      '{"type":"assistant","timestamp":"-000001-01-01T00:00:00Z","message":{"id":"msg_2","model":"claude-x","content":"b","usage":{"input_tokens":1e300,"output_tokens":5}}}',
      '{"type":"assistant","timestamp":"2024-01-01T10:00:03Z","message":{"id":"msg_3","model":"claude-x","content":"c","usage":{"input_tokens":99999999999999999999,"output_tokens":1.5,"cache_read_input_tokens":7}}}',
      user('bye', '2024-01-01T10:00:04Z'),
      '',
    ].join('\n');

    await upload(key, body);

    await noMessageFailures();
    const object = await objectRow(key);
    expect(object).toMatchObject({ state: 'ingested', values_rejected: 6 });
    expect(object?.error).toContain('6 values out of range or invalid, stored as NULL');
    expect(object?.error).toContain('output_tokens at line 2');
    const messages = await pool.query<{ ordinal: number; timestamp: Date | null; input: string | null; output: string | null; cache_read: string | null }>(
      `SELECT ordinal, "timestamp", input_tokens AS input, output_tokens AS output, cache_read_input_tokens AS cache_read
       FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal`,
      [key.replace(/\.jsonl$/, '')],
    );
    expect(messages.rows).toEqual([
      { ordinal: 0, timestamp: new Date('2024-01-01T10:00:00Z'), input: null, output: null, cache_read: null },
      { ordinal: 1, timestamp: null, input: '10', output: null, cache_read: null },
      { ordinal: 2, timestamp: null, input: null, output: '5', cache_read: null },
      { ordinal: 3, timestamp: new Date('2024-01-01T10:00:03Z'), input: null, output: null, cache_read: '7' },
      { ordinal: 4, timestamp: new Date('2024-01-01T10:00:04Z'), input: null, output: null, cache_read: null },
    ]);
    const session = await pool.query('SELECT message_count, input_tokens, output_tokens, cache_read_input_tokens FROM sessionlake.sessions WHERE id = $1', [
      key.replace(/\.jsonl$/, ''),
    ]);
    expect(session.rows).toEqual([{ message_count: 5, input_tokens: '10', output_tokens: '5', cache_read_input_tokens: '7' }]);
  });

  it('in a Codex rollout too', async () => {
    const key = 'box/raw/codex/2026/03/01/rollout-2026-03-01T09-00-00-0195f0a0-0000-7000-8000-0000000000bb.jsonl';
    const body = [
      '{"timestamp":"2026-03-01T09:00:00.000Z","type":"session_meta","payload":{"id":"0195f0a0-0000-7000-8000-0000000000bb","cwd":"/w/app","source":"cli"}}',
      '{"timestamp":"2026-03-01T09:00:01.000Z","type":"turn_context","payload":{"model":"gpt-5","turn_id":"t1"}}',
      '{"timestamp":"2026-03-01T09:00:02.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]}}',
      '{"timestamp":"+275760-09-13T00:00:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":1e20},"total_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":1e20}}}}',
      '',
    ].join('\n');

    await upload(key, body);

    await noMessageFailures();
    // The timestamp (year 275760) and output_tokens in both usage objects: three values.
    expect(await objectRow(key)).toMatchObject({ state: 'ingested', values_rejected: 3 });
    const billed = await pool.query(
      `SELECT input_tokens, output_tokens, "timestamp" FROM sessionlake.messages WHERE session_id = $1 AND source_subtype = 'token_count'`,
      [key.replace(/\.jsonl$/, '')],
    );
    expect(billed.rows).toEqual([{ input_tokens: '100', output_tokens: null, timestamp: null }]);
  });
});

describe('dates that do not exist', () => {
  it('are NULL and counted in a Codex rollout too, for the line timestamp and session_meta.timestamp alike', async () => {
    const key = 'datebox/raw/codex/2026/03/01/rollout-2026-03-01T09-00-00-0195f0a0-0000-7000-8000-0000000000cc.jsonl';
    const body = [
      '{"timestamp":"2026-03-01T09:00:00.000Z","type":"session_meta","payload":{"id":"0195f0a0-0000-7000-8000-0000000000cc","timestamp":"2026-02-29T09:00:00Z","cwd":"/w/app","source":"cli"}}',
      '{"timestamp":"2026-03-01T09:00:01.000Z","type":"turn_context","payload":{"model":"gpt-5","turn_id":"t1"}}',
      // Unix seconds where the date belongs: 1772355602 is 2026-03-01T09:00:02Z.
      '{"timestamp":1772355602,"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]}}',
      '{"timestamp":"2026-02-30T09:00:03.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":10},"total_token_usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":10}}}}',
      '',
    ].join('\n');

    await upload(key, body);

    await noMessageFailures();
    const object = await objectRow(key);
    expect(object).toMatchObject({ state: 'ingested', values_rejected: 2 });
    expect(object?.error).toBe('2 values out of range or invalid, stored as NULL (session_meta.timestamp at line 1, timestamp at line 4)');
    const rows = await pool.query(
      `SELECT source_subtype, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS ts FROM sessionlake.messages
       WHERE session_id = $1 AND source_subtype IN ('message', 'token_count') ORDER BY ordinal`,
      [key.replace(/\.jsonl$/, '')],
    );
    expect(rows.rows).toEqual([
      { source_subtype: 'message', ts: '2026-03-01T09:00:02' },
      { source_subtype: 'token_count', ts: null },
    ]);
    // The usage lands on no day, and never on 2026-03-02 where Date would have rolled 2026-02-30.
    const days = await pool.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, input_tokens::bigint, output_tokens::bigint FROM sessionlake.daily_usage WHERE machine = 'datebox' AND agent = 'codex' ORDER BY day NULLS FIRST`,
    );
    expect(days.rows).toEqual([{ day: null, input_tokens: '100', output_tokens: '10' }]);
  });
});

describe('objects that hold no session record', () => {
  it.each([
    ['whitespace only', 'box/raw/claude/-w/blank.jsonl', '  \n\n\t\n', /^no valid record: 3 lines, none a JSON object/],
    ['random bytes', 'box/raw/claude/-w/random.jsonl', randomBytes(5 * 1024 * 1024), /^no valid record: \d+ lines, none a JSON object$/],
    ['JSON of no known type', 'box/raw/claude/-w/foreign.jsonl', '{"a":1}\n{"b":2}\n', /^no Claude Code record: 2 JSON lines, all of unknown types$/],
  ])('are skipped with the reason, and no session row is made: %s', async (_name, key, body, reason) => {
    await upload(key, body);

    await noMessageFailures();
    const object = await objectRow(key);
    expect(object?.state).toBe('skipped');
    expect(object?.error).toMatch(reason);
    expect(object?.session_id).toBeNull();
    expect(await sessionCount(key)).toBe(0);
  });

  it('an empty object is skipped as empty, and a later upload with real content lands', async () => {
    const key = 'box/raw/claude/-w/later.jsonl';
    await upload(key, new Uint8Array(0));
    expect(await objectRow(key)).toMatchObject({ state: 'skipped', error: 'empty object', session_id: null });

    await upload(key, `${user('now with content', '2024-02-02T00:00:00Z')}\n`);

    expect(await objectRow(key)).toMatchObject({ state: 'ingested', error: null, session_id: key.replace(/\.jsonl$/, '') });
    expect(await sessionCount(key)).toBe(1);
  });
});

describe('raw NUL bytes inside a line', () => {
  it('keep the line, with the NULs removed', async () => {
    const key = 'box/raw/claude/-w/nul.jsonl';
    const line = user('before\u0000after', '2024-03-03T00:00:00Z').replace('\\u0000', '\u0000');
    expect(line).toContain('\u0000');
    const body = `${user('first', '2024-03-03T00:00:00Z')}\n${line}\n`;

    await upload(key, body);

    await noMessageFailures();
    expect(await objectRow(key)).toMatchObject({ state: 'ingested' });
    const texts = await pool.query('SELECT text FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal', [key.replace(/\.jsonl$/, '')]);
    expect(texts.rows).toEqual([{ text: 'first' }, { text: 'beforeafter' }]);
  });
});
