/**
 * `npm start`: the whole pipeline on one machine without Docker. Postgres (DATABASE_URL or embedded) and the
 * S3/SQS emulator start together, migrations run, the real ingest Lambda handler is driven by the queue
 * runner, the bundled samples and the user's own logs are uploaded, and once everything landed a summary
 * and one `ready:` line are printed. It stays up until the signal aborts.
 */
import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { allAgentDefinitions } from '../../shared/agents/registry.js';
import type { Agent } from '../../shared/model.js';
import type { Server } from 'node:http';
import { runMigrations } from '../../shared/store/migrate.js';
import { createPool, type Pool } from '../../shared/store/pool.js';
import { createDashboardServer, listen } from '../../shared/web/server.js';
import { summarizeIngest, type IngestSummary } from '../../shared/store/reports.js';
import { startEmulator, type RunningEmulator } from './emulator.js';
import { redactUrl, startPostgres, type RunningPostgres } from './postgres.js';
import { reconcileBucket } from './reconcile-on-start.js';
import { startQueueRunner, type BatchProgress, type QueueRunner, type SqsLambdaHandler } from './queue-runner.js';
import { uploadDirectory } from './upload-directory.js';

export interface DevStackOptions {
  /** S3/SQS emulator port (default 4566; 0 picks a free one). */
  s3Port?: number | undefined;
  /** Embedded Postgres port (default 54329; 0 picks a free one). */
  pgPort?: number | undefined;
  /** The dashboard's port (default 8787; 0 picks a free one). */
  webPort?: number | undefined;
  /** Use this server instead of an embedded one (the CLI passes DATABASE_URL). */
  databaseUrl?: string | undefined;
  /**
   * Kept between runs (default `<project>/.sessionlake`): `postgres/` holds the embedded Postgres's data,
   * `s3/` the local bucket's objects.
   */
  stateDir?: string | undefined;
  /** Turn uploads into S3 notifications on the ingest queue (default true); off, the bucket must be backfilled. */
  notifications?: boolean | undefined;
  /**
   * Runs once the queue runner is up and before anything is uploaded: the place to ingest what the bucket holds
   * and the database lacks (objects kept from an earlier run that was stopped before it ingested them).
   */
  reconcile?: (() => Promise<void>) | undefined;
  bucket?: string | undefined;
  /** Machine segment of the keys for the user's own logs (default: the hostname). */
  machine?: string | undefined;
  /** Upload each agent's own folder (its definition's `localFolder.home`: ~/.claude/projects, …; default true). */
  includeHome?: boolean | undefined;
  /** Another folder to upload in place of an agent's home folder. */
  homeDirs?: Partial<Record<Agent, string>> | undefined;
  /** Folder holding each agent's samples (`localFolder.samples`: `claude/projects`, …; default `<project>/test/fixtures`). */
  samplesDir?: string | undefined;
  /**
   * Batches ingested at once, as Lambda runs several invocations (default 4): one object is parsed while another's
   * rows are written. The handler's pool gets as many connections.
   */
  ingestConcurrency?: number | undefined;
  /** Lambda timeout given to the handler; also the visibility timeout (default 60 s). */
  functionTimeoutMs?: number | undefined;
  /** Test seam: the handler module (default: the real `functions/ingest/handler.ts`). */
  loadHandler?: (() => Promise<SqsLambdaHandler>) | undefined;
  /** Test seam: schema migrations (default: `runMigrations` of shared/store/migrate.ts). */
  migrate?: ((databaseUrl: string) => Promise<unknown>) | undefined;
}

export interface DevStackIo {
  log: (line: string) => void;
  /** Aborting it stops the stack; `runDevStack` then resolves. */
  signal: AbortSignal;
}

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REGION = 'us-east-1';
/** Batches at once in `npm start` (`--ingest-concurrency`, SESSIONLAKE_INGEST_CONCURRENCY): 4 suit a 2-core laptop. */
export const DEFAULT_INGEST_CONCURRENCY = 4;

