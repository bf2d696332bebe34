/**
 * The local stack's start-up backfill pass: whatever the bucket (kept under .sessionlake/) holds that the
 * database lacks — uploads whose notification was still on the queue when the stack stopped, which the
 * in-memory queue lost — is ingested through the same write path, as the scheduled backfill does in AWS.
 */
import { hostname } from 'node:os';
import { createS3Client } from '../../shared/aws-clients.js';
import { ingestNow } from '../../shared/backfill/actions.js';
import { runBackfill } from '../../shared/backfill/reconcile.js';
import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { createLogger } from '../../shared/log.js';
import { createObjectLister } from '../../shared/s3/listing.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import { createPool } from '../../shared/store/pool.js';

/** Reads DATABASE_URL and the S3 endpoint from the environment the dev stack has just set. */
export async function reconcileBucket(bucket: string, log: (line: string) => void): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('warn', { component: 'reconcile' }, (line) => log(`reconcile: ${line}`));
  const { deps, pool } = createIngestDependencies({ ...config, database: { ...config.database, poolMax: 4 } }, logger);
  const backfillPool = createPool({ connectionString: config.database.connectionString, max: 1 }, logger);
  try {
    const result = await runBackfill(
      { bucket, prefix: '' },
      {
        store: new BackfillStore(backfillPool),
        lister: createObjectLister(createS3Client(config.s3)),
        ingest: deps,
        actions: ingestNow(deps, 4),
        log: logger,
      },
      { holder: `npm start on ${hostname()} pid ${process.pid}`, leaseMs: 120_000 },
    );
    if (result.status === 'busy') {
      log(`reconcile: another backfill (${result.holder}) holds s3://${bucket}; skipped`);
    } else {
      const { listed, ingested, deleted, failed } = result.counts;
      log(`reconcile: ${listed} objects in s3://${bucket}, ${ingested} ingested, ${deleted} marked deleted${failed > 0 ? `, ${failed} failed` : ''}`);
    }
  } finally {
    await Promise.all([pool.end(), backfillPool.end()]);
  }
}
