/** Conversions of parser values to what Postgres accepts. Postgres rejects NUL in text and jsonb. */

const NUL = /\u0000/g;

export function sqlText(value: string | null): string | null {
  return value === null ? null : value.replace(NUL, '');
}

/**
 * Deepest nesting stored as jsonb. Deeper values (a log line can nest 100 000 arrays) would overflow the
 * recursion of JSON.stringify and of Postgres's jsonb parser; they are stored as NULL and counted instead.
 */
export const MAX_JSON_DEPTH = 512;

export class JsonTooDeepError extends Error {
  override readonly name = 'JsonTooDeepError';
}

/** JSON text for a jsonb parameter, with NUL removed from every string and key; null stays SQL NULL. */
export function sqlJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new JsonTooDeepError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.replace(NUL, '') : item))
    .replace(/\\u0000/g, (match, offset: number, whole: string) => (isEscaped(whole, offset) ? match : ''));
}

/** True when the backslash at `offset` is itself escaped (preceded by an odd number of backslashes). */
function isEscaped(text: string, offset: number): boolean {
  let backslashes = 0;
  for (let index = offset - 1; index >= 0 && text[index] === '\\'; index -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}

/** Whether `value` nests more than `limit` arrays/objects deep; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 0 }];
  while (stack.length > 0) {
    const { item, depth } = stack.pop() as { item: unknown; depth: number };
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push({ item: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * A value as SQL text, for a simple query (which takes no parameters; `escape`: the client's escapeLiteral):
 * null, booleans, finite numbers, strings, dates, byte buffers and arrays of these.
 */
export function sqlLiteral(value: unknown, escape: (text: string) => string): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return escape(value);
  if (value instanceof Date) return escape(value.toISOString());
  if (Buffer.isBuffer(value)) return `decode('${value.toString('hex')}', 'hex')`;
  if (Array.isArray(value)) return `ARRAY[${value.map((item) => sqlLiteral(item, escape)).join(', ')}]`;
  throw new Error(`no SQL literal for ${typeof value}`);
}

/** A statement's `$n` parameters replaced by their values as literals (the statement holds no `$` of its own). */
export function inlineParameters(sql: string, values: readonly unknown[], escape: (text: string) => string): string {
  return sql.replace(/\$(\d+)\b/g, (_, index: string) => {
    const position = Number(index) - 1;
    if (position < 0 || position >= values.length) throw new Error(`no value for $${index}`);
    return sqlLiteral(values[position], escape);
  });
}
