import { describe, expect, it } from 'vitest';
import { asTimestamp } from '../../../shared/parsers/values.js';

/** What `Date` itself says: the reference the fast path for canonical timestamps must agree with. */
function viaDate(text: string): string | null {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year < 1 || year > 9999 ? null : date.toISOString();
}

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
  ])('%s → %s', (text, expected) => {
    expect(asTimestamp(text)).toBe(expected);
  });

  it('agrees with Date on impossible dates written in the canonical shape', () => {
    const impossible = [
      '2023-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z', '2026-01-00T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:00:60.000Z', '2026-01-01T23:00:00.00xZ', '2026-01-01 23:00:00.000Z',
    ];
    for (const text of impossible) expect(asTimestamp(text), text).toBe(viaDate(text));
  });
});
