import { currency } from '../ingest/currency.js';
import { classifyKey } from '../layout/s3-key.js';
import type { StoredState } from '../store/backfill-store.js';

/**
 * What one listed key needs, from the listing (key, ETag) and the stored row alone: no per-key query, no GET.
 * The write path (`handleObject`) asks the same rule (ingest/currency.ts) again under the object's lock; this
 * only chooses which keys to hand it, and how to count them.
 */
export type ListedDecision =
  /** Never seen. */
  | 'new'
  /** Another ETag than the one stored, or listed again after being recorded deleted. */
  | 'changed'
  /** Stored at this ETag by an older parser, or under another layout rule than today's. */
  | 'reparse'
  /** A previous attempt did not finish (`failed`, `pending`). */
  | 'retry'
  | 'unchanged';

export function decideListed(key: string, etag: string, stored: StoredState | null): ListedDecision {
  // A listing cannot be ordered against events: no sequencer, never stale.
  const verdict = currency(stored, { layout: classifyKey(key), etag, sequencer: null });
  return verdict === 'current' ? 'unchanged' : verdict;
}
