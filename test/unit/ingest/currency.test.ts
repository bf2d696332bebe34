import { describe, expect, it } from 'vitest';
import { decideListed } from '../../../shared/backfill/decide.js';
import { currency, type Currency, type StoredVersion } from '../../../shared/ingest/currency.js';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { PARSERS, storedParserVersion } from '../../../shared/parsers/registry.js';
import { OBJECT_STATES, type ObjectState } from '../../../shared/store/object-store.js';

/**
 * The one rule for "already current" (shared/ingest/currency.ts), over the whole table of stored state × parser
 * version × ETag × sequencer, for each kind of key; and the backfill's decision is that same rule.
 */

const SESSION_KEY = 'laptop/raw/claude/-p/0a1b2c3d.jsonl';
const SUBAGENT_KEY = 'laptop/raw/claude/-p/0a1b2c3d/subagents/agent-a1.jsonl';
const CODEX_KEY = 'laptop/raw/codex/2026/03/01/rollout-2026-03-01T09-00-00-0195f0a0.jsonl';
const SIDECAR_KEY = 'laptop/raw/claude/-p/0a1b2c3d/tool-results/toolu_1.txt';
const SKIPPED_KEY = 'laptop/raw/claude/-p/notes.txt';

const CLAUDE_NOW = storedParserVersion(PARSERS.claude);
const CODEX_NOW = storedParserVersion(PARSERS.codex);
const APPLIED = '0000000000000000A0';

type ParserVersionCase = 'current' | 'older' | 'none';
const parserVersion: Record<ParserVersionCase, string | null> = { current: CLAUDE_NOW, older: 'claude/0+r0', none: null };

const stored = (overrides: Partial<StoredVersion> = {}): StoredVersion => ({
  etag: 'e1',
  state: 'ingested',
  parserVersion: CLAUDE_NOW,
  kind: 'session',
  sequencer: APPLIED,
  ...overrides,
});

const sighting = (key: string, etag: string, sequencer: string | null) => ({ layout: classifyKey(key), etag, sequencer });

/**
 * A session key, seen again at the stored ETag with no sequencer (a listing, a request): stored state × parser
 * version. Only a final state (ingested, skipped) can be current; ingested rows need today's parser; a skip
 * without a parser version is one no parser took, and the same bytes give the same answer.
 */
const SAME_ETAG: Array<[ObjectState, ParserVersionCase, Currency]> = [
  ['ingested', 'current', 'current'],
  ['ingested', 'older', 'reparse'],
  ['ingested', 'none', 'reparse'],
  ['skipped', 'current', 'current'],
  ['skipped', 'older', 'reparse'],
  ['skipped', 'none', 'current'],
  ['deleted', 'current', 'changed'],
  ['deleted', 'older', 'changed'],
  ['deleted', 'none', 'changed'],
  ['failed', 'current', 'retry'],
  ['failed', 'older', 'retry'],
  ['failed', 'none', 'retry'],
  ['pending', 'current', 'retry'],
  ['pending', 'older', 'retry'],
  ['pending', 'none', 'retry'],
];

