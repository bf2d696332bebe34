/**
 * The base of every error the write path raises on purpose. Each says whether trying the same work again
 * later can succeed; `shared/ingest/sqs-batch.ts` is the one place that acts on it (retry through SQS, or
 * record the object as failed and move on).
 */
export abstract class SessionlakeError extends Error {
  /** True when the same work may succeed later (network, throttling, a lock, a failover). */
  abstract readonly retryable: boolean;
}

/**
 * Whether a retry can help. Errors the code did not classify count as retryable: SQS retries them a few
 * times and then keeps them in the DLQ, where an operator sees them, rather than dropping the work.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof SessionlakeError ? error.retryable : true;
}

/** `Name: message` of any thrown value, for logs and the error columns. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
