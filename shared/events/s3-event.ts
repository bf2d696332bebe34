import { InvalidEventError } from './errors.js';

/**
 * Decoding of S3 event notifications as they arrive in an SQS message body.
 * AWS semantics: body `{"Records":[...]}`, eventVersion 2.x, keys form-URL-encoded, eTag unquoted,
 * `s3:TestEvent` bodies without Records. See DESIGN.md §3.
 */

export interface ObjectEvent {
  action: 'created' | 'removed';
  eventName: string;
  eventTime: string | null;
  bucket: string;
  /** Decoded key, exactly as S3 stores it. */
  key: string;
  size: number | null;
  /** Canonical form: no quotes. Null for removals. */
  etag: string | null;
  sequencer: string | null;
  /** Sent by the backfill to have the stored rows of this version checked (VERIFY_CONFIGURATION_ID). */
  verify: boolean;
}

/**
 * The notification configuration id the scheduled backfill gives the messages that ask for a verification of
 * delta-ingested rows (shared/backfill/actions.ts). An S3 notification of this name would only cost a re-read.
 */
export const VERIFY_CONFIGURATION_ID = 'sessionlake-backfill-verify';

export type DecodedBody = { kind: 'test-event' } | { kind: 'events'; events: ObjectEvent[] };

export function decodeSqsBody(body: string): DecodedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidEventError('message body is not JSON');
  }
  if (!isObject(parsed)) throw new InvalidEventError('message body is not a JSON object');
  if (parsed['Event'] === 's3:TestEvent' && parsed['Records'] === undefined) return { kind: 'test-event' };
  const records = parsed['Records'];
  if (!Array.isArray(records)) throw new InvalidEventError('message body has no Records array (not an S3 notification)');
  return { kind: 'events', events: records.map((record, index) => decodeRecord(record, index)) };
}

function decodeRecord(record: unknown, index: number): ObjectEvent {
  const where = `Records[${index}]`;
  if (!isObject(record)) throw new InvalidEventError(`${where} is not an object`);
  const version = record['eventVersion'];
  if (typeof version !== 'string' || !/^2\.\d+$/.test(version)) {
    throw new InvalidEventError(`${where} has unsupported eventVersion ${JSON.stringify(version)} (2.x expected)`);
  }
  const eventName = record['eventName'];
  if (typeof eventName !== 'string') throw new InvalidEventError(`${where} has no eventName`);
  const action = eventName.startsWith('ObjectCreated:')
    ? 'created'
    : eventName.startsWith('ObjectRemoved:') || eventName.startsWith('LifecycleExpiration:')
      ? 'removed'
      : null;
  if (action === null) throw new InvalidEventError(`${where} has unsupported eventName ${eventName}`);
  const s3 = record['s3'];
  const bucket = isObject(s3) && isObject(s3['bucket']) ? s3['bucket']['name'] : undefined;
  const object = isObject(s3) && isObject(s3['object']) ? s3['object'] : undefined;
  const rawKey = object?.['key'];
  if (typeof bucket !== 'string' || bucket === '') throw new InvalidEventError(`${where} has no s3.bucket.name`);
  if (typeof rawKey !== 'string' || rawKey === '') throw new InvalidEventError(`${where} has no s3.object.key`);
  const etag = object?.['eTag'];
  const size = object?.['size'];
  const sequencer = object?.['sequencer'];
  const eventTime = record['eventTime'];
  const configurationId = isObject(s3) ? s3['configurationId'] : undefined;
  return {
    action,
    eventName,
    eventTime: typeof eventTime === 'string' ? eventTime : null,
    bucket,
    key: decodeObjectKey(rawKey),
    size: typeof size === 'number' && Number.isFinite(size) ? size : null,
    etag: action === 'created' && typeof etag === 'string' && etag !== '' ? normalizeEtag(etag) : null,
    sequencer: typeof sequencer === 'string' && /^[0-9A-Fa-f]+$/.test(sequencer) ? sequencer.toUpperCase() : null,
    verify: action === 'created' && configurationId === VERIFY_CONFIGURATION_ID,
  };
}

/** S3 encodes keys in events form-style: `+` is a space, `%2B` a plus. */
export function decodeObjectKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new InvalidEventError(`s3.object.key is not valid URL encoding: ${key}`);
  }
}

/**
 * The key as S3 writes it into events: form-URL-encoding (space → `+`, UTF-8 bytes as `%XX`, only
 * `A-Z a-z 0-9 . - _ *` left as they are) applied to each path segment, so `/` stays. The inverse of
 * `decodeObjectKey`.
 */
export function encodeObjectKey(key: string): string {
  return key.split('/').map(encodeKeySegment).join('/');
}

function encodeKeySegment(segment: string): string {
  return encodeURIComponent(segment)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The API returns ETags quoted, events unquoted; we store one form, unquoted. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

/**
 * Orders two sequencers of the same key: negative when `a` happened first.
 * Sequencers are hex strings of varying length: left-pad the shorter with zeros, then compare as strings.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padStart(width, '0');
  const right = b.toUpperCase().padStart(width, '0');
  return left < right ? -1 : left > right ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
