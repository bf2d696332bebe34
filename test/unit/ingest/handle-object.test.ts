import { describe, expect, it } from 'vitest';
import { handleObject, objectUri, type IngestDependencies, type ObjectNotice } from '../../../shared/ingest/handle-object.js';
import { silentLogger } from '../../../shared/log.js';
import { PARSERS, storedParserVersion } from '../../../shared/parsers/registry.js';
import { MemoryReader, MemoryStore } from '../../support/memory-store.js';

/**
 * handleObject's decisions, with the store and S3 in memory (no Postgres): what is fetched, what is written,
 * and what is left alone. Writing a session's rows is covered against Postgres (test/integration/ingest/).
 */

const BUCKET = 'b';
const SESSION = 'laptop/raw/claude/-w/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl';
const SIDECAR = 'laptop/raw/claude/-w/5c0375b4-57a5-4f26-b12d-d022ee4e51b7/tool-results/toolu_1.txt';

function setup(): { store: MemoryStore; reader: MemoryReader; deps: IngestDependencies } {
  const store = new MemoryStore();
  const reader = new MemoryReader();
  return { store, reader, deps: { store, reader, log: silentLogger, maxLineBytes: 1024 * 1024 } };
}

function notice(key: string, changes: Partial<ObjectNotice> = {}): ObjectNotice {
  return { bucket: BUCKET, key, change: 'created', source: 'event', etag: 'e1', size: 10, sequencer: null, ...changes };
}

const CURRENT = storedParserVersion(PARSERS.claude);

