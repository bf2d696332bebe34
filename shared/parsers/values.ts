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

/** A finite, non-negative integer count, or null. */
export function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.trunc(value) : null;
}

export function asBoolean(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** The timestamp normalised to ISO-8601 UTC, or null when it is missing or not a date. */
export function asTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
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
