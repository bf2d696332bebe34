import type pg from 'pg';
import type { Logger } from '../log.js';
import { dropTranscriptMonth, ensureTranscriptPartitions, transcriptMonths, unsettledReason } from '../store/retention.js';
import { monthsToDrop, type RetentionAge } from './age.js';

/**
 * One retention pass (README.md "Retention"), the same from `sessionlake retention` and the scheduled function:
 * the coming months' partitions are created, then each month older than the age is dropped unless its billing is
 * not settled into the rollups (that month is reported and kept). A dry run reads only.
 */

export interface RetentionOptions {
  /** Null: only the partitions are maintained, nothing is dropped. */
  age: RetentionAge | null;
  now: Date;
  dryRun: boolean;
  /** Months of partitions created ahead of this one. */
  monthsAhead: number;
}

export interface MonthVerdict {
  month: string;
  sessions: number;
  bytes: number;
  /** `dropped`; `would-drop` (dry run); `refused` (billing not settled: `reason`); `failed` (`reason`). */
  outcome: 'dropped' | 'would-drop' | 'refused' | 'failed';
  reason: string | null;
}

export interface RetentionReport {
  created: string[];
  months: MonthVerdict[];
}

export async function runRetention(pool: pg.Pool, options: RetentionOptions, log: Logger): Promise<RetentionReport> {
  const created = options.dryRun ? [] : await ensureTranscriptPartitions(pool, options.monthsAhead);
  if (created.length > 0) log.info('transcript partitions created', { months: created });
  const verdicts: MonthVerdict[] = [];
  if (options.age === null) return { created, months: verdicts };
  const existing = await transcriptMonths(pool);
  const due = new Set(monthsToDrop(existing.map((m) => m.month), options.now, options.age));
  for (const month of existing.filter((m) => due.has(m.month))) {
    const unsettled = await unsettledReason(pool, month.month);
    const base = { month: month.month, sessions: month.sessions, bytes: month.bytes };
    if (unsettled !== null) {
      verdicts.push({ ...base, outcome: 'refused', reason: unsettled });
      log.warn('transcripts kept: billing not settled', { month: month.month, reason: unsettled });
      continue;
    }
    if (options.dryRun) {
      verdicts.push({ ...base, outcome: 'would-drop', reason: null });
      continue;
    }
    try {
      await dropTranscriptMonth(pool, month.month);
      verdicts.push({ ...base, outcome: 'dropped', reason: null });
      log.info('transcripts dropped', { month: month.month, sessions: month.sessions, bytes: month.bytes });
    } catch (error) {
      const reason = (error as Error).message;
      verdicts.push({ ...base, outcome: /refusing to drop/.test(reason) ? 'refused' : 'failed', reason });
      log.error('transcripts not dropped', { month: month.month, error: reason });
    }
  }
  return { created, months: verdicts };
}

/**
 * The scheduled function's pass: never fails the invocation (a lock it could not get in time, a refused month:
 * logged, and the next schedule tries again).
 */
export async function scheduledRetention(
  pool: pg.Pool,
  config: { age: RetentionAge | null; monthsAhead: number },
  log: Logger,
): Promise<RetentionReport | { error: string }> {
  try {
    return await runRetention(pool, { ...config, now: new Date(), dryRun: false }, log);
  } catch (error) {
    log.error('transcript partitions not maintained', { error: (error as Error).message });
    return { error: (error as Error).message };
  }
}
