import { describeError } from '../errors.js';
import { handleObject, type IngestDependencies } from '../ingest/handle-object.js';
import type { Logger } from '../log.js';
import type { ListedObject, ObjectLister } from '../s3/listing.js';
import {
  emptyRunCounts,
  type BackfillStore,
  type ListingPosition,
  type RunCounts,
  type RunMode,
} from '../store/backfill-store.js';
import { decideListed, type ListedDecision } from './decide.js';

/**
 * One backfill pass over one prefix (DESIGN.md §1, §8 "missed notifications"): list the prefix page by page,
 * compare each page with the `objects` table in one query, hand every key that is new, changed, parsed by an
 * older parser or stuck to `actions` (ingest now, or enqueue for the ingest Lambda), and mark deleted the rows
 * of the page's key range that the listing no longer shows. A full listing compared by key and ETag: no time
 * watermark, so nothing is missed whatever happened to the events.
 *
 * One run at a time per prefix (a lease with an expiry); the position is saved after every page, so a run
 * that stops early (time budget, crash) is resumed by the next one.
 */

export interface BackfillTarget {
  bucket: string;
  /** Key prefix; '' for the whole bucket. */
  prefix: string;
}

/** `s3://bucket` or `s3://bucket/prefix` → bucket and prefix. */
export function parseTarget(uri: string): BackfillTarget {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri.trim());
  if (match === null || match[1] === undefined) throw new Error(`not an s3://bucket[/prefix] URI: "${uri}"`);
  return { bucket: match[1], prefix: match[2] ?? '' };
}

export function formatTarget(target: BackfillTarget): string {
  return `s3://${target.bucket}/${target.prefix}`;
}

/**
 * A listed key that needs the write path. Decision `verify`: stored at its listed ETag, but partly by a delta
 * that trusted bytes it did not read; the write path checks them and re-ingests in full when they changed.
 */
export interface WorkItem {
  object: ListedObject;
  decision: Exclude<ListedDecision, 'unchanged'> | 'verify';
  /**
   * The object has gone quiet: what the write path stores by delta now is verified at once, rather than by the
   * next pass (always true for decision `verify`).
   */
  verify: boolean;
}

/** Where work goes: the write path now (CLI), or the ingest queue (scheduled Lambda). */
export interface ObjectActions {
  mode: RunMode;
  /** Handles the items; `onDone` after each, with whether it failed. Never throws for one object. */
  run(bucket: string, items: WorkItem[], onDone: (item: WorkItem, failed: boolean) => void): Promise<void>;
}

export interface BackfillDependencies {
  store: BackfillStore;
  lister: ObjectLister;
  /** The write path, for deletions (and for the ingest actions). */
  ingest: IngestDependencies;
  actions: ObjectActions;
  log: Logger;
}

export interface BackfillOptions {
  /** Who runs it (host and pid, Lambda request id): shown to a second run that finds the prefix busy. */
  holder: string;
  /** Lease length; renewed after every page and while a long page is worked on. */
  leaseMs: number;
  /** Compare and report only: no lease, no run row, no writes. */
  dryRun?: boolean;
  /** Stop before listing another page when less time than this is left (Lambda). */
  timeLeftMs?: () => number;
  pageSize?: number;
  onProgress?: (progress: BackfillProgress) => void;
  /** Dry run: each key that would change. */
  onPlanned?: (change: PlannedChange) => void;
  /**
   * Verify the delta-ingested objects not modified for this long (S3's LastModified); 0: every one now
   * (`backfill --verify`). Default DEFAULT_VERIFY_QUIET_MS.
   */
  verifyQuietMs?: number;
  /** The clock quiet time is measured with (tests). */
  now?: () => number;
}

/** How long a delta-ingested object must go unmodified before the backfill verifies it (README, "Delta ingest"). */
export const DEFAULT_VERIFY_QUIET_MS = 3_600_000;

export interface PlannedChange {
  uri: string;
  decision: WorkItem['decision'] | 'deleted';
  size: number | null;
}

export interface BackfillProgress {
  target: BackfillTarget;
  counts: RunCounts;
  pages: number;
  /** Objects handed to the actions, and their bytes: the work known so far. */
  queued: number;
  queuedBytes: number;
  done: number;
  doneBytes: number;
  listingComplete: boolean;
}

export type BackfillResult =
  | { status: 'finished' | 'paused' | 'failed'; runId: number | null; resumedFrom: number | null; counts: RunCounts; pages: number; error: string | null }
  | { status: 'busy'; holder: string; runId: number; expiresAt: Date };

