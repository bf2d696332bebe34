/**
 * S3 → SQS notifications for the local emulator. fauxqs 1.9.2 accepts PutBucketNotificationConfiguration
 * and ignores it, so this bridge watches the emulator's own HTTP app and sends what S3 would send.
 *
 * Why an `onSend` hook on the fauxqs Fastify app (from `buildApp()`, hooks added before `listen`) and not the
 * message spy (`server.spy.addMessage`, an internal method that reports bucket and key only):
 * - the hook sees the ETag the upload itself returned (PutObject: the `ETag` header; CompleteMultipartUpload
 *   and CopyObject: the XML body), so no HeadObject is needed that could race an overwrite of the same key;
 * - `onSend` runs after the object is stored but before the client receives its answer, so a client that waits
 *   for its upload and then for `idle()` cannot miss the event, and events are numbered in store order;
 * - the object size comes from the request (`x-amz-decoded-content-length` for aws-chunked bodies, else the
 *   body length); a multipart object's size is the sum of its uploaded parts. Only CopyObject (and sizes that
 *   cannot be known from the request) fall back to HeadObject.
 * Everything used is public Fastify API on the app fauxqs exports; fauxqs stays pinned at 1.9.2 anyway.
 */
import type { buildApp } from 'fauxqs';
import { notificationSuffixes } from '../../shared/agents/registry.js';
import {
  buildS3NotificationRecord,
  createSequencer,
  matchesKeyFilter,
  S3EventName,
  type KeyFilter,
  type ObjectChange,
  type S3NotificationBody,
} from './s3-event.js';

/**
 * The notification rules the deployed stack sets too: every agent's suffixes (its definition's
 * `notifySuffixes`), sessions and the sidecars that re-ingest them.
 */
export const DEFAULT_FILTERS: KeyFilter[] = notificationSuffixes().map((suffix) => ({ suffix }));

export type FauxqsApp = ReturnType<typeof buildApp>;

export interface NotificationBridgeOptions {
  region: string;
  /**
   * Which keys produce events, like a bucket notification's rules (one prefix and one suffix each): the default
   * is DEFAULT_FILTERS, e.g. sessions (suffix `.jsonl`) and Claude Code's tool-result sidecars (suffix `.txt`).
   */
  filter?: KeyFilter | KeyFilter[];
  /** Sends one notification body (one record, as S3 does) to the queue. */
  deliver: (body: S3NotificationBody) => Promise<void>;
  /** Fallback for sizes the request does not tell. */
  headObject: (bucket: string, key: string) => Promise<{ size: number; eTag: string }>;
  onError?: (error: unknown) => void;
  now?: () => Date;
}

export interface NotificationBridge {
  /** Resolves once every event observed so far has been delivered (or has failed). */
  idle(): Promise<void>;
  /** Events handed to `deliver` successfully. */
  readonly delivered: number;
}

interface RequestView {
  method: string;
  routeUrl: string | undefined;
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  ip: string;
}

interface ResponseView {
  statusCode: number;
  eTag: string | undefined;
  requestId: string | undefined;
  hostId: string | undefined;
}

