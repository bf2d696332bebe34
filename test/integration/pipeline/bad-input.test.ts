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
  'empty.jsonl': { state: 'skipped', error: /^empty object$/ },
  'whitespace.jsonl': { state: 'skipped', error: /^no valid record: 3 lines, none a JSON object \(only blank lines\)$/ },
};

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
