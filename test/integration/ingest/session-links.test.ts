import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleObject, type ObjectOutcome } from '../../../shared/ingest/handle-object.js';
import { plantSecrets } from '../../support/planted-secrets.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * What the last statements of a session's write set besides its summary: its parent, named by the log only by
 * its source id (resolved whichever of parent and child lands first, and to the parent of the child's own
 * machine when the same parent was synced from two), and its count of secret findings, after a full ingest and
 * after deltas.
 */

let stack: IngestStack;
let sequence = 0;

beforeAll(async () => {
  stack = await startIngestStack();
});
afterAll(() => stack?.stop());

const PARENT = '019a0000-0000-7000-8000-0000000000a1';
const CHILD = '019a0000-0000-7000-8000-0000000000c1';
const LATE_CHILD = '019a0000-0000-7000-8000-0000000000c2';

const line = (record: Record<string, unknown>) => `${JSON.stringify(record)}\n`;
const meta = (id: string, parent: string | null) =>
  line({
    timestamp: '2026-05-01T10:00:00Z',
    type: 'session_meta',
    payload: { id, cwd: '/tmp/repo', originator: 'codex_cli_rs', source: parent === null ? 'cli' : { subagent: { thread_spawn: { parent_thread_id: parent } } } },
  });
const prompt = (text: string, second: number) =>
  line({
    timestamp: `2026-05-01T10:00:${String(second).padStart(2, '0')}Z`,
    type: 'response_item',
    payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
const keyOf = (machine: string, id: string) => `${machine}/raw/codex/2026/05/01/rollout-2026-05-01T10-00-00-${id}.jsonl`;
const sessionIdOf = (machine: string, id: string) => keyOf(machine, id).slice(0, -'.jsonl'.length);

async function sync(key: string, body: string): Promise<ObjectOutcome> {
  const response = await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
  sequence += 1;
  const etag = (response.ETag ?? '').replaceAll('"', '');
  const notice = { bucket: stack.emulator.bucket, key, change: 'created', source: 'event', etag, size: Buffer.byteLength(body), sequencer: sequence.toString(16).padStart(16, '0') } as const;
  return handleObject(notice, stack.deps);
}

async function parentOf(machine: string, id: string): Promise<string | null> {
  const result = await stack.pool.query<{ parent: string | null }>(`SELECT parent_session_id AS parent FROM sessionlake.sessions WHERE id = $1`, [
    sessionIdOf(machine, id),
  ]);
  if (result.rows[0] === undefined) throw new Error(`no session ${id} on ${machine}`);
  return result.rows[0].parent;
}

describe('session links and counts set with the summary', () => {
  it('links a child to a parent that lands later, a later child at once, and prefers the parent of its own machine', async () => {
    // A child lands before any parent: none to link to yet.
    expect((await sync(keyOf('laptop', CHILD), meta(CHILD, PARENT) + prompt('child work', 1))).status).toBe('ingested');
    expect(await parentOf('laptop', CHILD)).toBeNull();

    // The parent lands on another machine: the child takes it (the only one there is).
    await sync(keyOf('desk', PARENT), meta(PARENT, null) + prompt('parent work', 1));
    expect(await parentOf('laptop', CHILD)).toBe(sessionIdOf('desk', PARENT));

    // The same parent synced from the child's own machine: the child moves to it.
    await sync(keyOf('laptop', PARENT), meta(PARENT, null) + prompt('parent work', 1));
    expect(await parentOf('laptop', CHILD)).toBe(sessionIdOf('laptop', PARENT));

    // A child landing after its parents resolves its own: the session of its machine.
    await sync(keyOf('laptop', LATE_CHILD), meta(LATE_CHILD, PARENT) + prompt('more child work', 1));
    expect(await parentOf('laptop', LATE_CHILD)).toBe(sessionIdOf('laptop', PARENT));

    // Grown parent and child: none of it changes.
    expect(await sync(keyOf('desk', PARENT), meta(PARENT, null) + prompt('parent work', 1) + prompt('and more', 2))).toMatchObject({ status: 'ingested' });
    expect(await sync(keyOf('laptop', CHILD), meta(CHILD, PARENT) + prompt('child work', 1) + prompt('again', 2))).toMatchObject({ status: 'ingested' });
    expect(await parentOf('laptop', CHILD)).toBe(sessionIdOf('laptop', PARENT));
    expect(await parentOf('laptop', LATE_CHILD)).toBe(sessionIdOf('laptop', PARENT));
    expect(await parentOf('desk', PARENT)).toBeNull();
    expect(await parentOf('laptop', PARENT)).toBeNull();
  });

  it('counts the secret findings of a session after its first ingest and after each delta', async () => {
    const [first, second] = plantSecrets(31);
    if (first === undefined || second === undefined) throw new Error('two planted secrets expected');
    const id = '7d1e0c1e-0000-4000-8000-0000000005ec';
    const key = `laptop/raw/claude/-home-dev-repo/${id}.jsonl`;
    const counted = async () => {
      const result = await stack.pool.query<{ secrets_found: number; findings: string }>(
        `SELECT s.secrets_found, (SELECT count(*) FROM sessionlake.secret_findings f WHERE f.session_id = s.id) AS findings
         FROM sessionlake.sessions s WHERE s.object_uri = $1`,
        [`s3://${stack.emulator.bucket}/${key}`],
      );
      return result.rows[0];
    };
    const claudePrompt = (text: string, second: number) =>
      line({ type: 'user', sessionId: id, uuid: `u-${second}`, timestamp: `2026-05-01T10:00:${String(second).padStart(2, '0')}Z`, message: { role: 'user', content: text } });
    let body = claudePrompt(`set up ${first.context}`, 1);

    const full = await sync(key, body);
    expect(full).toMatchObject({ status: 'ingested', read: 'full', secretsFound: 1 });
    expect(await counted()).toEqual({ secrets_found: 1, findings: '1' });

    body += claudePrompt('nothing secret here', 2);
    expect(await sync(key, body)).toMatchObject({ status: 'ingested', read: 'delta', secretsFound: 1 });
    expect(await counted()).toEqual({ secrets_found: 1, findings: '1' });

    body += claudePrompt(`then ${second.context}`, 3);
    expect(await sync(key, body)).toMatchObject({ status: 'ingested', read: 'delta', secretsFound: 2 });
    expect(await counted()).toEqual({ secrets_found: 2, findings: '2' });
  });
});
