import { DEFAULT_MAX_LINE_BYTES } from './lines/line-reader.js';
import type { LogLevel } from './log.js';

/**
 * Runtime configuration, read once from the environment and validated.
 * Postgres follows node-postgres conventions: DATABASE_URL, or the PG* variables when it is unset.
 */
export interface Config {
  database: {
    /** Undefined: node-postgres reads PGHOST, PGUSER, … itself. */
    connectionString: string | undefined;
    /** Connections per execution environment. Lambda runs one invocation at a time, so 1. */
    poolMax: number;
    /** How long an ingest waits for another worker's lock on the same object before retrying later. */
    lockTimeoutMs: number;
  };
  s3: {
    /** Custom endpoint (local emulator, LocalStack); undefined for AWS. */
    endpoint: string | undefined;
    forcePathStyle: boolean;
    region: string;
  };
  ingest: {
    maxLineBytes: number;
    /** Stop starting new records when less than this much Lambda time is left. */
    timeReserveMs: number;
    /** The queue's redrive maxReceiveCount: a message failing its last receive is logged as going to the DLQ. */
    maxReceiveCount: number;
  };
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    database: {
      connectionString: optional(env, 'DATABASE_URL'),
      poolMax: integer(env, 'SESSIONLAKE_PG_POOL_MAX', 1, 1),
      lockTimeoutMs: integer(env, 'SESSIONLAKE_LOCK_TIMEOUT_MS', 30_000, 0),
    },
    s3: {
      endpoint: optional(env, 'SESSIONLAKE_S3_ENDPOINT') ?? optional(env, 'AWS_ENDPOINT_URL_S3'),
      forcePathStyle: boolean(env, 'SESSIONLAKE_S3_FORCE_PATH_STYLE', false),
      region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    },
    ingest: {
      maxLineBytes: integer(env, 'SESSIONLAKE_MAX_LINE_BYTES', DEFAULT_MAX_LINE_BYTES, 1024),
      timeReserveMs: integer(env, 'SESSIONLAKE_TIME_RESERVE_MS', 10_000, 0),
      maxReceiveCount: integer(env, 'SESSIONLAKE_MAX_RECEIVE_COUNT', 5, 1),
    },
    logLevel: logLevel(env, 'SESSIONLAKE_LOG_LEVEL'),
  };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function logLevel(env: Env, name: string): LogLevel {
  const raw = optional(env, name)?.toLowerCase() ?? 'info';
  if (raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error') return raw;
  throw new ConfigError(`${name} must be one of debug, info, warn, error, got "${raw}"`);
}
