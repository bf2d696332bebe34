import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * Every file of the bad-input corpus (test/fixtures/bad-input, plus the cases too large or too binary for git,
 * generated here from a fixed seed) through the real upload path: PutObject → notification → queue → handler.
 * No crash, every good line kept, every bad one counted with a readable reason, no negative token in a sum.
 */

const CORPUS = fileURLToPath(new URL('../../fixtures/bad-input/claude/-corpus/', import.meta.url));
const PREFIX = 'bad/raw/claude/-corpus/';
/** Under the emulator's 11 MiB body limit, over a 10 MB line. */
const MAX_LINE_BYTES = 10.5 * 1024 * 1024;

const user = (text: string, second = 0) =>
  JSON.stringify({ type: 'user', sessionId: 'corpus', timestamp: `2026-02-01T10:00:${String(second).padStart(2, '0')}Z`, message: { content: text } });

/** Deterministic bytes (xorshift32) so a failure replays. */
function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface Expected {
  state: 'ingested' | 'skipped';
  /** Message rows (ingested only). */
  messages?: number;
  malformed?: number;
  valuesRejected?: number;
  truncated?: boolean;
  /** What objects.error must say. */
  error?: RegExp | null;
}

/** Expectations read from the files: see each file, one line per record. */
const COMMITTED: Record<string, Expected> = {
  'torn-last-line.jsonl': { state: 'ingested', messages: 2, malformed: 0, truncated: true, error: /final line torn/ },
  'invalid-utf8.jsonl': { state: 'ingested', messages: 2, malformed: 0, error: /1 line with invalid UTF-8, kept with U\+FFFD/ },
  'bom.jsonl': { state: 'ingested', messages: 2, malformed: 0, error: null },
  'crlf.jsonl': { state: 'ingested', messages: 2, malformed: 0, error: null },
  'nul-bytes.jsonl': { state: 'ingested', messages: 3, malformed: 0, error: /1 line with raw control characters/ },
  'non-object.jsonl': { state: 'ingested', messages: 1, malformed: 5, error: /5 not-an-object lines/ },
  // message: 5 · usage: "x" · input_tokens: "12" · output_tokens: -5 · timestamp: "yesterday"
  'wrong-types.jsonl': { state: 'ingested', messages: 5, malformed: 0, valuesRejected: 5, error: /5 values out of range or invalid, stored as NULL \(message at line 2, usage at line 3, input_tokens at line 4, output_tokens at line 4, timestamp at line 5\)/ },
  // Lines 2-9 and 13 carry a date or time that does not exist (Feb 30, Feb 29 of 2026 and 2025, Apr 31, hour 24,
  // minute 60, second 61, offset +15:00) or no zone; lines 10-12 are Unix seconds, milliseconds and a leap second.
  'impossible-dates.jsonl': { state: 'ingested', messages: 13, malformed: 0, valuesRejected: 9, error: /^9 values out of range or invalid, stored as NULL \(timestamp at line 2, timestamp at line 3, timestamp at line 4, timestamp at line 5, timestamp at line 6\)$/ },
  // Lines 4 and 5: cache_creation_input_tokens 400 vs split 300 + 900, and 1000 vs 100 + 200.
  'cache-write-split.jsonl': { state: 'ingested', messages: 5, malformed: 0, error: /^2 cache-write totals not equal to the 5-minute \+ 1-hour split, billed as the larger \(cache_creation_input_tokens at line 4, cache_creation_input_tokens at line 5\)$/ },
  // Line 3: `iterations` is a string.
  'compaction-iterations.jsonl': { state: 'ingested', messages: 3, malformed: 0, valuesRejected: 1, error: /^1 value out of range or invalid, stored as NULL \(iterations at line 3\)$/ },
  'empty.jsonl': { state: 'skipped', error: /^empty object$/ },
  'whitespace.jsonl': { state: 'skipped', error: /^no valid record: 3 lines, none a JSON object \(only blank lines\)$/ },
};

/**
 * Every month's last day and the day after it, in a common year, two leap years (one by the 400 rule) and a
 * century year that is not one; then the edges of a day. Odd lines exist, even lines do not.
 */
function calendarEdges(): { body: string; rejected: number } {
  const stamps: string[] = [];
  const pad = (n: number) => String(n).padStart(2, '0');
  for (const year of [2023, 2024, 2000, 2100]) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const lastDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    lastDays.forEach((last, index) => {
      stamps.push(`${year}-${pad(index + 1)}-${pad(last)}T12:00:00Z`, `${year}-${pad(index + 1)}-${pad(last + 1)}T12:00:00Z`);
    });
  }
  stamps.push('2023-06-15T23:59:59Z', '2023-06-15T24:00:00Z', '2023-06-15T23:59:58.5Z', '2023-06-15T23:60:00Z');
  stamps.push('2016-12-31T23:59:60Z', '2023-06-30T23:59:60Z');
  const body = stamps.map((timestamp, index) => JSON.stringify({ type: 'user', sessionId: 'corpus', timestamp, message: { content: `line ${index + 1}` } })).join('\n');
  return { body: `${body}\n`, rejected: stamps.length / 2 };
}

