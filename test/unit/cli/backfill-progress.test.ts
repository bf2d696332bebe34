import { describe, expect, it } from 'vitest';
import { createProgressWriter, describeProgress, summaryTable } from '../../../cli/backfill-progress.js';
import type { BackfillProgress } from '../../../shared/backfill/reconcile.js';
import { emptyRunCounts } from '../../../shared/store/backfill-store.js';

const MiB = 1024 * 1024;
const progress = (overrides: Partial<BackfillProgress> = {}): BackfillProgress => ({
  target: { bucket: 'raw', prefix: 'laptop/' },
  counts: { ...emptyRunCounts(), listed: 12_000 },
  pages: 12,
  queued: 1_200,
  queuedBytes: 150 * MiB,
  done: 300,
  doneBytes: 50 * MiB,
  listingComplete: false,
  ...overrides,
});

describe('describeProgress', () => {
  it('gives keys listed, objects done, MB/s and an ETA for the work known so far', () => {
    expect(describeProgress(progress(), 10)).toBe(
      's3://raw/laptop/: 12,000 keys listed (12 pages) · 300/1,200 objects done, 50.0/150.0 MB at 5.0 MB/s · ETA 20 s for the work listed so far',
    );
    expect(describeProgress(progress({ listingComplete: true, done: 1_200, doneBytes: 150 * MiB }), 30)).toBe(
      's3://raw/laptop/: 12,000 keys listed (12 pages, complete) · 1,200/1,200 objects done, 150.0/150.0 MB at 5.0 MB/s',
    );
  });
});

describe('createProgressWriter', () => {
  it('redraws one line on a terminal, and writes plain lines at most every interval elsewhere', () => {
    const tty: string[] = [];
    const plain: string[] = [];
    let now = 0;
    const onTty = createProgressWriter({ write: (text: string) => tty.push(text), isTTY: true }, { now: () => now, intervalMs: 100 });
    const onFile = createProgressWriter({ write: (text: string) => plain.push(text), isTTY: false }, { now: () => now, intervalMs: 5_000 });

    for (now = 1_000; now <= 12_000; now += 1_000) {
      onTty.update(progress());
      onFile.update(progress());
    }
    onTty.done();

    expect(tty.slice(0, -1).every((text) => text.startsWith('\r\u001b[2K'))).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    expect(plain).toHaveLength(3);
    expect(plain.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});

describe('summaryTable', () => {
  it('has a row per prefix, a total, and says which prefix another run held', () => {
    const counts = { ...emptyRunCounts(), listed: 10, new: 4, unchanged: 6, ingested: 4, verified: 1, bytes: 2 * MiB };
    const table = summaryTable(
      [
        { target: { bucket: 'raw', prefix: 'a/' }, result: { status: 'finished', runId: 1, resumedFrom: null, counts, pages: 1, error: null } },
        { target: { bucket: 'raw', prefix: 'b/' }, result: { status: 'finished', runId: 2, resumedFrom: null, counts, pages: 1, error: null } },
        { target: { bucket: 'raw', prefix: 'c/' }, result: { status: 'busy', holder: 'host pid 7', runId: 3, expiresAt: new Date(0) } },
      ],
      false,
    ).split('\n');

    expect(table[0]).toMatch(/^prefix\s+status\s+listed\s+new\s+changed\s+unchanged\s+deleted\s+reparsed\s+retried\s+ingested\s+enqueued\s+verified\s+failed\s+MB$/);
    expect(table[1]).toMatch(/^s3:\/\/raw\/a\/\s+finished\s+10\s+4\s+0\s+6\s+0\s+0\s+0\s+4\s+0\s+1\s+0\s+2\.0$/);
    expect(table[3]).toMatch(/^s3:\/\/raw\/c\/\s+busy \(run 3 by host pid 7\)/);
    expect(table[4]).toMatch(/^total\s+20\s+8\s+0\s+12\s+0\s+0\s+0\s+8\s+0\s+2\s+0\s+4\.0$/);
  });
});
