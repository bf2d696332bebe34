import type { Logger } from '../log.js';

/**
 * Budget checks from the ingest path: at most one per `intervalMs` in this process (a Lambda environment), and
 * never one that fails the batch: an alert follows spending within minutes without a query per batch. Several
 * environments checking at once send each alert once all the same (shared/budgets/check.ts).
 */
export function throttledBudgetCheck(
  check: () => Promise<unknown>,
  options: { intervalMs: number; log: Logger; now?: () => number },
): () => Promise<void> {
  const now = options.now ?? Date.now;
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    if (options.intervalMs <= 0 || now() - last < options.intervalMs) return;
    last = now();
    try {
      await check();
    } catch (error) {
      options.log.warn('budget check failed; the next one tries again', { error });
    }
  };
}

/** SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS: how often the ingest checks budgets (default 5 minutes; 0 turns it off). */
export function budgetCheckIntervalMs(env: Record<string, string | undefined>): number {
  const raw = env['SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS']?.trim();
  if (raw === undefined || raw === '') return 300_000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS must be a non-negative integer of milliseconds, got "${raw}"`);
  return value;
}
