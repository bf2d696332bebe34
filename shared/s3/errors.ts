/** S3 outcomes the ingest path acts on, translated from SDK errors at this edge. */

/** The object's ETag no longer matches the event's (412): a newer event or the backfill will bring it. */
export class ObjectChangedError extends Error {
  override readonly name = 'ObjectChangedError';
}

/** The object is gone (NoSuchKey / 404). */
export class ObjectMissingError extends Error {
  override readonly name = 'ObjectMissingError';
}

/** Throttling, 5xx, network, access problems that may clear: retry the message later. */
export class TransientS3Error extends Error {
  override readonly name = 'TransientS3Error';
}