export async function runDevStack(options: DevStackOptions, io: DevStackIo): Promise<void> {
  const { log, signal } = io;
  const bucket = options.bucket ?? 'sessionlake-raw';
  const machine = (options.machine ?? hostname()).replaceAll('/', '-');
  const samplesDir = options.samplesDir ?? path.join(PROJECT_DIR, 'test', 'fixtures');
  const functionTimeoutMs = options.functionTimeoutMs ?? 60_000;
  const stateDir = options.stateDir ?? path.join(PROJECT_DIR, '.sessionlake');
  const notifications = options.notifications ?? true;
  const ingestConcurrency = options.ingestConcurrency ?? DEFAULT_INGEST_CONCURRENCY;

  let postgres: RunningPostgres | undefined;
  let emulator: RunningEmulator | undefined;
  let runner: QueueRunner | undefined;
  let web: { server: Server; pool: Pool } | undefined;
  const restoreEnv = new Map<string, string | undefined>();

  try {
    log('starting Postgres and the S3/SQS emulator…');
    const [pgResult, emulatorResult] = await Promise.allSettled([
      startPostgres({
        databaseUrl: options.databaseUrl,
        dataDir: path.join(stateDir, 'postgres'),
        persistent: true,
        port: options.pgPort ?? 54329,
        database: 'sessionlake',
        signal,
        log,
      }),
      startEmulator({ port: options.s3Port ?? 4566, bucket, region: REGION, notifications, s3DataDir: path.join(stateDir, 's3'), log }),
    ]);
    if (pgResult.status === 'fulfilled') postgres = pgResult.value;
    if (emulatorResult.status === 'fulfilled') emulator = emulatorResult.value;
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (emulatorResult.status === 'rejected') throw emulatorResult.reason;
    if (!postgres || !emulator) throw new Error('unreachable');
    log(`s3+sqs: emulator at ${emulator.endpoint}, bucket ${bucket} (kept in ${path.join(stateDir, 's3')}), queue ${emulator.queueUrl} (DLQ after 5 receives)`);
    if (!notifications) {
      log(`notifications: off — uploads land in s3://${bucket} but no event reaches the queue, so nothing is ingested on its own`);
    }
    signal.throwIfAborted();

    log('migrations: applying…');
    await (options.migrate ?? runMigrations)(postgres.url);
    log('migrations: schema sessionlake is up to date');
    signal.throwIfAborted();

    // The handler module builds its clients from these at import time, as it does on Lambda.
    setEnv(restoreEnv, {
      DATABASE_URL: postgres.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: emulator.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.clientConfig.credentials.secretAccessKey,
      SESSIONLAKE_S3_ENDPOINT: emulator.endpoint,
      SESSIONLAKE_S3_FORCE_PATH_STYLE: 'true',
      // One connection per batch running at once (a batch holds one at a time).
      SESSIONLAKE_PG_POOL_MAX: String(ingestConcurrency),
      // The handler's per-object info logs would bury the progress lines; warnings and errors still show.
      SESSIONLAKE_LOG_LEVEL: process.env.SESSIONLAKE_LOG_LEVEL || 'warn',
    });
    const handler = await (options.loadHandler ?? loadIngestHandler)();
    const running = emulator;
    runner = await startQueueRunner({
      sqs: running.sqs,
      queueUrl: running.queueUrl,
      queueArn: running.queueArn,
      region: REGION,
      handler,
      functionTimeoutMs,
      concurrency: ingestConcurrency,
      functionName: 'sessionlake-ingest',
      idle: () => running.bridge.idle(),
      onBatch: throttledBatchLog(log),
      log,
    });
    log(`ingest: queue runner started (batches of 10, ${ingestConcurrency} at once, function timeout ${functionTimeoutMs / 1000} s)`);
    // With notifications on, a start-up backfill pass redoes what a stop or crash left undone. With them off
    // the user loads the bucket with `sessionlake backfill`, as the output says.
    const reconcile = options.reconcile ?? (notifications ? () => reconcileBucket(bucket, log) : undefined);
    if (reconcile) {
      log('ingest: reconciling the bucket with the database…');
      await reconcile();
      signal.throwIfAborted();
    }

    const agents = allAgentDefinitions();
    const uploads: Array<{ label: string; dir: string; prefix: string; include?: (relativePath: string) => boolean }> = agents.map((agent) => ({
      label: `sample ${agent.displayName} sessions`,
      dir: path.join(samplesDir, ...agent.localFolder.samples),
      prefix: `sample/raw/${agent.name}/`,
    }));
    if (options.includeHome ?? true) {
      uploads.push(
        ...agents.map((agent) => ({
          label: `your ${agent.displayName} sessions`,
          dir: options.homeDirs?.[agent.name] ?? path.join(homedir(), ...agent.localFolder.home),
          prefix: `${machine}/raw/${agent.name}/`,
          // Only the files the pipeline reads (an agent's folder also holds its settings, logs, maybe a token).
          include: (relativePath: string) => agent.notifySuffixes.some((suffix) => relativePath.endsWith(suffix)),
        })),
      );
    }
    for (const upload of uploads) {
      if (!existsSync(upload.dir)) continue;
      log(`upload: ${upload.label} from ${upload.dir} → s3://${bucket}/${upload.prefix}`);
      const result = await uploadDirectory({
        s3: running.s3,
        bucket,
        localDir: upload.dir,
        keyPrefix: upload.prefix,
        include: upload.include,
        every: 100,
        signal,
        onProgress: (progress) => {
          if (progress.totalFiles > 0) log(`upload: ${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)}`);
        },
      });
      if (result.files === 0) log('upload: no files there');
    }

    log('ingest: waiting for the queue to drain…');
    await runner.drain({ signal });
    const dlqDepth = await visibleMessages(running, running.dlqUrl);
    if (dlqDepth > 0) log(`ingest: ${dlqDepth} message(s) ended in the DLQ ${running.dlqUrl}`);

    for (const line of formatSummary(await summarizeIngest(postgres.url))) log(line);
    const shownUrl = postgres.embedded ? postgres.url : redactUrl(postgres.url);
    log('');
    log(`query it:   psql ${postgres.embedded ? `'${postgres.url}'` : '"$DATABASE_URL"'}   (tables in schema sessionlake)`);
    log(
      `push more:  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${REGION} ` +
        `aws --endpoint-url ${running.endpoint} s3 sync ~/.claude/projects s3://${bucket}/${machine}/raw/claude/`,
    );
    if (!notifications) {
      log(
        `load it:    DATABASE_URL='${shownUrl}' AWS_ENDPOINT_URL_S3=${running.endpoint} ` +
          `AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${REGION} npx sessionlake backfill s3://${bucket}   (notifications are off)`,
      );
    }
    // The dashboard reads as the local owner here: this Postgres is yours alone (`sessionlake serve` takes an analyst login).
    const webPool = createPool({ connectionString: postgres.url, max: 4 });
    web = { pool: webPool, server: createDashboardServer({ pool: webPool, onError: (error) => log(`dashboard: ${String(error)}`) }) };
    const webUrl = await listen(web.server, options.webPort ?? 8787, '127.0.0.1');
    log(`look at it: ${webUrl}   (the dashboard: usage, sessions, transcripts, search)`);
    log('stop:       Ctrl-C');
    log(`ready: s3=${running.endpoint} bucket=${bucket} postgres=${shownUrl} web=${webUrl}`);

    await waitForAbort(signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    if (web !== undefined) {
      web.server.closeAllConnections();
      await new Promise<void>((resolve) => web?.server.close(() => resolve()));
      await web.pool.end().catch((error: unknown) => log(`stop: dashboard pool: ${String(error)}`));
    }
    await runner?.stop().catch((error: unknown) => log(`stop: queue runner: ${String(error)}`));
    await emulator?.stop().catch((error: unknown) => log(`stop: emulator: ${String(error)}`));
    restore(restoreEnv);
    await postgres?.stop().catch((error: unknown) => log(`stop: postgres: ${String(error)}`));
    if (signal.aborted) log('stopped');
  }
}

async function loadIngestHandler(): Promise<SqsLambdaHandler> {
  const module = await import('../../functions/ingest/handler.js');
  return module.handler;
}

function setEnv(saved: Map<string, string | undefined>, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    process.env[name] = value;
  }
}

