/**
 * How old transcripts may get (README.md "Retention"): `18mo`, `2y`, `540d`. A month's transcripts go when the
 * whole month is older than that: its last instant lies before `now - age`.
 */

export interface RetentionAge {
  amount: number;
  unit: 'day' | 'month' | 'year';
  /** As given, for messages. */
  text: string;
}

const UNITS: Record<string, RetentionAge['unit']> = {
  d: 'day', day: 'day', days: 'day',
  mo: 'month', month: 'month', months: 'month',
  y: 'year', year: 'year', years: 'year',
};

export function parseRetentionAge(text: string): RetentionAge {
  const match = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match === null ? undefined : UNITS[(match[2] ?? '').toLowerCase()];
  const amount = match === null ? Number.NaN : Number(match[1]);
  if (unit === undefined || !Number.isSafeInteger(amount) || amount < 1) {
    throw new Error(`not an age: "${text}" (a whole number and a unit: 540d, 18mo, 2y)`);
  }
  return { amount, unit, text: text.trim() };
}

/** The instant `age` before `now` (UTC calendar arithmetic; the 31st minus a month is the month's last day). */
export function instantBefore(now: Date, age: RetentionAge): Date {
  if (age.unit === 'day') return new Date(now.getTime() - age.amount * 86_400_000);
  const months = age.unit === 'year' ? age.amount * 12 : age.amount;
  const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1,
    now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(now.getUTCDate(), lastDay));
  return target;
}

/** `YYYY-MM-01` of the months among `months` (each `YYYY-MM-01`) that ended before `now - age`, oldest first. */
export function monthsToDrop(months: readonly string[], now: Date, age: RetentionAge): string[] {
  const limit = instantBefore(now, age).getTime();
  return months
    .filter((month) => {
      const [year, index] = month.split('-').map(Number) as [number, number];
      return Date.UTC(year, index, 1) <= limit; // the first instant of the next month
    })
    .sort();
}
