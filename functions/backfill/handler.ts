import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createS3Client } from '../../shared/aws-clients.js';
import { enqueueOnIngestQueue } from '../../shared/backfill/actions.js';
import { loadBackfillConfig } from '../../shared/backfill/config.js';
import { runScheduledBackfill, type ScheduledBackfillReport } from '../../shared/backfill/scheduled.js';
import { checkBudgets, type BudgetCheck } from '../../shared/budgets/check.js';
import { configuredSenders } from '../../shared/budgets/senders.js';
import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { createLogger } from '../../shared/log.js';
import { createObjectLister } from '../../shared/s3/listing.js';
import { loadRetentionConfig } from '../../shared/retention/config.js';
import { scheduledRetention, type RetentionReport } from '../../shared/retention/run.js';
import { resolveDatabaseUrl } from '../../shared/secrets.js';
import { BackfillStore } from '../../shared/store/backfill-store.js';
import { schemaGate } from '../../shared/store/schema-version.js';

// Built once per execution environment (the database URL fetched from its secret) and reused by every invocation.
const config = loadConfig(await resolveDatabaseUrl(process.env));
const backfill = loadBackfillConfig();
const retention = loadRetentionConfig();
const log = createLogger(config.logLevel, { function: 'backfill' });
const { deps, pool } = createIngestDependencies(config, log);
const lister = createObjectLister(createS3Client(config.s3));
// The queue URL is used as given; its host is not the endpoint (it differs under an emulator's endpoint override).
const sqs = new SQSClient({ region: config.s3.region, useQueueUrlAsEndpoint: false });
const actions = enqueueOnIngestQueue(sqs, backfill.queueUrl, config.s3.region, log);
const store = new BackfillStore(pool);
const schema = schemaGate(pool, log);
const alertSenders = configuredSenders(process.env, config.s3.region);

/**
 * EventBridge schedule → reconcile each configured prefix, enqueueing the work for the ingest Lambda; then budgets;
 * then the transcript partitions (the coming months', and old months dropped when a retention is configured).
 */
export async function handler(
  _event: ScheduledEvent,
  context: Context,
): Promise<ScheduledBackfillReport & { budgets: BudgetCheck; retention: RetentionReport | { error: string } }> {
  // A schema older than this code: the run fails (the errors alarm); the next schedule tries again.
  await schema.ensure();
  const runLog = log.child({ requestId: context.awsRequestId });
  const report = await runScheduledBackfill(backfill.targets, {
    store,
    lister,
    ingest: { ...deps, log: runLog },
    actions,
    log: runLog,
    holder: `lambda ${context.awsRequestId}`,
    leaseMs: backfill.leaseMs,
    verifyQuietMs: backfill.verifyQuietMs,
    timeLeftMs: () => context.getRemainingTimeInMillis() - config.ingest.timeReserveMs,
  });
  // Alerts follow spending within one schedule period; one that could not be sent is tried again next time.
  const budgets = await checkBudgets(pool, alertSenders, runLog);
  runLog.info('budgets checked', { budgets: budgets.statuses.length, sent: budgets.sent.length, failed: budgets.failed.length, over: budgets.over });
  return { ...report, budgets, retention: await scheduledRetention(pool, retention, runLog) };
}
