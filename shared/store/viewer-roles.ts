import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * Whom an e-mail address names and which database role their team reads as: people.email (migration 018) → the
 * person's team → that team's role in access_roles. Read as the dashboard's own login, so row-level security
 * decides which people it can name (docs/security.md, "The dashboard").
 */
export interface ViewerIdentity {
  person: string;
  team: string | null;
  /** The team's role; null when the team has none (or the person no team). */
  role: string | null;
}

export async function viewerByEmail(db: Pick<pg.PoolClient, 'query'>, email: string): Promise<ViewerIdentity | null> {
  const { rows } = await db.query<{ person: string; team: string | null; role: string | null }>(
    `SELECT p.person, p.team,
            (SELECT a.role_name FROM ${SCHEMA}.access_roles a
              WHERE a.access = 'team' AND a.team = p.team ORDER BY a.role_name LIMIT 1) AS role
       FROM ${SCHEMA}.people p
      WHERE lower(p.email) = lower($1)
      ORDER BY p.email = $1 DESC, p.person
      LIMIT 1`,
    [email],
  );
  const row = rows[0];
  return row === undefined ? null : { person: row.person, team: row.team, role: row.role };
}
