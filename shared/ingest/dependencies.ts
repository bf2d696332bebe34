import { createS3Client } from '../aws-clients.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createObjectReader } from '../s3/object-reader.js';
import { ObjectStore } from '../store/object-store.js';
import { createPool, type Pool } from '../store/pool.js';
import type { BatchDependencies } from './sqs-batch.js';

/** The clients and settings every entry point of the write path (Lambda, CLI) builds from config. */
export function createIngestDependencies(config: Config, log: Logger): { deps: BatchDependencies; pool: Pool } {
  const pool = createPool({ connectionString: config.database.connectionString, max: config.database.poolMax }, log);
  return {
    pool,
    deps: {
      store: new ObjectStore(pool, { lockTimeoutMs: config.database.lockTimeoutMs }),
      reader: createObjectReader(createS3Client(config.s3)),
      log,
      maxLineBytes: config.ingest.maxLineBytes,
      timeReserveMs: config.ingest.timeReserveMs,
      maxReceiveCount: config.ingest.maxReceiveCount,
    },
  };
}
