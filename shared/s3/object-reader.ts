import { GetObjectCommand, HeadObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { normalizeEtag } from '../events/s3-event.js';
import { ObjectChangedError, ObjectMissingError, TransientS3Error } from './errors.js';

export interface OpenedObject {
  body: AsyncIterable<Uint8Array>;
  etag: string | null;
  size: number | null;
  lastModified: Date | null;
}

export interface ObjectHead {
  etag: string | null;
  size: number | null;
  lastModified: Date | null;
}

/** What the ingest path needs from S3. */
export interface ObjectReader {
  head(bucket: string, key: string): Promise<ObjectHead>;
  /** Streams the object; with `etag`, only that version (If-Match), else ObjectChangedError. */
  open(bucket: string, key: string, etag: string | null): Promise<OpenedObject>;
  /** Streams the bytes from `start` to the end of exactly that version (Range + If-Match). */
  openFrom(bucket: string, key: string, etag: string, start: number): Promise<OpenedObject>;
}

export function createObjectReader(s3: S3Client): ObjectReader {
  return {
    async head(bucket, key) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return {
          etag: head.ETag ? normalizeEtag(head.ETag) : null,
          size: head.ContentLength ?? null,
          lastModified: head.LastModified ?? null,
        };
      } catch (error) {
        throw translateS3Error(error, bucket, key);
      }
    },
    open: (bucket, key, etag) => get(s3, bucket, key, etag, null),
    openFrom: (bucket, key, etag, start) => get(s3, bucket, key, etag, start),
  };
}

async function get(s3: S3Client, bucket: string, key: string, etag: string | null, start: number | null): Promise<OpenedObject> {
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(etag === null ? {} : { IfMatch: `"${etag}"` }),
        ...(start === null ? {} : { Range: `bytes=${start}-` }),
      }),
    );
    const body = response.Body as AsyncIterable<Uint8Array> | undefined;
    if (body === undefined) throw new TransientS3Error(`GetObject s3://${bucket}/${key} returned no body`);
    return {
      body: translateStreamErrors(body, bucket, key),
      etag: response.ETag ? normalizeEtag(response.ETag) : etag,
      size: start === null ? (response.ContentLength ?? null) : objectSizeOf(response.ContentRange),
      lastModified: response.LastModified ?? null,
    };
  } catch (error) {
    throw translateS3Error(error, bucket, key);
  }
}

/** The whole object's size from a `Content-Range: bytes a-b/size` header. */
function objectSizeOf(contentRange: string | undefined): number | null {
  const total = contentRange?.split('/')[1];
  return total === undefined || total === '*' ? null : Number(total);
}

async function* translateStreamErrors(body: AsyncIterable<Uint8Array>, bucket: string, key: string) {
  try {
    yield* body;
  } catch (error) {
    throw new TransientS3Error(`reading s3://${bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
  }
}

export function translateS3Error(error: unknown, bucket: string, key: string): Error {
  const where = `s3://${bucket}/${key}`;
  if (error instanceof ObjectChangedError || error instanceof ObjectMissingError || error instanceof TransientS3Error) {
    return error;
  }
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const name = (error as { name?: string }).name ?? '';
  if (status === 412 || name === 'PreconditionFailed') {
    return new ObjectChangedError(`${where} changed since the event (ETag mismatch)`, { cause: error });
  }
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return new ObjectMissingError(`${where} does not exist`, { cause: error });
  }
  // Everything else (throttling, 5xx, network, credentials, AccessDenied) may clear: retry, then the DLQ.
  return new TransientS3Error(`${where}: ${name || 'error'}: ${(error as Error).message}`, { cause: error });
}