export function attachNotificationBridge(app: FauxqsApp, options: NotificationBridgeOptions): NotificationBridge {
  const filters = [options.filter ?? DEFAULT_FILTERS].flat();
  const nextSequencer = createSequencer();
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => {});
  const partSizes = new Map<string, Map<number, number>>();
  // Size of every object written through the emulator (all keys, not only matching ones), for CopyObject.
  const objectSizes = new Map<string, number>();
  const objectId = (bucket: string, key: string): string => `${bucket}/${key}`;
  const pending = new Set<Promise<void>>();
  let delivered = 0;

  const emit = (change: Omit<ObjectChange, 'sequencer' | 'eventTime' | 'region'>, sizeLater?: () => Promise<number>): void => {
    if (!filters.some((filter) => matchesKeyFilter(change.key, filter))) return;
    // Numbered now, in the order the store applied the writes; sent asynchronously.
    const stamped: ObjectChange = { ...change, sequencer: nextSequencer(), eventTime: now(), region: options.region };
    const sending = (async () => {
      if (sizeLater) {
        stamped.size = await sizeLater().catch((error: unknown) => {
          // Still notify: a lost event is worse than a wrong size (the consumer reads the object anyway).
          onError(new Error(`size of ${change.key} unknown, notifying with 0`, { cause: error }));
          return 0;
        });
      }
      await options.deliver({ Records: [buildS3NotificationRecord(stamped)] });
      delivered += 1;
    })()
      .catch(onError)
      .finally(() => pending.delete(sending));
    pending.add(sending);
  };

  const observe = (request: RequestView, response: ResponseView, payload: unknown): void => {
    const bucket = request.params.bucket ?? '';
    const key = request.params['*'] ?? '';
    const uploadId = request.query.uploadId;
    const partNumber = Number(request.query.partNumber);
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const ids = { sourceIp: request.ip, requestId: response.requestId, hostId: response.hostId };

    if (response.statusCode >= 300) return;

    if (request.method === 'POST' && text.includes('<DeleteResult')) {
      for (const deletedKey of xmlValues(text, /<Deleted>\s*<Key>([\s\S]*?)<\/Key>/g)) {
        objectSizes.delete(objectId(bucket, deletedKey));
        emit({ eventName: S3EventName.delete, bucket, key: deletedKey, ...ids });
      }
      return;
    }
    if (request.routeUrl !== '/:bucket/*' || key === '') return;

    if (request.method === 'PUT' && uploadId && Number.isInteger(partNumber)) {
      const size = uploadedSize(request);
      if (size !== undefined) {
        const parts = partSizes.get(uploadId) ?? new Map<number, number>();
        parts.set(partNumber, size);
        partSizes.set(uploadId, parts);
      }
      return;
    }
    if (request.method === 'PUT' && request.headers['x-amz-copy-source']) {
      const eTag = xmlValues(text, /<ETag>([\s\S]*?)<\/ETag>/g)[0] ?? '';
      const size = objectSizes.get(copySourceId(headerValue(request.headers, 'x-amz-copy-source') ?? ''));
      remember(bucket, key, size);
      emit({ eventName: S3EventName.copy, bucket, key, eTag, size, ...ids }, size === undefined ? () => headSize(bucket, key) : undefined);
      return;
    }
    if (request.method === 'PUT') {
      const size = uploadedSize(request);
      remember(bucket, key, size);
      emit(
        { eventName: S3EventName.put, bucket, key, eTag: response.eTag ?? '', size, ...ids },
        size === undefined ? () => headSize(bucket, key) : undefined,
      );
      return;
    }
    if (request.method === 'POST' && uploadId) {
      const eTag = xmlValues(text, /<ETag>([\s\S]*?)<\/ETag>/g)[0] ?? '';
      const size = multipartSize(uploadId, bodyText(request.body));
      partSizes.delete(uploadId);
      remember(bucket, key, size);
      emit(
        { eventName: S3EventName.completeMultipartUpload, bucket, key, eTag, size, ...ids },
        size === undefined ? () => headSize(bucket, key) : undefined,
      );
      return;
    }
    if (request.method === 'DELETE' && uploadId) {
      partSizes.delete(uploadId);
      return;
    }
    if (request.method === 'DELETE') {
      objectSizes.delete(objectId(bucket, key));
      emit({ eventName: S3EventName.delete, bucket, key, ...ids });
    }
  };

  const remember = (bucket: string, key: string, size: number | undefined): void => {
    if (size === undefined) objectSizes.delete(objectId(bucket, key));
    else objectSizes.set(objectId(bucket, key), size);
  };

  /** `x-amz-copy-source` is `[/]bucket/key[?versionId=…]`, URL-encoded. */
  const copySourceId = (source: string): string => {
    const decoded = decodeURIComponent(source.split('?')[0] ?? '');
    return decoded.startsWith('/') ? decoded.slice(1) : decoded;
  };

  const headSize = async (bucket: string, key: string): Promise<number> => (await options.headObject(bucket, key)).size;

  const multipartSize = (uploadId: string, completionXml: string): number | undefined => {
    const parts = partSizes.get(uploadId);
    const numbers = xmlValues(completionXml, /<PartNumber>\s*(\d+)\s*<\/PartNumber>/g).map(Number);
    if (!parts || numbers.length === 0) return undefined;
    let total = 0;
    for (const number of numbers) {
      const size = parts.get(number);
      if (size === undefined) return undefined;
      total += size;
    }
    return total;
  };

  app.addHook('onSend', (request, reply, payload, done) => {
    try {
      const header = (name: string): string | undefined => {
        const value = reply.getHeader(name);
        return typeof value === 'string' ? value : undefined;
      };
      observe(
        {
          method: request.method,
          routeUrl: request.routeOptions.url,
          params: (request.params ?? {}) as Record<string, string | undefined>,
          query: (request.query ?? {}) as Record<string, string | undefined>,
          headers: request.headers,
          body: request.body,
          ip: request.ip,
        },
        {
          statusCode: reply.statusCode,
          eTag: header('etag'),
          requestId: header('x-amz-request-id'),
          hostId: header('x-amz-id-2'),
        },
        payload,
      );
    } catch (error) {
      onError(error);
    }
    done(null, payload);
  });

  return {
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    get delivered() {
      return delivered;
    },
  };
}

/** Bytes of the object in a PutObject/UploadPart request, when the request tells. */
function uploadedSize(request: RequestView): number | undefined {
  const decoded = headerValue(request.headers, 'x-amz-decoded-content-length');
  if (decoded !== undefined && /^\d+$/.test(decoded)) return Number(decoded);
  if ((headerValue(request.headers, 'content-encoding') ?? '').includes('aws-chunked')) return undefined;
  if (Buffer.isBuffer(request.body)) return request.body.length;
  if (request.body === undefined || request.body === null) return 0;
  return undefined;
}

function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return typeof body === 'string' ? body : '';
}

function headerValue(headers: RequestView['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function xmlValues(xml: string, pattern: RegExp): string[] {
  return [...xml.matchAll(pattern)].map((match) => unescapeXml(match[1] ?? ''));
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