export async function runBackfill(target: BackfillTarget, deps: BackfillDependencies, options: BackfillOptions): Promise<BackfillResult> {
  const dryRun = options.dryRun ?? false;
  let runId: number | null = null;
  let resumedFrom: number | null = null;
  let position: ListingPosition = { token: null, startAfter: null };
  let touchedBefore: Date;
  if (dryRun) {
    touchedBefore = await deps.store.now();
  } else {
    const started = await deps.store.start({ ...target, mode: deps.actions.mode, holder: options.holder, leaseMs: leaseFor(options) });
    if (!started.started) return { status: 'busy', holder: started.holder, runId: started.runId, expiresAt: started.expiresAt };
    ({ runId, resumedFrom, position } = started);
    touchedBefore = started.now;
    if (resumedFrom !== null) deps.log.info('backfill resumes an unfinished run', { target: formatTarget(target), resumedFrom, position });
  }

  const totals = emptyRunCounts();
  const progress: BackfillProgress = { target, counts: totals, pages: 0, queued: 0, queuedBytes: 0, done: 0, doneBytes: 0, listingComplete: false };
  const report = () => options.onProgress?.(progress);
  let lastRenewal = Date.now();
  let leaseLost = false;
  const keepLease = async (): Promise<void> => {
    if (runId === null || Date.now() - lastRenewal < leaseFor(options) / 3) return;
    lastRenewal = Date.now();
    if (!(await deps.store.renewLease(runId, leaseFor(options)))) leaseLost = true;
  };

  try {
    for (;;) {
      if (options.timeLeftMs !== undefined && options.timeLeftMs() <= 0) {
        if (runId !== null) await deps.store.finish(runId, 'paused', null);
        deps.log.info('backfill paused: out of time, the next run resumes', { target: formatTarget(target), position });
        return { status: 'paused', runId, resumedFrom, counts: totals, pages: progress.pages, error: null };
      }
      const page = await deps.lister.listPage({ ...target, token: position.token, startAfter: position.startAfter, maxKeys: options.pageSize });
      const lastKey = page.objects[page.objects.length - 1]?.key ?? null;
      // The page covers (previous last key, its own last key]; the final page runs to the end of the prefix.
      const through = page.nextToken === null ? null : (lastKey ?? position.startAfter);
      const compared = await deps.store.comparePage({ ...target, after: position.startAfter, through, touchedBefore }, page.objects);

      const pageCounts = emptyRunCounts();
      const work: WorkItem[] = [];
      const quietMs = options.verifyQuietMs ?? DEFAULT_VERIFY_QUIET_MS;
      const quietSince = quietMs <= 0 ? Number.POSITIVE_INFINITY : (options.now ?? Date.now)() - quietMs;
      for (const { object, stored } of compared.listed) {
        const listed = decideListed(object.key, object.etag, stored);
        pageCounts.listed += 1;
        pageCounts[countFor(listed)] += 1;
        const quiet = isQuiet(object, quietSince);
        const decision = listed === 'unchanged' && stored?.unverified === true && quiet ? 'verify' : listed;
        if (decision === 'unchanged') continue;
        work.push({ object, decision, verify: quiet });
        if (dryRun) options.onPlanned?.({ uri: `s3://${target.bucket}/${object.key}`, decision, size: object.size });
      }
      for (const gone of compared.gone) {
        if (dryRun) options.onPlanned?.({ uri: `s3://${target.bucket}/${gone.key}`, decision: 'deleted', size: null });
        else pageCounts.deleted += await markGone(target, gone.key, touchedBefore, deps);
      }
      if (dryRun) pageCounts.deleted += compared.gone.length;

      if (!dryRun && work.length > 0) {
        progress.queued += work.length;
        progress.queuedBytes += work.reduce((sum, item) => sum + item.object.size, 0);
        await deps.actions.run(target.bucket, work, (item, failed) => {
          progress.done += 1;
          progress.doneBytes += item.object.size;
          pageCounts.bytes += item.object.size;
          if (failed) pageCounts.failed += 1;
          else if (item.decision === 'verify') pageCounts.verified += 1;
          else pageCounts[deps.actions.mode === 'enqueue' ? 'enqueued' : 'ingested'] += 1;
          void keepLease();
        });
        if (leaseLost) throw new Error('the lease expired while this run worked and another run took the prefix');
      }

      addCounts(totals, pageCounts);
      progress.pages += 1;
      position = { token: page.nextToken, startAfter: page.nextToken === null ? null : through };
      if (runId !== null) {
        const now = await deps.store.recordPage(runId, pageCounts, position, leaseFor(options));
        if (now === null) throw new Error('the lease expired and another run took the prefix');
        touchedBefore = now;
        lastRenewal = Date.now();
      }
      if (page.nextToken === null) break;
      report();
    }
    progress.listingComplete = true;
    report();
    if (runId !== null) {
      const indexed = await deps.store.finish(runId, 'finished', null);
      if (indexed > 0) deps.log.warn('backfill indexed tool calls an ingest had left out of search', { target: formatTarget(target), indexed });
    }
    return { status: 'finished', runId, resumedFrom, counts: totals, pages: progress.pages, error: null };
  } catch (error) {
    const reason = describeError(error);
    deps.log.error('backfill failed', { target: formatTarget(target), error: reason });
    if (runId !== null) await deps.store.finish(runId, 'failed', reason).catch(() => {});
    return { status: 'failed', runId, resumedFrom, counts: totals, pages: progress.pages, error: reason };
  }
}

function countFor(decision: ListedDecision): 'new' | 'changed' | 'unchanged' | 'reparsed' | 'retried' {
  switch (decision) {
    case 'reparse':
      return 'reparsed';
    case 'retry':
      return 'retried';
    default:
      return decision;
  }
}

/** Not modified since `quietSince` (ms); a listing without LastModified counts as quiet (verifying is safe). */
function isQuiet(object: ListedObject, quietSince: number): boolean {
  return object.lastModified === null || object.lastModified.getTime() <= quietSince;
}

async function markGone(target: BackfillTarget, key: string, listedSince: Date, deps: BackfillDependencies): Promise<number> {
  const outcome = await handleObject(
    { bucket: target.bucket, key, change: 'removed', source: 'listing', etag: null, size: null, sequencer: null, listedSince },
    deps.ingest,
  );
  return outcome.status === 'deleted' ? 1 : 0;
}

function addCounts(into: RunCounts, from: RunCounts): void {
  for (const key of Object.keys(into) as Array<keyof RunCounts>) into[key] += from[key];
}

/** The lease never outlives the run's own time (a Lambda's deadline). */
function leaseFor(options: BackfillOptions): number {
  const left = options.timeLeftMs?.();
  return left === undefined ? options.leaseMs : Math.max(1_000, Math.min(options.leaseMs, left));
}
