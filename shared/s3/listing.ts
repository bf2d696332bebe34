import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { normalizeEtag } from '../events/s3-event.js';
import { translateS3Error } from './object-reader.js';

/** One page of ListObjectsV2, keys in S3's order (UTF-8 byte order), ETags unquoted. */
export interface ListedPage {
  objects: ListedObject[];
  /** Token of the next page; null on the last one. */
  nextToken: string | null;
}

export interface ListedObject {
  key: string;
  etag: string;
  size: number;
  lastModified: Date | null;
}

export interface ObjectLister {
  listPage(input: { bucket: string; prefix: string; token: string | null; startAfter: string | null; maxKeys?: number }): Promise<ListedPage>;
}

export function createObjectLister(s3: S3Client): ObjectLister {
  return {
    async listPage({ bucket, prefix, token, startAfter, maxKeys }) {
      try {
        const response = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix === '' ? undefined : prefix,
            ContinuationToken: token ?? undefined,
            // Only without a token: S3 ignores StartAfter once a continuation token is given.
            StartAfter: token === null && startAfter !== null ? startAfter : undefined,
            MaxKeys: maxKeys,
          }),
        );
        const objects = (response.Contents ?? []).flatMap((item) =>
          item.Key === undefined
            ? []
            : [{ key: item.Key, etag: normalizeEtag(item.ETag ?? ''), size: item.Size ?? 0, lastModified: item.LastModified ?? null }],
        );
        return { objects, nextToken: response.IsTruncated ? (response.NextContinuationToken ?? null) : null };
      } catch (error) {
        throw translateS3Error(error, bucket, prefix);
      }
    },
  };
}
