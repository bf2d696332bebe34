import { databaseUrlProblem } from './database-url.js';
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
    /** `http://host/bucket/key` rather than `http://bucket.host/key`; by default on with a custom endpoint. */
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

/** The queue's redrive maxReceiveCount when none is set: serverless.yml's `maxReceiveCount` parameter default. */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    database: {
      connectionString: databaseUrl(env, 'DATABASE_URL'),
      poolMax: integer(env, 'SESSIONLAKE_PG_POOL_MAX', 1, 1),
      lockTimeoutMs: integer(env, 'SESSIONLAKE_LOCK_TIMEOUT_MS', 30_000, 0),
    },
    s3: s3Config(env),
    ingest: {
      maxLineBytes: integer(env, 'SESSIONLAKE_MAX_LINE_BYTES', DEFAULT_MAX_LINE_BYTES, 1024),
      timeReserveMs: integer(env, 'SESSIONLAKE_TIME_RESERVE_MS', 10_000, 0),
      maxReceiveCount: integer(env, 'SESSIONLAKE_MAX_RECEIVE_COUNT', DEFAULT_MAX_RECEIVE_COUNT, 1),
    },
    logLevel: logLevel(env, 'SESSIONLAKE_LOG_LEVEL'),
  };
}

function s3Config(env: Env): Config['s3'] {
  const endpoint = s3Endpoint(env);
  return {
    endpoint,
    // Emulators serve path-style only: with a custom endpoint whose host is a name (`localhost`), the SDK would
    // otherwise address `<bucket>.localhost`.
    forcePathStyle: boolean(env, 'SESSIONLAKE_S3_FORCE_PATH_STYLE', endpoint !== undefined),
    region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
  };
}

/**
 * The AWS SDK's own variables (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL; ignored when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, as the SDK does), read here so that path style can follow them.
 * SESSIONLAKE_S3_ENDPOINT, the older name, still wins when set: `npm start` sets it for its in-process handler,
 * which must reach the local emulator even when the shell exports an AWS endpoint.
 */
function s3Endpoint(env: Env): string | undefined {
  const ignoreAwsVariables = optional(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')?.toLowerCase() === 'true';
  const names = ['SESSIONLAKE_S3_ENDPOINT', ...(ignoreAwsVariables ? [] : ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'])];
  for (const name of names) {
    const value = optional(env, name);
    if (value === undefined) continue;
    if (!/^https?:\/\/[^/]/i.test(value) || !URL.canParse(value)) {
      throw new ConfigError(`${name} must be an http:// or https:// URL such as http://localhost:4566, got "${value}"`);
    }
    return value;
  }
  return undefined;
}

function databaseUrl(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  const problem = value === undefined ? null : databaseUrlProblem(value);
  if (problem !== null) throw new ConfigError(`${name}: ${problem}`);
  return value;
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