const DEEP = 100_000;
const GENERATED: Record<string, { body: () => Uint8Array | string; expected: Expected }> = {
  'ten-mb-line.jsonl': {
    body: () => `${user('first')}\n${user('x'.repeat(10_000_000), 1)}\n`,
    expected: { state: 'ingested', messages: 2, malformed: 0, error: null },
  },
  'over-the-cap.jsonl': {
    body: () => `${user('first')}\n${user('y'.repeat(11_100_000), 1)}\n${user('third', 2)}\n`,
    expected: { state: 'ingested', messages: 2, malformed: 1, error: /1 too-long line/ },
  },
  'deep-arrays.jsonl': {
    body: () =>
      [
        user('first'),
        `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`,
        `{"type":"assistant","sessionId":"corpus","message":{"id":"m1","model":"claude-x","content":[{"type":"tool_use","id":"t1","name":"Deep","input":{"a":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}}]}}`,
        '',
      ].join('\n'),
    expected: { state: 'ingested', messages: 2, malformed: 1, valuesRejected: 1, error: /1 not-an-object line.*1 JSON value nested too deep to store/ },
  },
  'calendar-edges.jsonl': {
    body: () => calendarEdges().body,
    expected: { state: 'ingested', messages: 102, malformed: 0, valuesRejected: calendarEdges().rejected, error: /^51 values out of range or invalid, stored as NULL \(timestamp at line 2, timestamp at line 4, timestamp at line 6, timestamp at line 8, timestamp at line 10\)$/ },
  },
  'binary.jsonl': {
    body: () => seededBytes(256 * 1024, 20261127),
    expected: { state: 'skipped', error: /^no valid record: \d+ lines, none a JSON object$/ },
  },
};

const AWKWARD_KEYS = [
  'bad/raw/claude/-corpus/plus+sign.jsonl',
  'bad/raw/claude/-corpus/percent%2Bencoded.jsonl',
  'bad/raw/claude/-corpus/with space.jsonl',
  'bad/raw/claude/-corpus/ünïcødé ✓ 日本.jsonl',
  'bad/raw/claude/../dotdot.jsonl',
  `bad/raw/claude/-${'p'.repeat(900)}/long-segment.jsonl`,
];

let stack: IngestStack;

beforeAll(async () => {
  stack = await startIngestStack({ runner: { functionTimeoutMs: 30_000, visibilityTimeoutSeconds: 30, waitTimeSeconds: 1 } });
  stack.deps.maxLineBytes = MAX_LINE_BYTES;
  const committed = await readdir(CORPUS);
  expect(committed.sort()).toEqual(Object.keys(COMMITTED).sort());
  const uploads: Array<[string, Uint8Array | string]> = [
    ...(await Promise.all(committed.map(async (name) => [PREFIX + name, new Uint8Array(await readFile(path.join(CORPUS, name)))] as [string, Uint8Array]))),
    ...Object.entries(GENERATED).map(([name, generated]) => [PREFIX + name, generated.body()] as [string, Uint8Array | string]),
    ...AWKWARD_KEYS.map((key) => [key, `${user(`key ${key.length}`)}\n`] as [string, string]),
  ];
  for (const [key, body] of uploads) {
    await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
  }
  await stack.runner?.drain();
}, 120_000);

afterAll(() => stack?.stop());

async function objectRow(key: string) {
  const result = await stack.pool.query<{ state: string; error: string | null; lines_malformed: number | null; values_rejected: number; truncated: boolean; messages: number | null }>(
    `SELECT o.state, o.error, o.lines_malformed, o.values_rejected, o.truncated,
            (SELECT count(*)::int FROM sessionlake.messages m WHERE m.session_id = o.session_id) AS messages
     FROM sessionlake.objects o WHERE o.key = $1`,
    [key],
  );
  return result.rows[0];
}

