import { formatTarget, runBackfill, type BackfillDependencies, type BackfillResult, type BackfillTarget } from './reconcile.js';

/**
 * One scheduled invocation: each configured prefix in turn until the time runs short; with the listing, the
 * delta-ingested objects that went quiet are sent to be verified. A prefix that is paused
 * (out of time) or busy (another run holds it) is picked up by a later invocation, from where it stopped.
 */
export interface ScheduledBackfillReport {
  results: Array<{ prefix: string; result: BackfillResult }>;
}

export async function runScheduledBackfill(
  targets: BackfillTarget[],
  deps: BackfillDependencies & { holder: string; leaseMs: number; timeLeftMs: () => number; verifyQuietMs?: number },
): Promise<ScheduledBackfillReport> {
  const results: ScheduledBackfillReport['results'] = [];
  for (const target of targets) {
    const prefix = formatTarget(target);
    if (deps.timeLeftMs() <= 0) {
      deps.log.info('backfill: no time left for this prefix; the next run takes it', { prefix });
      continue;
    }
    // Delta-ingested objects quiet for long enough go on the queue to be verified, like the other work.
    const result = await runBackfill(target, deps, {
      holder: deps.holder,
      leaseMs: deps.leaseMs,
      timeLeftMs: deps.timeLeftMs,
      verifyQuietMs: deps.verifyQuietMs,
    });
    deps.log.info('backfill run', { prefix, ...result });
    results.push({ prefix, result });
  }
  return { results };
}
