import type { IncomingHttpHeaders } from 'node:http';
import type pg from 'pg';
import { viewerByEmail } from '../store/viewer-roles.js';

/**
 * Every request reads as its viewer, and row-level security does the rest (docs/security.md, "The dashboard").
 * With an identity header configured, the header's e-mail names a person, whose team's role the connection takes
 * with SET ROLE for the request; without one, the request reads as the login itself and any such header is
 * ignored (a browser could send anything). The role is reset before the connection goes back to the pool, also
 * when the request failed; a connection that cannot be reset is closed instead.
 */

export class AccessError extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
  }
}

export interface Viewer {
  /** What the page header says the request reads as. */
  label: string;
}

export async function asViewer<T>(
  pool: pg.Pool,
  headers: IncomingHttpHeaders,
  identityHeader: string | undefined,
  work: (db: pg.PoolClient, viewer: Viewer) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Statements joined where they can be: each round trip counts on a busy server (bench/web.ts).
    const [, current] = (await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT current_user AS role')) as unknown as [
      unknown,
      pg.QueryResult<{ role: string }>,
    ];
    const viewer = await takeRole(client, headers, identityHeader, current.rows[0]?.role ?? '?');
    const result = await work(client, viewer);
    await client.query('COMMIT; RESET ROLE');
    return result;
  } catch (error) {
    await client.query('ROLLBACK; RESET ROLE').catch((cleanup: unknown) => {
      broken = cleanup as Error;
    });
    throw error;
  } finally {
    // A connection whose role could not be reset is closed, never handed to the next request.
    client.release(broken);
  }
}

async function takeRole(client: pg.PoolClient, headers: IncomingHttpHeaders, identityHeader: string | undefined, login: string): Promise<Viewer> {
  if (identityHeader === undefined) return { label: `database role ${login}` };
  const value = headers[identityHeader.toLowerCase()];
  const email = (Array.isArray(value) ? value[0] : value)?.trim();
  if (email === undefined || email === '') {
    throw new AccessError(401, `No ${identityHeader} header: this dashboard is reached through the proxy that signs people in (docs/security.md).`);
  }
  const identity = await viewerByEmail(client, email);
  if (identity === null) {
    throw new AccessError(403, `${email} is not a person sessionlake knows. An admin adds them with: sessionlake people add <name> --team <team> --email ${email}`);
  }
  if (identity.team === null) {
    throw new AccessError(403, `${email} (${identity.person}) is in no team, so there is nothing they may see. An admin sets it with: sessionlake people add ${identity.person} --team <team>`);
  }
  if (identity.role === null) {
    throw new AccessError(403, `Team ${identity.team} has no database role. An admin makes one with: sessionlake roles --team ${identity.team} --team-role <role> …`);
  }
  await client.query(`SET ROLE ${client.escapeIdentifier(identity.role)}`);
  return { label: `${email} (team ${identity.team})` };
}
