import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../shared/events/errors.js';
import { compareSequencers, decodeObjectKey, decodeSqsBody, normalizeEtag } from '../../../shared/events/s3-event.js';

function s3Record(overrides: Record<string, unknown> = {}, object: Record<string, unknown> = {}) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    eventTime: '2026-11-26T10:00:00.000Z',
    s3: {
      bucket: { name: 'logs' },
      object: { key: 'laptop/raw/claude/p/s.jsonl', size: 10, eTag: 'abc123', sequencer: '0055AED6DCD90281E5', ...object },
    },
    ...overrides,
  };
}

describe('decodeSqsBody', () => {
  it("decodes moto's records: no sequencer (no ordering information, not an error), every '/' of the key encoded", () => {
    // As moto 5.2 sends them (moto/s3/notifications.py: quote_plus of the whole key, no sequencer, eventTime without zone).
    const record = {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-12-06T00:10:21.699334',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'sessionlake-sessions-created',
        bucket: { name: 'acme-agent-logs', arn: 'arn:aws:s3:::acme-agent-logs' },
        object: { key: 'team-a%2Flaptop%2Fraw%2Fclaude%2F-tmp%2Fa+b.jsonl', size: 1342, eTag: 'd41d8cd98f00b204e9800998ecf8427e' },
      },
    };

    const decoded = decodeSqsBody(JSON.stringify({ Records: [record] }));

    expect(decoded).toEqual({
      kind: 'events',
      events: [
        {
          action: 'created',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-12-06T00:10:21.699334',
          bucket: 'acme-agent-logs',
          key: 'team-a/laptop/raw/claude/-tmp/a b.jsonl',
          size: 1342,
          etag: 'd41d8cd98f00b204e9800998ecf8427e',
          sequencer: null,
          verify: false,
        },
      ],
    });
  });

  it('decodes an ObjectCreated record with a form-encoded key and unquoted eTag', () => {
    const body = JSON.stringify({ Records: [s3Record({}, { key: 'm/raw/claude/my+proj/%C3%BC%2Bx.jsonl' })] });

    const decoded = decodeSqsBody(body);

    expect(decoded).toEqual({
      kind: 'events',
      events: [
        {
          action: 'created',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-11-26T10:00:00.000Z',
          bucket: 'logs',
          key: 'm/raw/claude/my proj/ü+x.jsonl',
          size: 10,
          etag: 'abc123',
          sequencer: '0055AED6DCD90281E5',
          verify: false,
        },
      ],
    });
  });

  it('reads a verification request from the backfill\'s configuration id, and only on a created record', () => {
    const verify = { s3: { ...s3Record().s3, configurationId: 'sessionlake-backfill-verify' } };
    const body = JSON.stringify({
      Records: [
        s3Record(verify),
        s3Record({ s3: { ...s3Record().s3, configurationId: 'sessionlake-backfill-changed' } }),
        s3Record({ ...verify, eventName: 'ObjectRemoved:Delete' }),
      ],
    });

    const decoded = decodeSqsBody(body);

    expect(decoded.kind === 'events' && decoded.events.map((event) => event.verify)).toEqual([true, false, false]);
  });

  it('acknowledges s3:TestEvent bodies', () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'logs' });

    expect(decodeSqsBody(body)).toEqual({ kind: 'test-event' });
  });

  it('marks ObjectRemoved records as removals without an ETag', () => {
    const body = JSON.stringify({ Records: [s3Record({ eventName: 'ObjectRemoved:Delete' }, { eTag: undefined })] });

    const decoded = decodeSqsBody(body);

    expect(decoded.kind === 'events' && decoded.events[0]?.action).toBe('removed');
    expect(decoded.kind === 'events' && decoded.events[0]?.etag).toBeNull();
  });

  it.each([
    ['not JSON', 'this is not json', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['no Records', '{"hello":"world"}', /no Records/],
    ['eventVersion 1.0', JSON.stringify({ Records: [s3Record({ eventVersion: '1.0' })] }), /unsupported eventVersion/],
    ['no key', JSON.stringify({ Records: [s3Record({}, { key: '' })] }), /no s3.object.key/],
    ['bad percent encoding', JSON.stringify({ Records: [s3Record({}, { key: 'a%E0%A4%A' })] }), /not valid URL encoding/],
  ])('rejects %s with an InvalidEventError that says why', (_name, body, message) => {
    expect(() => decodeSqsBody(body)).toThrow(InvalidEventError);
    expect(() => decodeSqsBody(body)).toThrow(message);
  });
});

describe('decodeObjectKey', () => {
  it('treats + as space and %2B as plus', () => {
    expect(decodeObjectKey('a+b%2Bc')).toBe('a b+c');
  });
});

describe('normalizeEtag', () => {
  it('strips the quotes the S3 API adds, keeping multipart suffixes', () => {
    expect(normalizeEtag('"cf68de87aa-2"')).toBe('cf68de87aa-2');
    expect(normalizeEtag('cf68de87aa')).toBe('cf68de87aa');
  });
});

describe('compareSequencers', () => {
  it('left-pads the shorter sequencer before comparing', () => {
    expect(compareSequencers('0A', 'B')).toBeLessThan(0);
    expect(compareSequencers('FF', '0100')).toBeLessThan(0);
    expect(compareSequencers('0100', 'FF')).toBeGreaterThan(0);
    expect(compareSequencers('00ab', 'AB')).toBe(0);
  });
});
