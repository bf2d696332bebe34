import { describe, expect, it } from 'vitest';
import { asTimestamp } from '../../../shared/parsers/values.js';

describe('asTimestamp', () => {
  it.each([
    ['2026-02-23T12:47:42.123Z', '2026-02-23T12:47:42.123Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2000-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['0000-01-01T00:00:00.000Z', null],
    ['2026-02-23T12:47:42Z', '2026-02-23T12:47:42.000Z'],
    ['2026-02-23T14:47:42.123+02:00', '2026-02-23T12:47:42.123Z'],
    ['2026-02-23T14:47:42.123+0200', '2026-02-23T12:47:42.123Z'],
    ['2026-02-23T10:47-02', '2026-02-23T12:47:00.000Z'],
    ['2026-02-23 12:47:42z', '2026-02-23T12:47:42.000Z'],
    // Digits past the millisecond are cut: rounding 23:59:59.9996 up would move the row to the next day.
    ['2026-12-31T23:59:59.999999Z', '2026-12-31T23:59:59.999Z'],
    ['2026-02-23T12:47:42,5Z', '2026-02-23T12:47:42.500Z'],
    // An offset may carry the instant into another day, even another year: that is the instant, not a roll-over.
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2026-03-01T23:00:00-12:00', '2026-03-02T11:00:00.000Z'],
    ['2026-03-01T09:00:00+14:00', '2026-02-28T19:00:00.000Z'],
  ])('%s → %s', (text, expected) => {
    expect(asTimestamp(text)).toBe(expected);
  });

  // Each of these names no instant. Date rolls several of them over into a real day (2026-02-30 → 2026-03-02,
  // 24:00 → the next midnight) or reads them in the machine's time zone; every one must be null.
  it.each([
    '2026-02-30T00:00:00Z', '2026-02-30T00:00:00.000Z', '2026-02-29T12:00:00Z', '2023-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z', '2026-04-31T00:00:00Z', '2026-06-31T00:00:00.000Z', '2026-09-31T10:00:00+02:00',
    '2026-11-31T00:00:00Z', '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-01-00T00:00:00.000Z',
    '2026-01-32T00:00:00Z', '2026-01-01T24:00:00.000Z', '2026-01-01T24:00:00Z', '2026-01-01T25:00:00Z',
    '2026-01-01T23:60:00.000Z', '2026-01-01T23:60:00Z', '2026-01-01T23:00:60.000Z', '2026-01-01T23:00:61Z',
    '2026-01-01T23:00:00.00xZ', '2026-01-01_23:00:00.000Z',
    // Offsets no place uses, or out of range altogether.
    '2026-01-01T00:00:00+14:01', '2026-01-01T00:00:00-12:30', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+05:60',
    '2026-01-01T00:00:00+99:99',
    // No zone: an instant only in some machine's local time.
    '2026-02-23T12:47:42', '2026-02-23T12:47:42.123',
    // Not a date-time.
    '2026-02-23', 'Feb 23 2026', 'Mon, 23 Feb 2026 12:47:42 GMT', '1771850862', '', 'yesterday',
    '+002026-02-23T12:47:42Z', '-000001-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z',
  ])('%s → null', (text) => {
    expect(asTimestamp(text)).toBeNull();
  });

  it('keeps a second 60 only where UTC inserted a leap second, as the last millisecond of that day', () => {
    expect(asTimestamp('2016-12-31T23:59:60Z')).toBe('2016-12-31T23:59:59.999Z');
    expect(asTimestamp('2016-12-31T23:59:60.500Z')).toBe('2016-12-31T23:59:59.999Z');
    expect(asTimestamp('2017-01-01T00:59:60+01:00')).toBe('2016-12-31T23:59:59.999Z');
    expect(asTimestamp('2015-06-30T23:59:60Z')).toBe('2015-06-30T23:59:59.999Z');
    expect(asTimestamp('2026-12-31T23:59:60Z')).toBeNull();
    expect(asTimestamp('2016-12-31T23:58:60Z')).toBeNull();
    expect(asTimestamp('2016-12-31T23:59:60+01:00')).toBeNull();
  });

  it('reads a number as Unix seconds below 10^11 and as milliseconds from 10^11 to 10^14', () => {
    // 1771850862 s and 1771850862123 ms are both 2026-02-23T12:47:42(.123)Z.
    expect(asTimestamp(1771850862)).toBe('2026-02-23T12:47:42.000Z');
    expect(asTimestamp(1771850862.5)).toBe('2026-02-23T12:47:42.500Z');
    expect(asTimestamp(1771850862123)).toBe('2026-02-23T12:47:42.123Z');
    expect(asTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(asTimestamp(99_999_999_999)).toBe('5138-11-16T09:46:39.000Z');
    expect(asTimestamp(100_000_000_000)).toBe('1973-03-03T09:46:40.000Z');
    // Microseconds and nanoseconds are not guessed at.
    expect(asTimestamp(1771850862123456)).toBeNull();
    expect(asTimestamp(1771850862123456789)).toBeNull();
    expect(asTimestamp(Number.NaN)).toBeNull();
    expect(asTimestamp(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('is null for values that are neither text nor a number', () => {
    for (const value of [true, null, undefined, {}, ['2026-02-23T12:47:42Z']]) expect(asTimestamp(value)).toBeNull();
  });
});
