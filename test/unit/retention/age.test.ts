import { describe, expect, it } from 'vitest';
import { instantBefore, monthsToDrop, parseRetentionAge } from '../../../shared/retention/age.js';

describe('retention ages', () => {
  it('reads a whole number and a unit, and refuses anything else', () => {
    expect(parseRetentionAge('18mo')).toEqual({ amount: 18, unit: 'month', text: '18mo' });
    expect(parseRetentionAge(' 2y ')).toEqual({ amount: 2, unit: 'year', text: '2y' });
    expect(parseRetentionAge('540d')).toEqual({ amount: 540, unit: 'day', text: '540d' });
    for (const bad of ['18', '18m', '1.5y', '0mo', '-3d', 'mo', '']) expect(() => parseRetentionAge(bad), bad).toThrow(/not an age/);
  });

  it('counts months on the calendar, the 31st going back to a shorter month\'s last day', () => {
    expect(instantBefore(new Date('2026-12-06T07:00:00Z'), parseRetentionAge('18mo')).toISOString()).toBe('2025-06-06T07:00:00.000Z');
    expect(instantBefore(new Date('2026-03-31T00:00:00Z'), parseRetentionAge('1mo')).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(instantBefore(new Date('2026-12-06T00:00:00Z'), parseRetentionAge('2y')).toISOString()).toBe('2024-12-06T00:00:00.000Z');
    expect(instantBefore(new Date('2026-12-06T00:00:00Z'), parseRetentionAge('10d')).toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it('drops a month only once all of it is older than the age', () => {
    const months = ['2025-07-01', '2025-05-01', '2025-06-01', '2026-12-01'];
    // 2026-12-06 minus 18 months is 2025-06-06: May has ended by then, June has not.
    expect(monthsToDrop(months, new Date('2026-12-06T00:00:00Z'), parseRetentionAge('18mo'))).toEqual(['2025-05-01']);
    // On 2026-12-01 at midnight minus 18 months is the first instant of June: May is entirely older.
    expect(monthsToDrop(months, new Date('2026-12-01T00:00:00Z'), parseRetentionAge('18mo'))).toEqual(['2025-05-01']);
    expect(monthsToDrop(months, new Date('2027-01-01T00:00:00Z'), parseRetentionAge('18mo'))).toEqual(['2025-05-01', '2025-06-01']);
  });
});
