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
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year < MIN_YEAR || year > MAX_YEAR ? null : date.toISOString();
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
  try {
    return { value: JSON.parse(text), unparsed: null };
  } catch {
    return { value: null, unparsed: text };
  }
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
