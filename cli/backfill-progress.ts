import type { BackfillProgress, BackfillResult, BackfillTarget } from '../shared/backfill/reconcile.js';
import { formatTarget } from '../shared/backfill/reconcile.js';
import { RUN_COUNTERS, type RunCounts } from '../shared/store/backfill-store.js';

/**
 * What `sessionlake backfill` shows while it runs: on a terminal one line redrawn in place; otherwise a plain
 * line every few seconds, so a log file or CI output stays readable.
 */
export interface ProgressWriter {
  update(progress: BackfillProgress): void;
  /** Ends the in-place line so the next output starts on a fresh one. */
  done(): void;
}

const MiB = 1024 * 1024;

export function createProgressWriter(
  stream: { write(text: string): unknown; isTTY?: boolean },
  options: { intervalMs?: number; now?: () => number } = {},
): ProgressWriter {
  const now = options.now ?? Date.now;
  const started = now();
  const interval = options.intervalMs ?? (stream.isTTY ? 200 : 5_000);
  let lastWrite = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(progress) {
      const at = now();
      if (at - lastWrite < interval && !progress.listingComplete) return;
      lastWrite = at;
      const line = describeProgress(progress, (at - started) / 1000);
      if (stream.isTTY) {
        stream.write(`\r\u001b[2K${line}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** `s3://b/p: 12,000 keys listed (12 pages) · 340/1,200 objects ingested, 41.2/150.0 MB at 8.1 MB/s · ETA 14 s`. */
export function describeProgress(progress: BackfillProgress, elapsedSeconds: number): string {
  const { counts } = progress;
  const rate = elapsedSeconds > 0 ? progress.doneBytes / MiB / elapsedSeconds : 0;
  const remaining = (progress.queuedBytes - progress.doneBytes) / MiB;
  const eta = rate > 0 && remaining > 0 ? ` · ETA ${formatSeconds(remaining / rate)}${progress.listingComplete ? '' : ' for the work listed so far'}` : '';
  return (
    `${formatTarget(progress.target)}: ${number(counts.listed)} keys listed (${number(progress.pages)} page${progress.pages === 1 ? '' : 's'}` +
    `${progress.listingComplete ? ', complete' : ''}) · ${number(progress.done)}/${number(progress.queued)} objects done, ` +
    `${(progress.doneBytes / MiB).toFixed(1)}/${(progress.queuedBytes / MiB).toFixed(1)} MB at ${rate.toFixed(1)} MB/s` +
    `${counts.failed > 0 ? ` · ${number(counts.failed)} failed` : ''}${eta}`
  );
}

const COLUMNS: Array<[keyof RunCounts, string]> = [
  ['listed', 'listed'], ['new', 'new'], ['changed', 'changed'], ['unchanged', 'unchanged'], ['deleted', 'deleted'],
  ['reparsed', 'reparsed'], ['retried', 'retried'], ['ingested', 'ingested'], ['enqueued', 'enqueued'], ['verified', 'verified'],
  ['failed', 'failed'],
];

/** The table printed at the end: one row per prefix, and a total when there are several. */
export function summaryTable(rows: Array<{ target: BackfillTarget; result: BackfillResult }>, dryRun: boolean): string {
  const header = ['prefix', 'status', ...COLUMNS.map(([, title]) => title), 'MB'];
  const body = rows.map(({ target, result }) => {
    if (result.status === 'busy') {
      return [formatTarget(target), `busy (run ${result.runId} by ${result.holder})`, ...COLUMNS.map(() => '-'), '-'];
    }
    const status = dryRun ? 'dry run' : result.status;
    return [formatTarget(target), status, ...COLUMNS.map(([counter]) => number(result.counts[counter])), (result.counts.bytes / MiB).toFixed(1)];
  });
  const finished = rows.flatMap(({ result }) => (result.status === 'busy' ? [] : [result.counts]));
  if (rows.length > 1 && finished.length > 0) {
    const total = Object.fromEntries(RUN_COUNTERS.map((counter) => [counter, finished.reduce((sum, counts) => sum + counts[counter], 0)])) as RunCounts;
    body.push(['total', '', ...COLUMNS.map(([counter]) => number(total[counter])), (total.bytes / MiB).toFixed(1)]);
  }
  const table = [header, ...body];
  const widths = header.map((_cell, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  return table
    .map((row) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

function number(value: number): string {
  return value.toLocaleString('en-US');
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
