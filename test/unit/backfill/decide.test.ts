import { describe, expect, it } from 'vitest';
import { loadBackfillConfig } from '../../../shared/backfill/config.js';
import { decideListed } from '../../../shared/backfill/decide.js';
import { parseTarget } from '../../../shared/backfill/reconcile.js';
import { PARSERS, storedParserVersion } from '../../../shared/parsers/registry.js';
import type { StoredState } from '../../../shared/store/backfill-store.js';

const KEY = 'laptop/raw/claude/-p/s1.jsonl';
const stored = (overrides: Partial<StoredState> = {}): StoredState => ({
  etag: 'e1',
  state: 'ingested',
  parserVersion: storedParserVersion(PARSERS.claude),
  agent: 'claude',
  kind: 'session',
  sequencer: null,
  ...overrides,
});

describe('decideListed', () => {
  it.each<[string, StoredState | null, string]>([
    ['never seen', null, 'new'],
    ['another ETag', stored({ etag: 'e0' }), 'changed'],
    ['listed again after it was recorded deleted', stored({ state: 'deleted' }), 'changed'],
    ['left failed', stored({ state: 'failed' }), 'retry'],
    ['left pending', stored({ state: 'pending' }), 'retry'],
    ['parsed by an older parser', stored({ parserVersion: 'claude/0' }), 'reparse'],
    ['recorded under another layout rule', stored({ kind: 'skipped', state: 'skipped', parserVersion: null }), 'reparse'],
    ['stored at this ETag by the current parser', stored(), 'unchanged'],
  ])('%s → %s', (_case, row, decision) => {
    expect(decideListed(KEY, 'e1', row)).toBe(decision);
  });

  it('leaves objects no parser read (skipped by layout, sidecars) alone when their ETag is the same', () => {
    expect(decideListed('laptop/raw/claude/-p/notes.txt', 'e1', stored({ kind: 'skipped', state: 'skipped', parserVersion: null, agent: 'claude' }))).toBe('unchanged');
    expect(decideListed('laptop/raw/claude/-p/s1/tool-results/t.txt', 'e1', stored({ kind: 'sidecar', parserVersion: null }))).toBe('unchanged');
  });
});

describe('parseTarget', () => {
  it('reads a bucket, or a bucket and a key prefix', () => {
    expect(parseTarget('s3://raw')).toEqual({ bucket: 'raw', prefix: '' });
    expect(parseTarget('s3://raw/')).toEqual({ bucket: 'raw', prefix: '' });
    expect(parseTarget('s3://raw/laptop/raw/claude/')).toEqual({ bucket: 'raw', prefix: 'laptop/raw/claude/' });
  });

  it.each(['raw', 'https://raw/x', 's3:///x'])('refuses %s', (uri) => {
    expect(() => parseTarget(uri)).toThrow(/not an s3:\/\/bucket\[\/prefix\] URI/);
  });
});

describe('loadBackfillConfig', () => {
  it('reads several prefixes and the queue', () => {
    expect(
      loadBackfillConfig({ SESSIONLAKE_BACKFILL_PREFIXES: 's3://b/laptop/, s3://b/gpu/', SESSIONLAKE_INGEST_QUEUE_URL: 'https://q' }),
    ).toEqual({
      targets: [{ bucket: 'b', prefix: 'laptop/' }, { bucket: 'b', prefix: 'gpu/' }],
      queueUrl: 'https://q',
      leaseMs: 900_000,
      verifyQuietMs: 3_600_000,
    });
  });

  it('reads the quiet time before verification, and refuses one that is not a whole number of ms', () => {
    const base = { SESSIONLAKE_BACKFILL_PREFIXES: 's3://b', SESSIONLAKE_INGEST_QUEUE_URL: 'https://q' };
    expect(loadBackfillConfig({ ...base, SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS: '0' }).verifyQuietMs).toBe(0);
    expect(loadBackfillConfig({ ...base, SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS: '600000' }).verifyQuietMs).toBe(600_000);
    expect(() => loadBackfillConfig({ ...base, SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS: '1h' })).toThrow(/SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS must be/);
  });

  it('names the missing variable', () => {
    expect(() => loadBackfillConfig({ SESSIONLAKE_INGEST_QUEUE_URL: 'https://q' })).toThrow(/SESSIONLAKE_BACKFILL_PREFIXES is not set/);
    expect(() => loadBackfillConfig({ SESSIONLAKE_BACKFILL_PREFIXES: 's3://b' })).toThrow(/SESSIONLAKE_INGEST_QUEUE_URL is not set/);
  });
});
