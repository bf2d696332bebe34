/**
 * Postgres failures translated into what the ingest path needs to decide: retry later, or not.
 * Only this folder looks at pg's SQLSTATE codes.
 */
import { SessionlakeError } from '../errors.js';

/** Retrying later can succeed: connection loss, failover, lock wait, serialization failure, deadlock, overload. */
export class TransientStoreError extends SessionlakeError {
  override readonly name = 'TransientStoreError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly sqlState: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57', '40'];
const TRANSIENT_SQLSTATES = new Set(['55P03', '55006', '58000', '58030']);
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export function isTransientPgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (code.length === 5 && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  // node-postgres reports a dropped socket with a plain Error and no code.
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}

/**
 * Postgres rejected the data itself (SQLSTATE class 22, data exception, or 23, integrity constraint): the
 * same object fails the same way however often it is retried, until the code that produced the row changes.
 */
export class RejectedDataError extends SessionlakeError {
  override readonly name = 'RejectedDataError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly sqlState: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const DATA_SQLSTATE_CLASSES = ['22', '23'];

/** Wraps transient and data-rejection pg errors; leaves everything else untouched. */
export function translatePgError(error: unknown): unknown {
  if (error instanceof SessionlakeError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const sqlState = typeof code === 'string' ? code : undefined;
  if (isTransientPgError(error)) {
    return new TransientStoreError(`postgres: ${error.message}`, sqlState, { cause: error });
  }
  if (sqlState !== undefined && sqlState.length === 5 && DATA_SQLSTATE_CLASSES.includes(sqlState.slice(0, 2))) {
    return new RejectedDataError(`postgres rejected a value (${sqlState}): ${error.message}`, sqlState, { cause: error });
  }
  return error;
}
