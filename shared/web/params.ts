/** Reading a page's filters from its query string; a value that makes no sense is a 400 with the reason. */

export class BadRequest extends Error {}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function text(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function day(url: URL, name: string): string | undefined {
  const value = text(url, name);
  if (value === undefined) return undefined;
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new BadRequest(`${name} must be a day as YYYY-MM-DD, got "${value}"`);
  return value;
}

export function choice<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const value = text(url, name);
  if (value === undefined) return fallback;
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new BadRequest(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

export function pageNumber(url: URL, name = 'page'): number {
  const value = text(url, name);
  if (value === undefined) return 0;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 1_000_000) throw new BadRequest(`${name} must be a whole number ≥ 0, got "${value}"`);
  return number;
}
