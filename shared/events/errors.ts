/** The message body is not an S3 notification we can act on. Retrying will not help. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}
