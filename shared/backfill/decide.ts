import { classifyKey } from '../layout/s3-key.js';
import { currentParserVersion } from '../parsers/registry.js';
import { AGENTS, type Agent } from '../model.js';
import type { StoredState } from '../store/backfill-store.js';

/**
 * What one listed key needs, from the listing (key, ETag) and the stored row alone: no per-key query, no GET.
 * The write path (`handleObject`) makes the same checks again under the object's lock; this only chooses
 * which keys to hand it, and how to count them.
 */
export type ListedDecision =
  /** Never seen. */
  | 'new'
  /** Another ETag than the one stored, or listed again after being recorded deleted. */
  | 'changed'
  /** Stored at this ETag by an older parser, or under another layout rule than today's. */
  | 'reparse'
  /** A previous attempt did not finish (`failed`, `pending`, `superseded`). */
  | 'retry'
  | 'unchanged';

export function decideListed(key: string, etag: string, stored: StoredState | null): ListedDecision {
  if (stored === null) return 'new';
  if (stored.etag !== etag || stored.state === 'deleted') return 'changed';
  if (stored.state !== 'ingested' && stored.state !== 'skipped') return 'retry';
  if (classifyKey(key).kind !== stored.kind) return 'reparse';
  if (stored.parserVersion !== null && !currentParserVersion(asAgent(stored.agent), stored.parserVersion)) return 'reparse';
  return 'unchanged';
}

function asAgent(value: string | null): Agent | null {
  return value !== null && (AGENTS as readonly string[]).includes(value) ? (value as Agent) : null;
}
