/**
 * Postgres failures translated into what the ingest path needs to decide: retry later, or not.
 * Only this folder looks at pg's SQLSTATE codes.
 */

/** Retrying later can succeed: connection loss, failover, lock wait, serialization failure, deadlock, overload. */
export class TransientStoreError extends Error {
  override readonly name = 'TransientStoreError';
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

/** Wraps transient pg errors; leaves everything else untouched. */
export function translatePgError(error: unknown): unknown {
  if (error instanceof TransientStoreError || !isTransientPgError(error)) return error;
  const code = (error as { code?: unknown }).code;
  return new TransientStoreError(`postgres: ${(error as Error).message}`, typeof code === 'string' ? code : undefined, {
    cause: error,
  });
}