function restore(saved: Map<string, string | undefined>): void {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** One line per second at most while batches succeed; every batch with failures is reported. */
function throttledBatchLog(log: (line: string) => void): (progress: BatchProgress) => void {
  let lastLogged = 0;
  return (progress) => {
    const now = Date.now();
    if (progress.failed === 0 && now - lastLogged < 1000) return;
    lastLogged = now;
    const failure = progress.failed > 0 ? ` (batch ${progress.batch}: ${progress.failed} failed, ${progress.outcome}${progress.error ? `: ${String(progress.error)}` : ''})` : '';
    log(`ingest: ${progress.totals.succeeded} queue messages done, ${progress.totals.failed} retried so far${failure}`);
  };
}

async function visibleMessages(emulator: RunningEmulator, queueUrl: string): Promise<number> {
  const result = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(result.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export function formatSummary(summary: IngestSummary): string[] {
  const number = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `landed: ${number(summary.sessions)} sessions, ${number(summary.messages)} messages, ${number(summary.toolCalls)} tool calls`,
  ];
  if (summary.deletedSessions > 0) lines.push(`  not counted: ${number(summary.deletedSessions)} sessions deleted from S3 (their rows are kept)`);
  for (const group of summary.sessionsByAgent) {
    lines.push(`  ${group.machine}/${group.agent}: ${number(group.sessions)} sessions`);
  }
  if (summary.tokensByModel.length > 0) lines.push('tokens by model:');
  for (const model of summary.tokensByModel) {
    const reasoning = model.reasoningOutputTokens > 0 ? `, reasoning ${number(model.reasoningOutputTokens)}` : '';
    lines.push(
      `  ${model.model}: input ${number(model.inputTokens)}, output ${number(model.outputTokens)}, ` +
        `cache write ${number(model.cacheCreationInputTokens)}, cache read ${number(model.cacheReadInputTokens)}${reasoning} ` +
        `(${number(model.responses)} responses)`,
    );
  }
  return lines;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
