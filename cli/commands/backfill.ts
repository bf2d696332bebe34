import { hostname } from 'node:os';
import { createS3Client } from '../../shared/aws-clients.js';
import { ingestNow } from '../../shared/backfill/actions.js';
import { loadVerifyQuietMs } from '../../shared/backfill/config.js';
import { formatTarget, parseTarget, runBackfill, type BackfillResult, type BackfillTarget } from '../../shared/backfill/reconcile.js';
import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { createLogger } from '../../shared/log.js';
import { createObjectLister } from '../../shared/s3/listing.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import { runMigrations } from '../../shared/store/migrate.js';
import { createPool } from '../../shared/store/pool.js';
import { createProgressWriter, summaryTable } from '../backfill-progress.js';
import { restoreMonth } from '../../shared/backfill/restore-month.js';
import { integerOption, stringOption, type Command } from '../command.js';

const LEASE_MS = 120_000;

/**
 * Loads or reconciles a bucket from anywhere with S3 and Postgres access: lists each prefix, compares it with
 * the database, and ingests what is new, changed, parsed by an older parser or stuck, through the same write
 * path as the ingest Lambda. Keys no longer listed are marked deleted (their rows are kept).
 */
export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'List S3 prefixes and ingest whatever the database lacks (new, changed, reparse, deleted)',
  arguments: [
    { name: 's3://BUCKET[/PREFIX]', description: 'a bucket, or a key prefix in it, to list and reconcile', repeatable: true },
  ],
  options: {
    'dry-run': { type: 'boolean', description: 'print what would change (new, changed, reparse, retry, deleted); touch nothing' },
    concurrency: { type: 'string', description: 'objects ingested at once (default 4)' },
    'page-size': { type: 'string', description: 'keys per ListObjectsV2 page (default 1000, the S3 maximum)' },
    'restore-month': {
      type: 'string',
      description: 'YYYY-MM: bring back a month whose transcripts retention dropped: ingest again, in full, its sessions\' objects under the prefixes (nothing else is listed)',
    },
    verify: {
      type: 'boolean',
      description: 'verify every delta-ingested object now, whatever its quiet time, and re-ingest in full those whose ingested bytes changed',
    },
  },
  notes: [
    [
      'What it does: lists every key under each prefix and compares it, a page at a time, with the database;',
      'ingests what is new, changed, parsed by an older parser version or left failed, through the same write',
      'path as the ingest Lambda; marks deleted (rows kept) what is no longer listed. One run per prefix at a',
      'time: a second run finds the first one\'s lease, says so and exits 0. A run that stopped early is resumed',
      'by the next one. Exit code 1 when any object failed (see sessionlake.objects.error).',
      'It also verifies the objects partly stored by delta ingest and not modified for an hour',
      '(SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS; --verify: all of them now): their ingested bytes are read again and',
      'compared, once per version, and an object whose earlier bytes were rewritten is re-ingested in full.',
    ].join('\n'),
    [
      'Environment:',
      '  DATABASE_URL                     Postgres to write to (or the PG* variables); the schema is created if missing',
      '  AWS_ENDPOINT_URL_S3              another S3 endpoint: an emulator, LocalStack, MinIO (AWS_ENDPOINT_URL also works)',
      '  AWS_REGION, AWS_PROFILE, …       region and credentials, as for any AWS SDK tool',
    ].join('\n'),
    'Example, against the emulator `npm start -- --no-notifications` runs:\n' +
      '  AWS_ENDPOINT_URL_S3=http://localhost:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\\n' +
      '    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:54329/sessionlake sessionlake backfill s3://sessionlake-raw',
  ],
  async run(input) {
    const targets: BackfillTarget[] = input.positionals.map(parseTarget);
    const restore = stringOption(input, 'restore-month');
    if (restore !== undefined) return restoreCommand(restore, targets);
    const dryRun = input.values['dry-run'] === true;
    const concurrency = Math.max(1, integerOption(input, 'concurrency', 4));
    const pageSize = Math.min(1000, Math.max(1, integerOption(input, 'page-size', 1000)));
    const verifyQuietMs = input.values['verify'] === true ? 0 : loadVerifyQuietMs();
    const config = loadConfig();
    // Per-object warnings (bad lines, rejected values) are on the objects rows and would bury the progress line;
    // failures still show. SESSIONLAKE_LOG_LEVEL, when set, shows what it asks for.
    const level = process.env['SESSIONLAKE_LOG_LEVEL'] ? config.logLevel : 'error';
    const log = createLogger(level, { command: 'backfill' }, (line) =>
      process.stderr.write(`${line}\n`),
    );
    const { deps, pool } = createIngestDependencies({ ...config, database: { ...config.database, poolMax: concurrency } }, log);
    const backfillPool = createPool({ connectionString: config.database.connectionString, max: 1 }, log);
    try {
      if (!dryRun) await runMigrations(backfillPool);
      const s3 = createS3Client(config.s3);
      const results: Array<{ target: BackfillTarget; result: BackfillResult }> = [];
      for (const target of targets) {
        const progress = createProgressWriter(process.stderr);
        const result = await runBackfill(
          target,
          { store: new BackfillStore(backfillPool), lister: createObjectLister(s3), ingest: deps, actions: ingestNow(deps, concurrency), log },
          {
            holder: `${hostname()} pid ${process.pid}`,
            leaseMs: LEASE_MS,
            dryRun,
            pageSize,
            verifyQuietMs,
            onProgress: (update) => progress.update(update),
            onPlanned: (change) => process.stdout.write(`${change.decision}\t${change.uri}\n`),
          },
        );
        progress.done();
        if (result.status === 'busy') {
          process.stderr.write(
            `${formatTarget(target)}: another backfill holds this prefix (run ${result.runId}, ${result.holder}, lease until ${result.expiresAt.toISOString()}); nothing done\n`,
          );
        } else if (result.status === 'failed') {
          process.stderr.write(`${formatTarget(target)}: failed: ${result.error ?? 'unknown error'} (the next run resumes where this one stopped)\n`);
        }
        results.push({ target, result });
      }
      process.stdout.write(`${summaryTable(results, dryRun)}\n`);
      const anyFailed = results.some(({ result }) => result.status === 'failed' || (result.status !== 'busy' && result.counts.failed > 0));
      return anyFailed ? 1 : 0;
    } finally {
      await Promise.all([pool.end(), backfillPool.end()]);
    }
  },
};

/** `backfill --restore-month YYYY-MM`: the month's dropped sessions ingested again from the bucket (README.md "Retention"). */
async function restoreCommand(month: string, targets: BackfillTarget[]): Promise<number> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--restore-month must be YYYY-MM, got "${month}"`);
  const config = loadConfig();
  const log = createLogger(process.env['SESSIONLAKE_LOG_LEVEL'] ? config.logLevel : 'error', { command: 'backfill' }, (line) =>
    process.stderr.write(`${line}\n`),
  );
  const { deps, pool } = createIngestDependencies(config, log);
  try {
    await runMigrations(pool);
    const report = await restoreMonth(`${month}-01`, targets, { ...deps, pool });
    for (const failure of report.failed) process.stderr.write(`${failure.uri}\tnot restored: ${failure.reason}\n`);
    process.stdout.write(
      `${month}: ${report.restored} of ${report.listed} sessions restored` +
        (report.failed.length > 0 ? `, ${report.failed.length} not (their billing stays as it was)` : '') +
        (report.outside > 0 ? `; ${report.outside} dropped sessions of the month are outside the prefixes given` : '') + '\n',
    );
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    await pool.end();
  }
}
