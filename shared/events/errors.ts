import { SessionlakeError } from '../errors.js';

/** The message body is not an S3 notification we can act on. Retrying will not help. */
export class InvalidEventError extends SessionlakeError {
  override readonly name = 'InvalidEventError';
  readonly retryable = false;
}
