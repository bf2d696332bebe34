import { handleObject, type IngestDependencies } from '../ingest/handle-object.js';
import type { Pool } from '../store/pool.js';
import { beginRestore, finishRestore } from '../store/retention.js';
import type { BackfillTarget } from './reconcile.js';

/**
 * Brings a month whose transcripts retention dropped back from the bucket (README.md "Retention"): its partitions
 * are created again, and each object of its dropped sessions under the given prefixes is ingested again in full
 * through the write path (the session keeps its month, so the rows land in that month's partition). A session
 * whose object was read is live again; one whose object is gone from the bucket stays dropped (its billing as it
 * was), and is reported.
 */

export interface RestoreReport {
  month: string;
  /** Objects of the month's dropped sessions under the prefixes. */
  listed: number;
  restored: number;
  /** Objects that could not be read again, with why. */
  failed: Array<{ uri: string; reason: string }>;
  /** Dropped sessions of the month outside the prefixes given (not touched). */
  outside: number;
}

export async function restoreMonth(
  month: string,
  targets: BackfillTarget[],
  deps: IngestDependencies & { pool: Pool },
): Promise<RestoreReport> {
  const objects = await beginRestore(deps.pool, month);
  const inside = objects.filter(({ objectUri }) => targets.some((t) => objectUri.startsWith(`s3://${t.bucket}/${t.prefix}`)));
  const restored: string[] = [];
  const failed: RestoreReport['failed'] = [];
  for (const { sessionId, objectUri } of inside) {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(objectUri);
    if (match === null) {
      failed.push({ uri: objectUri, reason: 'not an s3:// URI' });
      continue;
    }
    const [, bucket = '', key = ''] = match;
    try {
      const outcome = await handleObject(
        { bucket, key, change: 'created', source: 'request', etag: null, size: null, sequencer: null, force: true },
        deps,
      );
      if (outcome.status === 'ingested') restored.push(sessionId);
      else failed.push({ uri: objectUri, reason: 'reason' in outcome ? `${outcome.status}: ${outcome.reason}` : outcome.status });
    } catch (error) {
      failed.push({ uri: objectUri, reason: (error as Error).message });
    }
  }
  await finishRestore(deps.pool, restored);
  return { month, listed: inside.length, restored: restored.length, failed, outside: objects.length - inside.length };
}
