/** Days (`YYYY-MM-DD`, UTC) grouped into the period the Usage page shows: the day itself, its ISO week, its month. */

export const GRAINS = ['day', 'week', 'month'] as const;
export type Grain = (typeof GRAINS)[number];

/** The first day of the period holding `day` (weeks start on Monday); null (usage without a time) stays null. */
export function periodStart(day: string | null, grain: Grain): string | null {
  if (day === null || grain === 'day') return day;
  if (grain === 'month') return `${day.slice(0, 7)}-01`;
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - weekday);
  return date.toISOString().slice(0, 10);
}

/** The last day of the period starting at `start`. */
export function periodEnd(start: string, grain: Grain): string {
  const date = new Date(`${start}T00:00:00Z`);
  if (grain === 'week') date.setUTCDate(date.getUTCDate() + 6);
  if (grain === 'month') {
    date.setUTCMonth(date.getUTCMonth() + 1);
    date.setUTCDate(0);
  }
  return date.toISOString().slice(0, 10);
}

export function periodLabel(start: string, grain: Grain): string {
  if (grain === 'month') return start.slice(0, 7);
  if (grain === 'week') return `wk ${start.slice(5)}`;
  return start.slice(5);
}

/** `days` days back from `today`, inclusive: the since of a preset. */
export function daysBefore(today: string, days: number): string {
  const date = new Date(`${today}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - (days - 1));
  return date.toISOString().slice(0, 10);
}
