import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { checkBudgets } from '../../shared/budgets/check.js';
import { configuredSenders } from '../../shared/budgets/senders.js';
import { budgetCheckIntervalMs, throttledBudgetCheck } from '../../shared/budgets/throttled-check.js';
import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { lambdaBatchResponse, processSqsBatch } from '../../shared/ingest/sqs-batch.js';
import { createLogger } from '../../shared/log.js';
import { resolveDatabaseUrl } from '../../shared/secrets.js';
import { schemaGate } from '../../shared/store/schema-version.js';

// Built once per execution environment (the database URL fetched from its secret) and reused by every invocation.
const config = loadConfig(await resolveDatabaseUrl(process.env));
const log = createLogger(config.logLevel, { function: 'ingest' });
const { deps, pool } = createIngestDependencies(config, log);
const schema = schemaGate(pool, log);
const alertSenders = configuredSenders(process.env, config.s3.region);
// Budgets the batches' spending crossed alert within minutes (README "Budgets and alerts").
const checkBudgetsSoon = throttledBudgetCheck(() => checkBudgets(pool, alertSenders, log), {
  intervalMs: budgetCheckIntervalMs(process.env),
  log,
});

/**
 * SQS event source → S3 notifications → the write path; returns only the messages that failed, and throws
 * when all of them failed for a retryable reason (so the errors alarm sees a database that is down).
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // A schema older than this code: the whole batch fails (retried; the errors alarm) until `migrate` has run.
  await schema.ensure();
  const batch = await processSqsBatch(event, context, {
    ...deps,
    log: log.child({ requestId: context.awsRequestId }),
  });
  await checkBudgetsSoon();
  return lambdaBatchResponse(batch);
}
