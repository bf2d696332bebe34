import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleObject } from '../../../shared/ingest/handle-object.js';
import {
  BILLED_WITH_SPANS,
  BILLED_WITHOUT_SPANS,
  EVENTS_A,
  EVENTS_B,
  OTEL_EXPORT,
  SESSION_A,
  SESSION_B,
  copilotHomeDir,
  type BilledDay,
} from '../../fixtures/copilot/expectations.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * GitHub Copilot CLI's two usage sources billed once at write time (migration 025), through the real write path:
 * the events files first and the OTel export later, the reverse, and both at once (two connections), each on a
 * machine of its own. daily_usage must equal the sums counted by hand from the fixture (expectations.ts), and a
 * span must bill in the project of the session it belongs to, whichever object came first. Each machine's copy
 * gets session and response ids of its own (`localized`): copies of one response bill once across machines
 * (migration 012), which is not what is tested here.
 */

let stack: IngestStack;

beforeAll(async () => {
  stack = await startIngestStack();
});

afterAll(async () => {
  await stack?.stop();
});

function tag(machine: string, which: string): string {
  return createHash('sha256').update(`${machine}/${which}`).digest('hex').slice(0, 8);
}

/** The fixture with this machine's own session and response ids. */
function localized(machine: string, text: string): string {
  return text
    .replaceAll(SESSION_A.slice(0, 8), tag(machine, 'a'))
    .replaceAll(SESSION_B.slice(0, 8), tag(machine, 'b'))
    .replaceAll('msg_a_span_', `msg_${tag(machine, 'a')}_`)
    .replaceAll('chatcmpl-b1', `chatcmpl-${tag(machine, 'b')}`);
}

function localSession(machine: string, session: string): string {
  return localized(machine, session);
}

async function put(machine: string, relative: string, suffix = ''): Promise<string> {
  const key = `${machine}/raw/copilot/${localized(machine, relative)}`;
  const body = localized(machine, readFileSync(path.join(copilotHomeDir, relative), 'utf8')) + suffix;
  await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
  return key;
}

async function ingest(key: string): Promise<void> {
  const outcome = await handleObject(
    { bucket: stack.emulator.bucket, key, change: 'created', source: 'request', etag: null, size: null, sequencer: null },
    stack.deps,
  );
  expect(outcome.status, key).toBe('ingested');
}

interface Row extends BilledDay {
  projectKey: string;
  cost: string | null;
}

async function billed(machine: string): Promise<Row[]> {
  const { rows } = await stack.pool.query<Row>(
    `SELECT d.day::text AS day, d.model, d.project_key AS "projectKey", d.responses::int AS responses,
            d.input_tokens::int AS input, d.output_tokens::int AS output,
            d.cache_creation_input_tokens::int AS "cacheWrite", d.cache_read_input_tokens::int AS "cacheRead",
            d.reasoning_output_tokens::int AS reasoning, d.cost_usd::text AS cost
       FROM sessionlake.daily_usage d WHERE d.machine = $1 AND d.agent = 'copilot' ORDER BY 1, 2`,
    [machine],
  );
  return rows;
}

async function projectKeyOf(machine: string, session: string): Promise<string> {
  const { rows } = await stack.pool.query<{ project_key: string }>(
    `SELECT project_key FROM sessionlake.sessions WHERE machine = $1 AND agent = 'copilot' AND source_session_id = $2`,
    [machine, session],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.project_key;
}

/** The rates of model_prices applied to the hand-counted tokens, independently of the billing SQL. */
async function costOf(day: BilledDay): Promise<number> {
  const { rows } = await stack.pool.query<{ input: string; output: string; cache_write_5m: string | null; cache_read: string | null }>(
    `SELECT p.input, p.output, p.cache_write_5m, p.cache_read
       FROM sessionlake.model_aliases a RIGHT JOIN sessionlake.model_prices p ON p.model = a.model
      WHERE (a.alias = $1 OR p.model = $1) AND p.effective_from <= $2::date ORDER BY p.effective_from DESC LIMIT 1`,
    [day.model, day.day],
  );
  const rate = rows[0]!;
  return (
    (day.input * Number(rate.input) +
      day.output * Number(rate.output) +
      day.cacheWrite * Number(rate.cache_write_5m ?? 0) +
      day.cacheRead * Number(rate.cache_read ?? 0)) /
    1e6
  );
}

async function expectBilled(machine: string, expected: BilledDay[]): Promise<void> {
  const rows = await billed(machine);
  const wanted = await Promise.all(
    expected.map(async (day) => ({
      day: day.day,
      model: day.model,
      projectKey: await projectKeyOf(machine, localSession(machine, day.session)),
      responses: day.responses,
      input: day.input,
      output: day.output,
      cacheWrite: day.cacheWrite,
      cacheRead: day.cacheRead,
      reasoning: day.reasoning,
    })),
  );
  expect(rows.map(({ cost: _cost, ...row }) => row)).toEqual(wanted);
  for (const [index, day] of expected.entries()) {
    expect(Number(rows[index]!.cost)).toBeCloseTo(await costOf(day), 9);
  }
}

describe('Copilot CLI usage from session events and the OTel export, billed once at write time', () => {
  it('events files first: the shutdown totals bill, then the spans replace the totals of their process window', async () => {
    const machine = 'events-first';
    const keys = await Promise.all([put(machine, EVENTS_A), put(machine, EVENTS_B), put(machine, OTEL_EXPORT)]);
    await ingest(keys[0]!);
    await ingest(keys[1]!);
    await expectBilled(machine, BILLED_WITHOUT_SPANS);
    await ingest(keys[2]!);
    await expectBilled(machine, BILLED_WITH_SPANS);
  });

  it('OTel export first: the spans bill in no project until their sessions arrive, then in theirs', async () => {
    const machine = 'otel-first';
    const keys = await Promise.all([put(machine, EVENTS_A), put(machine, EVENTS_B), put(machine, OTEL_EXPORT)]);
    await ingest(keys[2]!);
    const before = await billed(machine);
    expect(before.map((row) => [row.day, row.responses, row.input, row.projectKey])).toEqual([
      ['2026-11-21', 2, 3500, `${machine}/(no project)`],
      ['2026-11-22', 1, 1000, `${machine}/(no project)`],
    ]);
    await ingest(keys[0]!);
    await ingest(keys[1]!);
    await expectBilled(machine, BILLED_WITH_SPANS);
  });

  it('both at once, on two connections: the same bill whichever commits first', async () => {
    for (const round of [1, 2, 3, 4]) {
      const machine = `together-${round}`;
      const keys = await Promise.all([put(machine, EVENTS_A), put(machine, EVENTS_B), put(machine, OTEL_EXPORT)]);
      // round parity flips which object starts first
      const [first, second] = round % 2 === 0 ? [keys[2]!, keys[0]!] : [keys[0]!, keys[2]!];
      await Promise.all([ingest(first), ingest(second)]);
      await ingest(keys[1]!);
      await expectBilled(machine, BILLED_WITH_SPANS);
    }
  });

  it('a re-ingested OTel export (a grown file) and a removed span leave no second bill', async () => {
    const machine = 'events-first';
    await ingest(await put(machine, OTEL_EXPORT, '\n'));
    await expectBilled(machine, BILLED_WITH_SPANS);
  });
});
