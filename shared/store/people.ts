import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * People, their teams, and whose each machine is (migration 018; README "Set up your org"). Ownership says whom
 * a session's cost counts to; who may see a machine's rows is the team bindings of shared/store/roles.ts.
 */

export interface PersonInput {
  person: string;
  /** Left as it is when undefined; null clears it. */
  team?: string | null;
  email?: string | null;
}

/** Machines named exactly (`gpu_1` is that machine only) and LIKE patterns (`gpu-%`). */
export interface MachineNames {
  machines: string[];
  machinePatterns: string[];
}

export type MachineOwner = { person: string } | { team: string };

export interface PersonRow {
  person: string;
  team: string | null;
  email: string | null;
  machines: string[];
  machinePatterns: string[];
}

export interface AttributionRow {
  machine: string;
  person: string | null;
  personSource: 'binding' | 'key' | 'logs' | null;
  team: string | null;
  teamSource: 'person' | 'machine' | null;
  sessions: number;
}

export interface BindingChange {
  match: 'exact' | 'like';
  machine: string;
  /** Who owned it before (a person or `team <name>`), when someone else did. */
  previous: string | null;
}

export async function upsertPerson(pool: pg.Pool, input: PersonInput): Promise<void> {
  await pool.query(
    `INSERT INTO ${SCHEMA}.people (person, team, email) VALUES ($1, $2, $3)
     ON CONFLICT (person) DO UPDATE SET
       team = CASE WHEN $4 THEN EXCLUDED.team ELSE people.team END,
       email = CASE WHEN $5 THEN EXCLUDED.email ELSE people.email END`,
    [input.person, input.team ?? null, input.email ?? null, input.team !== undefined, input.email !== undefined],
  );
}

/** Binds each machine to the owner, taking it from whoever owned it before (returned, to be told). */
export async function bindMachines(pool: pg.Pool, owner: MachineOwner, names: MachineNames): Promise<BindingChange[]> {
  const rows = [
    ...names.machines.map((machine) => ({ match: 'exact' as const, machine })),
    ...names.machinePatterns.map((machine) => ({ match: 'like' as const, machine })),
  ];
  const person = 'person' in owner ? owner.person : null;
  const team = 'team' in owner ? owner.team : null;
  const changes: BindingChange[] = [];
  for (const { match, machine } of rows) {
    const result = await pool.query<{ previous: string | null }>(
      `WITH old AS (SELECT person, team FROM ${SCHEMA}.machine_owners WHERE match = $1 AND machine = $2)
       , upsert AS (
         INSERT INTO ${SCHEMA}.machine_owners (match, machine, person, team) VALUES ($1, $2, $3, $4)
         ON CONFLICT (match, machine) DO UPDATE SET person = EXCLUDED.person, team = EXCLUDED.team)
       SELECT CASE WHEN old.person IS NOT NULL THEN old.person ELSE 'team ' || old.team END AS previous
         FROM old WHERE old.person IS DISTINCT FROM $3 OR old.team IS DISTINCT FROM $4`,
      [match, machine, person, team],
    );
    changes.push({ match, machine, previous: result.rows[0]?.previous ?? null });
  }
  return changes;
}

/** How many bindings were removed. */
export async function unbindMachines(pool: pg.Pool, names: MachineNames): Promise<number> {
  const result = await pool.query(
    `DELETE FROM ${SCHEMA}.machine_owners
      WHERE (match = 'exact' AND machine = ANY ($1::text[])) OR (match = 'like' AND machine = ANY ($2::text[]))`,
    [names.machines, names.machinePatterns],
  );
  return result.rowCount ?? 0;
}

/** Whether the person existed (their machine bindings go with them). */
export async function removePerson(pool: pg.Pool, person: string): Promise<boolean> {
  const result = await pool.query(`DELETE FROM ${SCHEMA}.people WHERE person = $1`, [person]);
  return (result.rowCount ?? 0) > 0;
}

export async function listPeople(pool: pg.Pool): Promise<PersonRow[]> {
  const result = await pool.query<PersonRow>(
    `SELECT p.person, p.team, p.email,
            coalesce(array_agg(o.machine ORDER BY o.machine) FILTER (WHERE o.match = 'exact'), '{}') AS machines,
            coalesce(array_agg(o.machine ORDER BY o.machine) FILTER (WHERE o.match = 'like'), '{}') AS "machinePatterns"
       FROM ${SCHEMA}.people p LEFT JOIN ${SCHEMA}.machine_owners o ON o.person = p.person
      GROUP BY p.person ORDER BY p.person`,
  );
  return result.rows;
}

/** Team-owned machines: bindings without a person. */
export async function listTeamMachines(pool: pg.Pool): Promise<Array<{ team: string; match: 'exact' | 'like'; machine: string }>> {
  const result = await pool.query<{ team: string; match: 'exact' | 'like'; machine: string }>(
    `SELECT team, match, machine FROM ${SCHEMA}.machine_owners WHERE person IS NULL ORDER BY team, match, machine`,
  );
  return result.rows;
}

/** Whom each machine's sessions count to, and by which route (the sessions the caller may see). */
export async function attribution(pool: pg.Pool): Promise<AttributionRow[]> {
  const result = await pool.query<AttributionRow>(
    `SELECT machine, person, person_source AS "personSource", team, team_source AS "teamSource",
            count(*)::int AS sessions
       FROM ${SCHEMA}.session_people
      GROUP BY machine, person, person_source, team, team_source
      ORDER BY machine, person NULLS LAST`,
  );
  return result.rows;
}