describe('the bad-input corpus through the upload path', () => {
  it('reaches no DLQ and fails no message', async () => {
    const failures = await stack.pool.query('SELECT reason FROM sessionlake.message_failures');
    expect(failures.rows).toEqual([]);
    const failed = await stack.pool.query(`SELECT key, error FROM sessionlake.objects WHERE state NOT IN ('ingested', 'skipped')`);
    expect(failed.rows).toEqual([]);
  });

  it.each(Object.entries({ ...COMMITTED, ...Object.fromEntries(Object.entries(GENERATED).map(([name, g]) => [name, g.expected])) }))(
    '%s: every good line kept, every bad one counted with its reason',
    async (name, expected) => {
      const row = await objectRow(PREFIX + name);

      expect(row?.state).toBe(expected.state);
      if (expected.error === null) expect(row?.error).toBeNull();
      else if (expected.error !== undefined) expect(row?.error).toMatch(expected.error);
      if (expected.state === 'ingested') {
        expect(row?.messages).toBe(expected.messages);
        expect(row?.lines_malformed).toBe(expected.malformed);
        expect(row?.values_rejected).toBe(expected.valuesRejected ?? 0);
        expect(row?.truncated).toBe(expected.truncated ?? false);
      } else {
        const sessions = await stack.pool.query('SELECT 1 FROM sessionlake.sessions WHERE id = $1', [(PREFIX + name).replace(/\.jsonl$/, '')]);
        expect(sessions.rowCount).toBe(0);
      }
    },
  );

  it('keeps the text around bad bytes: U+FFFD for invalid UTF-8, NULs removed, no CR from CRLF, the BOM gone', async () => {
    const texts = async (name: string) =>
      (await stack.pool.query('SELECT text FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal', [(PREFIX + name).replace(/\.jsonl$/, '')])).rows.map(
        (row) => row.text as string,
      );
    expect(await texts('invalid-utf8.jsonl')).toEqual(['first', 'bad \uFFFD\uFFFD bytes']);
    expect(await texts('nul-bytes.jsonl')).toEqual(['first', 'rawnul', 'escapednul']);
    expect(await texts('crlf.jsonl')).toEqual(['first', 'second']);
    expect(await texts('bom.jsonl')).toEqual(['first', 'second']);
    expect((await texts('ten-mb-line.jsonl'))[1]).toHaveLength(10_000_000);
  });

  it('stores no impossible date rolled over into a real one; Unix numbers and a leap second land where they say', async () => {
    const stamps = async (name: string) =>
      (
        await stack.pool.query<{ ts: string | null }>(
          `SELECT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS ts FROM sessionlake.messages WHERE session_id = $1 ORDER BY ordinal`,
          [(PREFIX + name).replace(/\.jsonl$/, '')],
        )
      ).rows.map((row) => row.ts);
    expect(await stamps('impossible-dates.jsonl')).toEqual([
      '2026-02-01T10:00:00.000', null, null, null, null, null, null, null, null,
      '2026-02-01T10:00:10.000', '2026-02-01T10:00:11.250', '2016-12-31T23:59:59.999', null,
    ]);
    const edges = await stamps('calendar-edges.jsonl');
    expect(edges.filter((_, index) => index % 2 === 1)).toEqual(Array.from({ length: 51 }, () => null));
    expect(edges.filter((_, index) => index % 2 === 0).every((ts) => ts !== null)).toBe(true);
    expect(edges.slice(0, 4)).toEqual(['2023-01-31T12:00:00.000', null, '2023-02-28T12:00:00.000', null]);
    // The session spans only real instants: neither 2026-03-02 (Feb 30 rolled over) nor 2026-05-01 (Apr 31).
    const span = await stack.pool.query(
      `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS started, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS ended
       FROM sessionlake.sessions WHERE id = $1`,
      [`${PREFIX}impossible-dates`],
    );
    expect(span.rows).toEqual([{ started: '2016-12-31 23:59:59', ended: '2026-02-01 10:00:11' }]);
  });

  it('stores the 1-hour cache writes and the compaction iterations on the billed row', async () => {
    const rows = await stack.pool.query(
      `SELECT message_id, cache_creation_input_tokens AS cw, cache_creation_1h_input_tokens AS cw1h, compaction_input_tokens AS c_in,
              compaction_output_tokens AS c_out, compaction_cache_creation_input_tokens AS c_cw, compaction_cache_read_input_tokens AS c_read
       FROM sessionlake.messages WHERE session_id = ANY($1) AND message_id IS NOT NULL ORDER BY session_id, ordinal`,
      [[`${PREFIX}cache-write-split`, `${PREFIX}compaction-iterations`]],
    );
    expect(rows.rows).toEqual([
      { message_id: 'msg_1h_only', cw: '10000', cw1h: '10000', c_in: null, c_out: null, c_cw: null, c_read: null },
      { message_id: 'msg_5m_only', cw: '2000', cw1h: '0', c_in: null, c_out: null, c_cw: null, c_read: null },
      { message_id: 'msg_split_larger', cw: '1200', cw1h: '900', c_in: null, c_out: null, c_cw: null, c_read: null },
      { message_id: 'msg_total_larger', cw: '1000', cw1h: '200', c_in: null, c_out: null, c_cw: null, c_read: null },
      { message_id: 'msg_compacted', cw: null, cw1h: null, c_in: '180000', c_out: '3500', c_cw: '0', c_read: '0' },
      { message_id: 'msg_bad_iterations', cw: null, cw1h: null, c_in: null, c_out: null, c_cw: null, c_read: null },
    ]);
  });

  it('puts those numbers into daily_usage, priced by hand from the files (claude-sonnet-4-5: $3 in, $15 out, $3.75 5m, $6 1h)', async () => {
    const days = await stack.pool.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, responses::int, input_tokens::bigint, output_tokens::bigint, cache_creation_input_tokens::bigint AS cw,
              cache_write_1h_tokens::bigint AS cw1h, total_tokens::bigint, compaction_input_tokens::bigint AS c_in,
              compaction_output_tokens::bigint AS c_out, cost_usd
       FROM sessionlake.daily_usage WHERE machine = 'bad' AND model = 'claude-sonnet-4-5' ORDER BY day NULLS FIRST`,
    );
    const cost = days.rows.map((row) => Number(row.cost_usd));
    expect(days.rows.map(({ cost_usd: _cost, ...row }) => row)).toEqual([
      // impossible-dates line 2 (2026-02-30): no day, never 2026-03-02. 1000 in, 100 out.
      { day: null, responses: 1, input_tokens: '1000', output_tokens: '100', cw: '0', cw1h: '0', total_tokens: '1100', c_in: '0', c_out: '0' },
      // cache-write-split: in 100+10+1+1, out 50+5+1+1, writes 10000+2000+1200+1000 of which 1-hour 10000+0+900+200.
      { day: '2026-02-03', responses: 4, input_tokens: '112', output_tokens: '57', cw: '14200', cw1h: '11100', total_tokens: '14369', c_in: '0', c_out: '0' },
      // compaction-iterations: 23000 + 180000 (compaction) + 1 in, 1000 + 3500 (compaction) + 1 out.
      { day: '2026-02-04', responses: 2, input_tokens: '203001', output_tokens: '4501', cw: '0', cw1h: '0', total_tokens: '207502', c_in: '180000', c_out: '3500' },
    ]);
    // 1000 × 3 + 100 × 15 per million.
    expect(cost[0]).toBeCloseTo(0.0045, 9);
    // 112 × 3 + 57 × 15 + 3100 × 3.75 + 11100 × 6 per million; msg_1h_only alone is 0.06105 (0.06 of it the
    // 10 000 one-hour writes the total-less usage used to lose).
    expect(cost[1]).toBeCloseTo(0.079416, 9);
    // Each part below the 200k long-context threshold, so each at base rates: compaction 180000 × 3 + 3500 × 15,
    // message 23000 × 3 + 1000 × 15, msg_bad_iterations 1 × 3 + 1 × 15 (per million). Summed into one request
    // (203 000 input) it would have been priced at the long-context rates, 1.31925 + 0.000018.
    expect(cost[2]).toBeCloseTo(0.5925 + 0.084 + 0.000018, 9);
  });

  it('lets no negative or non-numeric token count reach a sum', async () => {
    const negative = await stack.pool.query(
      `SELECT count(*)::int AS n FROM sessionlake.messages
       WHERE input_tokens < 0 OR output_tokens < 0 OR cache_read_input_tokens < 0 OR cache_creation_input_tokens < 0`,
    );
    const sums = await stack.pool.query(
      `SELECT input_tokens, output_tokens, cache_read_input_tokens FROM sessionlake.sessions WHERE id = $1`,
      [`${PREFIX}wrong-types`],
    );
    expect(negative.rows[0]?.n).toBe(0);
    // m2's cache_read_input_tokens (3) is the only valid count in the file; a column no response gave stays NULL.
    expect(sums.rows).toEqual([{ input_tokens: null, output_tokens: null, cache_read_input_tokens: '3' }]);
  });

  it('lands keys with +, %2B, spaces, unicode, .. and a 900-byte segment under their exact names', async () => {
    const landed = await stack.pool.query<{ key: string; state: string; id: string }>(
      `SELECT o.key, o.state, s.id FROM sessionlake.objects o JOIN sessionlake.sessions s ON s.object_uri = o.uri WHERE o.key = ANY($1) ORDER BY o.key`,
      [AWKWARD_KEYS],
    );
    expect(landed.rows.map((row) => row.key).sort()).toEqual([...AWKWARD_KEYS].sort());
    for (const row of landed.rows) {
      expect(row.state).toBe('ingested');
      expect(row.id).toBe(row.key.replace(/\.jsonl$/, ''));
    }
  });
});
