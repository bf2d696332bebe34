import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createS3Client } from '../../shared/aws-clients.js';
import { loadConfig } from '../../shared/config.js';
import { processSqsBatch } from '../../shared/ingest/sqs-batch.js';
import { createLogger } from '../../shared/log.js';
import { createObjectReader } from '../../shared/s3/object-reader.js';
import { ObjectStore } from '../../shared/store/object-store.js';
import { createPool } from '../../shared/store/pool.js';

// Built once per execution environment and reused by every invocation it serves.
const config = loadConfig();
const log = createLogger(config.logLevel, { function: 'ingest' });
const pool = createPool({ connectionString: config.database.connectionString, max: config.database.poolMax }, log);
const store = new ObjectStore(pool, { lockTimeoutMs: config.database.lockTimeoutMs });
const reader = createObjectReader(createS3Client(config.s3));

/** SQS event source → S3 notifications → the write path; returns only the messages that failed. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { batchItemFailures } = await processSqsBatch(event, context, {
    store,
    reader,
    log: log.child({ requestId: context.awsRequestId }),
    maxLineBytes: config.ingest.maxLineBytes,
    timeReserveMs: config.ingest.timeReserveMs,
  });
  return { batchItemFailures };
}
