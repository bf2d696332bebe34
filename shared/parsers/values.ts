/** Small, total readers for untyped JSON values. Shared by every parser. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A non-empty string, or null. */
export function asText(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * A count Postgres can store and JavaScript holds exactly: a whole number in 0 … 2^53−1, or null.
 * A fraction (`1.5`) or an out-of-range value (`1e20`) is not a count, not one to round or clamp.
 */
export function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export function asBoolean(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** Years a timestamp may have: Postgres has no year 0, and ISO strings past 9999 need a sign it rejects. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/**
 * The timestamp normalised to ISO-8601 UTC (`YYYY-MM-DDTHH:MM:SS.sssZ`), or null when it is missing, not a real
 * instant, or outside years 1 … 9999. Nothing is rolled over: `2026-02-30`, hour 24, minute 60 or an offset
 * beyond ±14:00 is null, never the nearest date `Date` would make of it (README "Timestamps" has the rules).
 *
 * - Text: an RFC 3339 date-time, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or an offset `±HH[:MM]` (the `T`
 *   may be a space or `t`). Without a zone it names no instant, so it is null; so is any other form.
 *   Fractions past milliseconds are cut, not rounded (rounding can carry into the next day).
 *   Second 60 is kept only for the 27 leap seconds UTC has inserted (23:59:60 UTC on the dates below), and
 *   stored as 23:59:59.999 of that day: Postgres would roll it into the next day.
 * - Number: Unix time, read by magnitude. Below 10^11 it is seconds (10^11 s is the year 5138; 10^11 ms would
 *   be 1973-03-03, before any agent log); from 10^11 up to 10^14 it is milliseconds (10^14 ms is 5138 again);
 *   larger values (micro- or nanoseconds, or garbage) are null rather than guessed.
 */
export function asTimestamp(value: unknown): string | null {
  if (typeof value === 'string') return isCanonicalUtc(value) ? value : parseDateTime(value);
  if (typeof value === 'number') return fromUnixNumber(value);
  return null;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const SECONDS_BELOW = 1e11;
const MILLISECONDS_BELOW = 1e14;

function fromUnixNumber(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  const magnitude = Math.abs(value);
  if (magnitude >= MILLISECONDS_BELOW) return null;
  const millis = Math.floor(magnitude < SECONDS_BELOW ? value * 1000 : value);
  return inYearRange(new Date(millis));
}

function inYearRange(date: Date): string | null {
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year < MIN_YEAR || year > MAX_YEAR ? null : date.toISOString();
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
/** The widest offsets in use: UTC−12:00 and UTC+14:00. */
const MIN_OFFSET_MINUTES = -12 * 60;
const MAX_OFFSET_MINUTES = 14 * 60;

/** A non-canonical RFC 3339 date-time, checked field by field; null for anything that is not a real instant. */
function parseDateTime(text: string): string | null {
  const match = DATE_TIME.exec(text);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction, , sign, offsetHours, offsetMinutes] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!isRealDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return null;
  let offset = 0;
  if (sign !== undefined) {
    const oh = Number(offsetHours);
    const om = offsetMinutes === undefined ? 0 : Number(offsetMinutes);
    if (oh > 23 || om > 59) return null;
    offset = (sign === '-' ? -1 : 1) * (oh * 60 + om);
    if (offset < MIN_OFFSET_MINUTES || offset > MAX_OFFSET_MINUTES) return null;
  }
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  // Set field by field: Date.UTC maps years 0 … 99 to 1900 … 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offset, Math.min(second, 59), second === 60 ? 999 : millis);
  if (second === 60 && !isLeapSecond(date)) return null;
  return inYearRange(date);
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < MIN_YEAR || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

/** UTC days whose last minute had a 61st second (IERS Bulletin C; none announced after 2016). */
const LEAP_SECOND_DAYS = new Set([
  '1972-06-30', '1972-12-31', '1973-12-31', '1974-12-31', '1975-12-31', '1976-12-31', '1977-12-31', '1978-12-31',
  '1979-12-31', '1981-06-30', '1982-06-30', '1983-06-30', '1985-06-30', '1987-12-31', '1989-12-31', '1990-12-31',
  '1992-06-30', '1993-06-30', '1994-06-30', '1995-12-31', '1997-06-30', '1998-12-31', '2005-12-31', '2008-12-31',
  '2012-06-30', '2015-06-30', '2016-12-31',
]);

/** `date` is 23:59:59.999 UTC (where a second 60 was put) on a day that had a leap second. */
function isLeapSecond(date: Date): boolean {
  const iso = date.toISOString();
  return iso.endsWith('T23:59:59.999Z') && LEAP_SECOND_DAYS.has(iso.slice(0, 10));
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant in years 1 … 9999: exactly what `toISOString()` would give
 * back for it, so it is returned as is. Both agents write their timestamps this way; checking the digits costs
 * far less than building a Date and formatting it again (the bench showed that pair as a large share of parsing).
 */
function isCanonicalUtc(text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(23) !== 0x5a /* Z */) return false;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.') return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (digits(text, 20, 23) < 0 || !isRealDate(year, month, day)) return false;
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** The decimal number written in text[from, to), or -1 when a character there is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let at = from; at < to; at += 1) {
    const digit = text.charCodeAt(at) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Earlier/later of two ISO timestamps (either may be null). ISO UTC strings order lexically. */
export function minTimestamp(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b < a ? b : a;
}

export function maxTimestamp(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b > a ? b : a;
}

/** Parses text that should hold JSON; returns the text itself alongside when it does not parse. */
export function parseJsonText(text: string): { value: unknown; unparsed: string | null } {
  // A failed JSON.parse throws, and throwing costs more than parsing: text that visibly is not JSON skips it.
  if (!mayBeJson(text)) return { value: null, unparsed: text };
  try {
    return { value: JSON.parse(text), unparsed: null };
  } catch {
    return { value: null, unparsed: text };
  }
}

const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** Characters a JSON value can start with: `{ [ " - 0-9 t f n`. */
const VALUE_START = /[{["\-0-9tfn]/;

function nextSignificant(text: string, from: number): number {
  let at = from;
  while (at < text.length && JSON_WHITESPACE.has(text.charCodeAt(at))) at += 1;
  return at;
}

/**
 * False only for text JSON.parse is certain to reject: nothing but whitespace, a first character no JSON value
 * starts with, or an object or array whose first member cannot start there (`[REDACTED …]`, `{oops}`).
 */
function mayBeJson(text: string): boolean {
  const first = nextSignificant(text, 0);
  const open = text[first];
  if (open === undefined || !VALUE_START.test(open)) return false;
  if (open !== '{' && open !== '[') return true;
  const second = text[nextSignificant(text, first + 1)];
  if (second === undefined) return false;
  return open === '{' ? second === '"' || second === '}' : second === ']' || VALUE_START.test(second);
}

/** Last segment of a POSIX or Windows path (a session's project is the basename of its cwd). */
export function pathBasename(path: string | null): string | null {
  if (path === null) return null;
  const segments = path.split(/[\\/]+/u).filter((segment) => segment !== '');
  return segments[segments.length - 1] ?? null;
}

/** The key with the highest count; on a tie the one counted first (Map keeps insertion order). */
export function mostFrequent(tally: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [key, count] of tally) {
    if (count > bestCount) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}
