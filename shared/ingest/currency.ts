import { compareSequencers } from '../events/s3-event.js';
import type { ObjectLayout } from '../model.js';
import { currentParserVersion } from '../parsers/registry.js';
import type { ObjectState } from '../store/object-store.js';

/**
 * The one rule for "is this object already stored as it is now?", for whoever asks: the write path on an S3
 * event, a request or a backfill's notice (handle-object.ts, before any GET and again under the row lock), and
 * the backfill choosing which listed keys to hand to it (backfill/decide.ts). Two copies of it once disagreed, and
 * the event path fetched again, on every duplicate event, an object the backfill rightly left alone.
 */

/** What the rule reads of an object's stored row. */
export interface StoredVersion {
  etag: string | null;
  state: ObjectState;
  parserVersion: string | null;
  /** The kind the key was stored under (the layout rule of that time). */
  kind: string;
  /** The S3 event sequencer last applied; null when no event brought it. */
  sequencer: string | null;
}

/** One sighting of the object: an S3 event (with its sequencer), a listing or a request (without). */
export interface Sighting {
  /** Today's reading of the key (classifyKey). */
  layout: ObjectLayout;
  /** Unquoted; null when not known. */
  etag: string | null;
  sequencer: string | null;
}

export type Currency =
  /** Never seen. */
  | 'new'
  /** An event older (by sequencer) than the one already applied to the key. */
  | 'stale'
  /** Another ETag than the one stored (or none stored yet), or seen again after being recorded deleted. */
  | 'changed'
  /** A previous attempt did not finish (`failed`, `pending`). */
  | 'retry'
  /** Stored at this ETag by an older parser, or under another layout rule than today's. */
  | 'reparse'
  /** Stored at this ETag in a final state by today's rules: nothing to fetch. */
  | 'current';

/** A sighting that cannot be ordered against events (a listing, a request) is never stale. */
export function currency(stored: StoredVersion | null, sighting: Sighting & { sequencer: null }): Exclude<Currency, 'stale'>;
export function currency(stored: StoredVersion | null, sighting: Sighting): Currency;
export function currency(stored: StoredVersion | null, sighting: Sighting): Currency {
  if (stored === null) return 'new';
  if (isOlderEvent(sighting.sequencer, stored.sequencer)) return 'stale';
  if (stored.etag === null || stored.etag !== sighting.etag || stored.state === 'deleted') return 'changed';
  if (stored.state !== 'ingested' && stored.state !== 'skipped') return 'retry';
  if (stored.kind !== sighting.layout.kind) return 'reparse';
  return readByTodaysParser(stored, sighting.layout) ? 'current' : 'reparse';
}

/** An event older than the one already applied to the key (S3 sequencers order the events of one key). */
export function isOlderEvent(sequencer: string | null, appliedSequencer: string | null): boolean {
  return sequencer !== null && appliedSequencer !== null && compareSequencers(sequencer, appliedSequencer) < 0;
}

/**
 * Only session objects are parsed, so only their rows depend on the parser. Ingested rows must come from today's
 * parser for the key's agent (a row without a version is of unknown provenance: read it again). A session object
 * stored skipped without a parser version is one no parser took (empty, or another agent's content): reading the
 * same bytes again gives the same answer, so it is current at this ETag. (A parser change that would take such
 * content reaches these rows only when the object changes.)
 */
function readByTodaysParser(stored: StoredVersion, layout: ObjectLayout): boolean {
  if (layout.kind !== 'session' && layout.kind !== 'subagent') return true;
  if (stored.parserVersion === null) return stored.state === 'skipped';
  return currentParserVersion(layout.agent, stored.parserVersion);
}