describe('currency of a session key: stored state × parser version × ETag × sequencer', () => {
  it('covers every stored state and parser version', () => {
    expect(new Set(SAME_ETAG.map(([state]) => state))).toEqual(new Set(OBJECT_STATES));
    expect(SAME_ETAG).toHaveLength(OBJECT_STATES.length * 3);
  });

  it.each(SAME_ETAG)('same ETag, no sequencer: %s, parser version %s → %s', (state, version, expected) => {
    expect(currency(stored({ state, parserVersion: parserVersion[version] }), sighting(SESSION_KEY, 'e1', null))).toBe(expected);
  });

  it.each(SAME_ETAG)('same ETag, an event at or after the applied one: %s, parser version %s → %s', (state, version, expected) => {
    const row = stored({ state, parserVersion: parserVersion[version] });

    expect(currency(row, sighting(SESSION_KEY, 'e1', APPLIED))).toBe(expected);
    expect(currency(row, sighting(SESSION_KEY, 'e1', '0000000000000000B0'))).toBe(expected);
    // Sequencers of different lengths compare left-padded: 'B1' is after '…A0'.
    expect(currency(row, sighting(SESSION_KEY, 'e1', 'B1'))).toBe(expected);
    // Nothing applied by an event yet: any event is in order.
    expect(currency({ ...row, sequencer: null }, sighting(SESSION_KEY, 'e1', '01'))).toBe(expected);
  });

  it.each(SAME_ETAG)('another ETag: %s, parser version %s → changed', (state, version) => {
    const row = stored({ state, parserVersion: parserVersion[version] });

    expect(currency(row, sighting(SESSION_KEY, 'e2', null))).toBe('changed');
    expect(currency(row, sighting(SESSION_KEY, 'e2', '0000000000000000B0'))).toBe('changed');
  });

  it.each(SAME_ETAG)('no ETag stored yet: %s, parser version %s → changed', (state, version) => {
    expect(currency(stored({ etag: null, state, parserVersion: parserVersion[version] }), sighting(SESSION_KEY, 'e1', null))).toBe('changed');
  });

  it.each(SAME_ETAG)('an event older than the applied one: %s, parser version %s → stale, whatever the ETag', (state, version) => {
    const row = stored({ state, parserVersion: parserVersion[version] });

    expect(currency(row, sighting(SESSION_KEY, 'e1', '000000000000000090'))).toBe('stale');
    expect(currency(row, sighting(SESSION_KEY, 'e2', '90'))).toBe('stale');
  });

  it('never seen → new, with or without a sequencer', () => {
    expect(currency(null, sighting(SESSION_KEY, 'e1', null))).toBe('new');
    expect(currency(null, sighting(SESSION_KEY, 'e1', '01'))).toBe('new');
  });
});

describe('currency by kind of key', () => {
  it('a subagent transcript is a session object: the same parser rule', () => {
    expect(currency(stored({ kind: 'subagent' }), sighting(SUBAGENT_KEY, 'e1', null))).toBe('current');
    expect(currency(stored({ kind: 'subagent', parserVersion: 'claude/0+r0' }), sighting(SUBAGENT_KEY, 'e1', null))).toBe('reparse');
    expect(currency(stored({ kind: 'subagent', state: 'skipped', parserVersion: null }), sighting(SUBAGENT_KEY, 'e1', null))).toBe('current');
  });

  it("a Codex rollout needs the Codex parser's version, not Claude's", () => {
    expect(currency(stored({ parserVersion: CODEX_NOW }), sighting(CODEX_KEY, 'e1', null))).toBe('current');
    expect(currency(stored({ parserVersion: CLAUDE_NOW }), sighting(CODEX_KEY, 'e1', null))).toBe('reparse');
  });

  it.each([
    ['sidecar', SIDECAR_KEY],
    ['skipped', SKIPPED_KEY],
  ] as const)('a %s key is not parsed: its parser version does not matter', (kind, key) => {
    const state = kind === 'sidecar' ? 'ingested' : 'skipped';
    for (const version of Object.values(parserVersion)) {
      expect(currency(stored({ kind, state, parserVersion: version }), sighting(key, 'e1', null))).toBe('current');
    }
    expect(currency(stored({ kind, state }), sighting(key, 'e2', null))).toBe('changed');
    expect(currency(stored({ kind, state: 'failed' }), sighting(key, 'e1', null))).toBe('retry');
    expect(currency(stored({ kind, state }), sighting(key, 'e1', '90'))).toBe('stale');
  });

  it('a row stored under another layout rule than today’s → reparse', () => {
    expect(currency(stored({ kind: 'skipped', state: 'skipped', parserVersion: null }), sighting(SESSION_KEY, 'e1', null))).toBe('reparse');
    expect(currency(stored({ kind: 'session' }), sighting(SUBAGENT_KEY, 'e1', null))).toBe('reparse');
    expect(currency(stored({ kind: 'session' }), sighting(SKIPPED_KEY, 'e1', null))).toBe('reparse');
  });
});

describe('the backfill decides by the same rule', () => {
  it.each(SAME_ETAG)('listed at the stored ETag: %s, parser version %s → %s', (state, version, expected) => {
    const row = { ...stored({ state, parserVersion: parserVersion[version] }), agent: 'claude' };

    expect(decideListed(SESSION_KEY, 'e1', row)).toBe(expected === 'current' ? 'unchanged' : expected);
  });

  it('an object stored skipped with no parser version is unchanged for the listing and current for an event', () => {
    const row = stored({ state: 'skipped', parserVersion: null });

    expect(decideListed(SESSION_KEY, 'e1', { ...row, agent: 'claude' })).toBe('unchanged');
    expect(currency(row, sighting(SESSION_KEY, 'e1', APPLIED))).toBe('current');
  });
});