describe('handleObject, store in memory', () => {
  it('records a key outside the layout as skipped, once per version, without fetching it', async () => {
    const { store, reader, deps } = setup();
    const key = 'laptop/raw/unknown-agent/x.jsonl';

    expect(await handleObject(notice(key), deps)).toEqual({ status: 'skipped', reason: 'unsupported agent "unknown-agent"' });
    expect(await handleObject(notice(key), deps)).toMatchObject({ status: 'skipped' });
    expect(store.writes).toEqual([`markSkipped ${key}`]);
    expect(await handleObject(notice(key, { etag: 'e2' }), deps)).toMatchObject({ status: 'skipped' });
    expect(store.writes).toEqual([`markSkipped ${key}`, `markSkipped ${key}`]);
    expect(reader.opened).toEqual([]);
  });

  it('leaves a session alone, unlocked and unfetched, when an older event arrives', async () => {
    const { store, reader, deps } = setup();
    store.rows.set(objectUri(BUCKET, SESSION), row({ etag: 'e2', sequencer: '00B', state: 'ingested', parserVersion: CURRENT }));

    expect(await handleObject(notice(SESSION, { sequencer: '00A' }), deps)).toEqual({ status: 'stale' });
    expect([store.locks, store.writes, reader.opened]).toEqual([0, [], []]);
  });

  it('does not fetch a version stored by the current parser, and re-reads one stored by an older parser', async () => {
    const { store, reader, deps } = setup();
    store.rows.set(objectUri(BUCKET, SESSION), row({ etag: 'e1', state: 'ingested', parserVersion: CURRENT }));
    expect(await handleObject(notice(SESSION), deps)).toEqual({ status: 'unchanged' });
    expect([store.locks, reader.opened]).toEqual([0, []]);

    store.rows.set(objectUri(BUCKET, SESSION), row({ etag: 'e1', state: 'ingested', parserVersion: 'claude/0+r0' }));
    // Gone from the bucket by the time it is read: the read says so, and the row is marked deleted.
    expect(await handleObject(notice(SESSION), deps)).toEqual({ status: 'deleted' });
    expect(reader.opened).toEqual([SESSION]);
    expect(store.writes).toEqual([`markDeleted ${SESSION}`]);
  });

  it('marks a removed object deleted, unless a listing saw it before the row last changed', async () => {
    const { store, deps } = setup();
    store.rows.set(objectUri(BUCKET, SESSION), row({ etag: 'e1', state: 'ingested', parserVersion: CURRENT }));
    const listedBefore = new Date(store.now.getTime() - 1000);

    expect(await handleObject(notice(SESSION, { change: 'removed', source: 'listing', listedSince: listedBefore }), deps)).toEqual({ status: 'stale' });
    expect(store.writes).toEqual([]);
    expect(await handleObject(notice(SESSION, { change: 'removed' }), deps)).toEqual({ status: 'deleted' });
    expect(store.writes).toEqual([`markDeleted ${SESSION}`]);
    expect(store.rows.get(objectUri(BUCKET, SESSION))?.state).toBe('deleted');
  });

  it('reports a requested object that does not exist as missing and writes nothing; an event for it deletes', async () => {
    const { store, deps } = setup();

    expect(await handleObject(notice(SESSION, { source: 'request', etag: null }), deps)).toMatchObject({ status: 'missing' });
    expect([store.locks, store.writes]).toEqual([0, []]);
    expect(await handleObject(notice(SESSION, { etag: null }), deps)).toEqual({ status: 'deleted' });
    expect(store.writes).toEqual([`markDeleted ${SESSION}`]);
  });

  it('touches no rows for content no parser takes: only the skip is recorded (the old rows are never deleted)', async () => {
    const { store, reader, deps } = setup();
    const rollout = JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', type: 'session_meta', payload: { id: 'x' } });
    // The memory store cannot delete or write rows: had the write path begun the session, this would throw.
    reader.objects.set(SESSION, { etag: 'e1', body: `${rollout}\n` });
    expect(await handleObject(notice(SESSION), deps)).toEqual({ status: 'skipped', reason: 'content is not a Claude Code session' });
    reader.objects.set(SESSION, { etag: 'e2', body: '' });
    expect(await handleObject(notice(SESSION, { etag: 'e2' }), deps)).toEqual({ status: 'skipped', reason: 'empty object' });
    expect(store.writes).toEqual([`markSkipped ${SESSION}`, `saveCheckpoint ${SESSION} none`, `markSkipped ${SESSION}`, `saveCheckpoint ${SESSION} none`]);
  });

  it('touches no rows for content whose records are all of unknown types: decided before any write, skipped', async () => {
    const { store, reader, deps } = setup();
    // Two JSON objects Claude Code's parser reads (no other agent claims them) whose types it does not know.
    const body = `${JSON.stringify({ type: 'mystery', sessionId: 'x' })}\n${JSON.stringify({ type: 'enigma' })}\n`;
    reader.objects.set(SESSION, { etag: 'e1', body });
    // The memory store cannot open a session's rows (beginSession, a savepoint): had the write path begun, this throws.
    expect(await handleObject(notice(SESSION), deps)).toEqual({
      status: 'skipped',
      reason: 'no Claude Code record: 2 JSON lines, all of unknown types',
    });
    expect(store.writes).toEqual([`markSkipped ${SESSION}`, `saveCheckpoint ${SESSION} none`]);
  });

  it('records a sidecar whose session is not in the bucket yet, and a repeat of it as unchanged', async () => {
    const { store, reader, deps } = setup();

    expect(await handleObject(notice(SIDECAR), deps)).toEqual({ status: 'sidecar', session: null });
    expect(store.writes).toEqual([`markSidecar ${SIDECAR}`]);
    expect(store.rows.get(objectUri(BUCKET, SIDECAR))).toMatchObject({ state: 'ingested', etag: 'e1', sessionId: SESSION.slice(0, -'.jsonl'.length) });
    expect(reader.heads).toBe(1);

    expect(await handleObject(notice(SIDECAR), deps)).toEqual({ status: 'unchanged' });
    expect(store.writes).toHaveLength(1);
    expect(reader.heads).toBe(1);
  });

  it('handles a sidecar notice in one transaction: a failure reading its session leaves no trace of either', async () => {
    const { store, reader, deps } = setup();
    reader.objects.set(SESSION, { etag: 's1', body: '{}\n' });
    reader.open = async () => {
      throw new Error('S3 read failed');
    };

    await expect(handleObject(notice(SIDECAR), deps)).rejects.toThrow('S3 read failed');
    // One transaction, rolled back: no sidecar row left behind as if it had been seen (a half state), no session row.
    expect([...store.rows.keys()]).toEqual([]);
    expect(store.locks).toBe(1);
    expect(store.writes).toEqual([`lockAlso ${SESSION}`]);
  });
});

function row(fields: { etag: string; state: 'ingested' | 'skipped'; parserVersion: string; sequencer?: string }) {
  return { sequencer: null, sessionId: null, updatedAt: new Date('2026-12-01T00:00:00Z'), kind: 'session' as const, ...fields };
}
