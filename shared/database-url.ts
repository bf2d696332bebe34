/**
 * Catches a connection string node-postgres would misread. It resolves anything against `postgres://base`,
 * so a typo such as `localhost:5432/db` or `notaurl` fails much later as `getaddrinfo ENOTFOUND base`.
 */

const SCHEMES = ['postgres:', 'postgresql:', 'socket:'];
const EXAMPLE = 'postgres://user:password@host:5432/database';

/** What is wrong with the connection string, or null when node-postgres can use it. */
export function databaseUrlProblem(value: string): string | null {
  // node-postgres' own form for a Unix socket directory: "/var/run/postgresql dbname".
  if (value.startsWith('/')) return null;
  const url = parseLikePg(value);
  if (url === null) return `${quoted(value)} is not a URL (expected ${EXAMPLE})`;
  if (!SCHEMES.includes(url.protocol)) {
    return `${quoted(value)} has the scheme "${url.protocol}", not postgres:// or postgresql:// (expected ${EXAMPLE})`;
  }
  return null;
}

/** The leniencies node-postgres has too: an empty host (`user@/db`, a socket from PGHOST) and unencoded spaces. */
function parseLikePg(value: string): URL | null {
  const withHost = value.replace('@/', '@placeholder/');
  for (const candidate of [withHost, encodeURI(withHost)]) {
    try {
      return new URL(candidate);
    } catch {
      // try the next spelling
    }
  }
  return null;
}

/** The value in quotes, its password (if any) masked: error messages end up in logs. */
function quoted(value: string): string {
  return `"${value.replace(/^([a-z]+:\/\/[^:/@]*):[^/@]*@/i, '$1:***@')}"`;
}
