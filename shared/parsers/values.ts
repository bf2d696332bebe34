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

/** The timestamp normalised to ISO-8601 UTC, or null when it is missing, not a date, or outside years 1 … 9999. */
export function asTimestamp(value: unknown): string | null {
  if (typeof value === 'string' && isCanonicalUtc(value)) return value;
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year < MIN_YEAR || year > MAX_YEAR ? null : date.toISOString();
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

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
  if (year < MIN_YEAR || month < 1 || month > 12 || day < 1 || digits(text, 20, 23) < 0) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0))) return false;
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
