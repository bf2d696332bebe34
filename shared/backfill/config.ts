import { ConfigError } from '../config.js';
import { DEFAULT_VERIFY_QUIET_MS, parseTarget, type BackfillTarget } from './reconcile.js';

/** The scheduled backfill's settings, read once from the environment. */
export interface BackfillConfig {
  /** `SESSIONLAKE_BACKFILL_PREFIXES`: s3://bucket[/prefix] URIs, separated by spaces or commas. */
  targets: BackfillTarget[];
  /** `SESSIONLAKE_INGEST_QUEUE_URL`: where the work goes (the ingest Lambda's queue). */
  queueUrl: string;
  /** `SESSIONLAKE_BACKFILL_LEASE_MS` (default 15 min, the longest a Lambda runs). */
  leaseMs: number;
  /** `SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS`: verify delta-ingested objects unmodified this long (default 1 h). */
  verifyQuietMs: number;
}

export function loadBackfillConfig(env: Record<string, string | undefined> = process.env): BackfillConfig {
  const rawTargets = env['SESSIONLAKE_BACKFILL_PREFIXES']?.trim() ?? '';
  if (rawTargets === '') throw new ConfigError('SESSIONLAKE_BACKFILL_PREFIXES is not set (s3://bucket[/prefix], several separated by spaces)');
  let targets: BackfillTarget[];
  try {
    targets = rawTargets.split(/[\s,]+/u).filter((uri) => uri !== '').map(parseTarget);
  } catch (error) {
    throw new ConfigError(`SESSIONLAKE_BACKFILL_PREFIXES: ${(error as Error).message}`);
  }
  const queueUrl = env['SESSIONLAKE_INGEST_QUEUE_URL']?.trim() ?? '';
  if (queueUrl === '') throw new ConfigError('SESSIONLAKE_INGEST_QUEUE_URL is not set (the ingest queue the backfill sends work to)');
  const rawLease = env['SESSIONLAKE_BACKFILL_LEASE_MS']?.trim();
  const leaseMs = rawLease === undefined || rawLease === '' ? 900_000 : Number(rawLease);
  if (!Number.isInteger(leaseMs) || leaseMs < 1_000) throw new ConfigError(`SESSIONLAKE_BACKFILL_LEASE_MS must be an integer >= 1000, got "${rawLease}"`);
  return { targets, queueUrl, leaseMs, verifyQuietMs: loadVerifyQuietMs(env) };
}

/** How long a delta-ingested object must go unmodified before a backfill verifies it (0: at once). */
export function loadVerifyQuietMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env['SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS']?.trim();
  if (raw === undefined || raw === '') return DEFAULT_VERIFY_QUIET_MS;
  const quietMs = Number(raw);
  if (!Number.isInteger(quietMs) || quietMs < 0) throw new ConfigError(`SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS must be an integer >= 0, got "${raw}"`);
  return quietMs;
}
