import { encodeObjectKey } from '../../shared/events/s3-event.js';

/**
 * AWS-shaped S3 event notification records, as S3 sends them to SQS (pure: no I/O, no clock).
 * Shape per https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

export const S3EventName = {
  put: 'ObjectCreated:Put',
  copy: 'ObjectCreated:Copy',
  completeMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
  delete: 'ObjectRemoved:Delete',
} as const;
export type S3EventName = (typeof S3EventName)[keyof typeof S3EventName];

export interface S3NotificationRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: S3EventName;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    /** Removal events carry neither size nor eTag. */
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

export interface S3NotificationBody {
  Records: S3NotificationRecord[];
}

export interface ObjectChange {
  eventName: S3EventName;
  bucket: string;
  /** The object key as stored (decoded). */
  key: string;
  /** Required for ObjectCreated events. */
  size?: number;
  /** Either form; the record carries it without quotes. */
  eTag?: string;
  sequencer: string;
  eventTime: Date;
  region: string;
  sourceIp?: string;
  requestId?: string;
  hostId?: string;
  configurationId?: string;
}

const LOCAL_PRINCIPAL = 'A1SESSIONLAKELOCAL';

export function buildS3NotificationRecord(change: ObjectChange): S3NotificationRecord {
  const object: S3NotificationRecord['s3']['object'] = { key: encodeEventKey(change.key), sequencer: change.sequencer };
  if (change.eventName !== S3EventName.delete) {
    object.size = change.size ?? 0;
    object.eTag = unquoteETag(change.eTag ?? '');
  }
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: change.region,
    eventTime: change.eventTime.toISOString(),
    eventName: change.eventName,
    userIdentity: { principalId: LOCAL_PRINCIPAL },
    requestParameters: { sourceIPAddress: change.sourceIp ?? '127.0.0.1' },
    responseElements: { 'x-amz-request-id': change.requestId ?? '', 'x-amz-id-2': change.hostId ?? '' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: change.configurationId ?? 'sessionlake-local',
      bucket: { name: change.bucket, ownerIdentity: { principalId: LOCAL_PRINCIPAL }, arn: `arn:aws:s3:::${change.bucket}` },
      object,
    },
  };
}

/** The key as S3 writes it into events (form-encoded per path segment); shared with the backfill. */
export const encodeEventKey = encodeObjectKey;

export function unquoteETag(eTag: string): string {
  return eTag.replace(/^"(.*)"$/, '$1');
}

/** A multipart upload's ETag is `<hex>-<part count>`. */
export function isMultipartETag(eTag: string): boolean {
  return /-\d+$/.test(unquoteETag(eTag));
}

/**
 * Sequencers for one bridge: uppercase hex of fixed width, strictly increasing, and seeded from the
 * clock so that a restarted bridge continues above the values it issued before (the store keeps the
 * highest sequencer per object and ignores lower ones).
 */
export function createSequencer(now: () => number = Date.now): () => string {
  let last = 0n;
  return () => {
    const fromClock = BigInt(now()) << 16n;
    last = fromClock > last ? fromClock : last + 1n;
    return last.toString(16).toUpperCase().padStart(SEQUENCER_WIDTH, '0');
  };
}

const SEQUENCER_WIDTH = 18;

export interface KeyFilter {
  prefix?: string;
  suffix?: string;
}

/** S3 notification filter rules: a plain prefix and suffix match on the (decoded) key. */
export function matchesKeyFilter(key: string, filter: KeyFilter): boolean {
  return key.startsWith(filter.prefix ?? '') && key.endsWith(filter.suffix ?? '');
}
