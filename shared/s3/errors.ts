/** S3 outcomes the ingest path acts on, translated from SDK errors at this edge. */
import { SessionlakeError } from '../errors.js';

/** The object's ETag no longer matches the one asked for (412): a newer event or the backfill brings it. */
export class ObjectChangedError extends SessionlakeError {
  override readonly name = 'ObjectChangedError';
  readonly retryable = false;
}

/** The object (or its bucket) is gone: NoSuchKey, NoSuchBucket, 404. */
export class ObjectMissingError extends SessionlakeError {
  override readonly name = 'ObjectMissingError';
  readonly retryable = false;
}

/** Throttling, 5xx, network, access problems that may clear: retry the message later. */
export class TransientS3Error extends SessionlakeError {
  override readonly name = 'TransientS3Error';
  readonly retryable = true;
}
