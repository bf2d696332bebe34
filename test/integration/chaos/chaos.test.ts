import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../../infra/chaos/faults.js';
import { runChaos, summaryLine } from '../../../infra/chaos/harness.js';
import pg from 'pg';
import { freshDatabase } from '../../support/database.js';
import { COMPARED_VIEWS, createReferenceViews, differences } from '../../support/reference-usage-views.js';

/**
 * A short seeded chaos run (the full one is `npm run chaos`): every kind of fault happens, the events alone
 * leave the database wrong (the comparison can fail), and after one backfill pass it equals the bucket.
 */
describe('a seeded chaos run over the local stack', () => {
  it('converges: nothing lost, duplicated or stale after the backfill pass, with every fault kind injected', async () => {
    const database = await freshDatabase('sessionlake_chaos');
    try {
      const report = await runChaos({
        seed: 20261127,
        machines: 3,
        sessionsPerMachine: 16,
        workers: 4,
        rounds: 6,
        writesPerRound: 20,
        databaseUrl: database.url,
      });

      for (const kind of FAULT_KINDS) expect(report.injected[kind], kind).toBeGreaterThan(0);
      expect(report.beforeRepair.lost.length + report.beforeRepair.stale.length).toBeGreaterThan(0);
      expect(report.backfill.repaired).toBeGreaterThan(0);
      expect({
        lost: report.verdict.lost,
        duplicated: report.verdict.duplicated,
        stale: report.verdict.stale,
        misbilled: report.verdict.misbilled,
      }).toEqual({ lost: [], duplicated: [], stale: [], misbilled: [] });
      expect(report.verdict.liveSessions).toBeGreaterThan(30);
      expect(report.verdict.deletedObjects).toBeGreaterThan(0);
      // Billing decided at write time (migration 012) equals the per-query decision on what the chaos left.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await createReferenceViews(client);
        for (const view of COMPARED_VIEWS) {
          const diff = await differences(client, view);
          expect({ view, onlyNew: diff.onlyNew, onlyReference: diff.onlyReference }).toEqual({ view, onlyNew: [], onlyReference: [] });
          expect(diff.rows, view).toBeGreaterThan(0);
        }
      } finally {
        await client.end();
      }
      expect(summaryLine(report)).toMatch(/^chaos: objects=\d+ events=\d+ injected=\d+ lost=0 duplicated=0 stale=0 misbilled=0 dlq=\d+ seed=20261127$/);
    } finally {
      await database.drop();
    }
  }, 120_000);
});
