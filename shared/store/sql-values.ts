/** Conversions of parser values to what Postgres accepts. Postgres rejects NUL in text and jsonb. */

const NUL = /\u0000/g;

export function sqlText(value: string | null): string | null {
  return value === null ? null : value.replace(NUL, '');
}

/** JSON text for a jsonb parameter, with NUL removed from every string and key; null stays SQL NULL. */
export function sqlJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.replace(NUL, '') : item))
    .replace(/\\u0000/g, (match, offset: number, whole: string) => (isEscaped(whole, offset) ? match : ''));
}

/** True when the backslash at `offset` is itself escaped (preceded by an odd number of backslashes). */
function isEscaped(text: string, offset: number): boolean {
  let backslashes = 0;
  for (let index = offset - 1; index >= 0 && text[index] === '\\'; index -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}
