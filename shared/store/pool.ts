import pg from 'pg';
import type { Logger } from '../log.js';

export type { Pool } from 'pg';

export interface PoolOptions {
  connectionString: string | undefined;
  max: number;
}

/**
 * A pool even for one connection: pg.Pool drops a client whose socket died (a frozen Lambda's idle
 * connection, a failover) and opens a fresh one on the next query, which a bare Client does not.
 */
export function createPool(options: PoolOptions, log?: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 60_000,
    application_name: 'sessionlake',
  });
  // An idle client's socket error would otherwise crash the process.
  pool.on('error', (error) => log?.warn('an idle postgres connection closed; the next query opens a new one', { error }));
  return pool;
}
