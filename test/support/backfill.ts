/**
 * The backfill wired to an ingest stack, as `sessionlake backfill` wires it, with seams tests need:
 * a query counter on the backfill's own connection and a replaceable lister.
 */
import type pg from 'pg';
import { ingestNow } from '../../shared/backfill/actions.js';
import { runBackfill, type BackfillOptions, type BackfillResult, type ObjectActions } from '../../shared/backfill/reconcile.js';
import { silentLogger } from '../../shared/log.js';
import { createObjectLister, type ObjectLister } from '../../shared/s3/listing.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import type { IngestStack } from './ingest-stack.js';

export interface BackfillHarness {
  /** Statements the backfill's own store sent (the ingest path's are not counted). */
  queries: { count: number };
  run(options?: Partial<BackfillOptions> & { prefix?: string; lister?: ObjectLister; store?: BackfillStore; actions?: ObjectActions }): Promise<BackfillResult>;
  store: BackfillStore;
}

export function backfillHarness(stack: IngestStack): BackfillHarness {
  const queries = { count: 0 };
  const counted: Pick<pg.Pool, 'query' | 'connect'> = {
    query: ((...args: Parameters<pg.Pool['query']>) => {
      queries.count += 1;
      return (stack.pool.query as (...a: unknown[]) => unknown)(...args);
    }) as pg.Pool['query'],
    connect: (() => stack.pool.connect()) as pg.Pool['connect'],
  };
  const store = new BackfillStore(counted);
  const lister = createObjectLister(stack.emulator.s3);
  return {
    queries,
    store,
    run(options = {}) {
      return runBackfill(
        { bucket: stack.emulator.bucket, prefix: options.prefix ?? '' },
        {
          store: options.store ?? store,
          lister: options.lister ?? lister,
          ingest: stack.deps,
          actions: options.actions ?? ingestNow(stack.deps, 4),
          log: silentLogger,
        },
        { holder: 'test', leaseMs: 60_000, ...options },
      );
    },
  };
}
