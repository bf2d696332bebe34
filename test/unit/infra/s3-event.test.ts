import { describe, expect, it } from 'vitest';
import { compareSequencers, decodeObjectKey, decodeSqsBody } from '../../../shared/events/s3-event.js';
import {
  buildS3NotificationRecord,
  createSequencer,
  encodeEventKey,
  isMultipartETag,
  matchesKeyFilter,
  S3EventName,
} from '../../../infra/local/s3-event.js';

describe('encodeEventKey', () => {
  it.each([
    // space → '+', '/' kept
    ['m/raw/claude/-home-me-my project/a b.jsonl', 'm/raw/claude/-home-me-my+project/a+b.jsonl'],
    // '+' itself must be encoded, or it would decode to a space
    ['this im + age blah.txt', 'this+im+%2B+age+blah.txt'],
    ['c++/x+y.jsonl', 'c%2B%2B/x%2By.jsonl'],
    // UTF-8 bytes: ü = C3 BC, ï = C3 AF, ✓ (U+2713) = E2 9C 93
    ['ünï/✓.jsonl', '%C3%BCn%C3%AF/%E2%9C%93.jsonl'],
    // reserved characters seen encoded in real S3 events
    ['logs/dt=2018-05-04/_SUCCESS', 'logs/dt%3D2018-05-04/_SUCCESS'],
    ['test/10:47:07.20151213-1450022300.log.bz2', 'test/10%3A47%3A07.20151213-1450022300.log.bz2'],
    // form encoding leaves only A-Z a-z 0-9 . - _ * alone
    ["file (1)~!'.jsonl", 'file+%281%29%7E%21%27.jsonl'],
    ['a-b_c.d*e/f', 'a-b_c.d*e/f'],
  ])('encodes %j as %j', (key, encoded) => {
    expect(encodeEventKey(key)).toBe(encoded);
  });

  it('round-trips through the ingest decoder for keys with spaces, plus signs, percent signs and unicode', () => {
    const keys = ['m/raw/claude/-p q/ü +%20 ✓ 🙂/s.jsonl', 'a//b/', '%2B+ +'];

    const decoded = keys.map((key) => decodeObjectKey(encodeEventKey(key)));

    expect(decoded).toEqual(keys);
  });
});

describe('createSequencer', () => {
  it('issues strictly increasing fixed-width hex values while the clock stands still or goes back', () => {
    const clock = [1_000, 1_000, 1_000, 999, 5_000, 4_000];
    const next = createSequencer(() => clock.shift() ?? 0);

    const values = Array.from({ length: 6 }, () => next());

    for (let i = 1; i < values.length; i += 1) {
      expect(compareSequencers(values[i - 1] as string, values[i] as string)).toBe(-1);
    }
    expect(values.every((value) => /^[0-9A-F]{18}$/.test(value))).toBe(true);
  });

  it('starts a new bridge above what an earlier one issued when the clock has moved on', () => {
    const earlier = createSequencer(() => 1_700_000_000_000);
    const issued = [earlier(), earlier(), earlier()];
    const later = createSequencer(() => 1_700_000_000_001);

    const first = later();

    expect(compareSequencers(issued[2] as string, first)).toBe(-1);
  });
});

describe('buildS3NotificationRecord', () => {
  const base = {
    bucket: 'raw',
    key: 'm/raw/claude/p q/s.jsonl',
    sequencer: '0001A217D2D5A50000',
    eventTime: new Date('2026-11-26T10:00:00.000Z'),
    region: 'eu-west-1',
  };

  it('writes an ObjectCreated record with the key encoded and the eTag unquoted, which the ingest decoder accepts', () => {
    const record = buildS3NotificationRecord({ ...base, eventName: S3EventName.put, size: 42, eTag: '"b1946ac92492d2347c6235b4d2611184"' });

    const decoded = decodeSqsBody(JSON.stringify({ Records: [record] }));

    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-11-26T10:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: 'raw', arn: 'arn:aws:s3:::raw' },
        object: { key: 'm/raw/claude/p+q/s.jsonl', size: 42, eTag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '0001A217D2D5A50000' },
      },
    });
    expect(decoded).toMatchObject({ kind: 'events', events: [{ key: 'm/raw/claude/p q/s.jsonl', etag: 'b1946ac92492d2347c6235b4d2611184' }] });
  });

  it('writes an ObjectRemoved record with neither size nor eTag, as S3 does', () => {
    const record = buildS3NotificationRecord({ ...base, eventName: S3EventName.delete });

    expect(record.eventName).toBe('ObjectRemoved:Delete');
    expect(Object.keys(record.s3.object).sort()).toEqual(['key', 'sequencer']);
  });
});

describe('key filter and ETag helpers', () => {
  it('matches a key by prefix and suffix like a notification filter rule', () => {
    expect(matchesKeyFilter('m/raw/claude/s.jsonl', { suffix: '.jsonl' })).toBe(true);
    expect(matchesKeyFilter('m/raw/claude/s.jsonl.tmp', { suffix: '.jsonl' })).toBe(false);
    expect(matchesKeyFilter('m/raw/claude/s.jsonl', { prefix: 'm/raw/', suffix: '.jsonl' })).toBe(true);
    expect(matchesKeyFilter('other/s.jsonl', { prefix: 'm/raw/' })).toBe(false);
  });

  it('tells a multipart ETag by its -N part count, quoted or not', () => {
    expect(isMultipartETag('"cf68de87a1b2-2"')).toBe(true);
    expect(isMultipartETag('cf68de87a1b2-12')).toBe(true);
    expect(isMultipartETag('"777c5b6951ba24faf4c4ee990c79ead2"')).toBe(false);
  });
});
