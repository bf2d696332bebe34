import pg from 'pg';
import { SCHEMA } from './schema.js';
import { scramSha256Verifier } from './scram.js';

/**
 * The database roles of docs/security.md. Roles are cluster-wide, so their names are the installer's choice;
 * each is created NOLOGIN when missing (grant it to login roles), granted what it needs in the schema, and
 * recorded in access_roles, which the row-level security policies of migrations 005 and 007 read.
 *
 * - writer: what the ingest and backfill write path runs, and nothing more (no DDL, no TRUNCATE).
 * - analyst: SELECT on the schema's tables and views (also those created later by the same owner); on its own it
 *   sees no session rows: a team role (a member of it) sees its team's machines, the admin role sees all.
 */

export interface RoleNames {
  writer: string;
  analyst: string;
  admin: string;
}

export interface TeamBinding {
  team: string;
  role: string;
  /** Exact machine names: compared with `=`, so `gpu_1` is that machine only. */
  machines: string[];
  /** `LIKE` patterns (`gpu-%`), asked for explicitly: `_` and `%` are wildcards, a backslash escapes. */
  machinePatterns?: string[];
  /** People whose sessions the team sees from any machine (migration 018; README "Set up your org"). */
  people?: string[];
}

// What the write path does, table by table (SELECT too: ON CONFLICT, FOR UPDATE and WHERE clauses read rows).
const WRITER_GRANTS: Record<string, string> = {
  objects: 'SELECT, INSERT, UPDATE',
  sessions: 'SELECT, INSERT, UPDATE',
  // UPDATE: a delta moves a response's tokens to a later line of it (delta ingest).
  messages: 'SELECT, INSERT, UPDATE, DELETE',
  tool_calls: 'SELECT, INSERT, UPDATE, DELETE',
  secret_findings: 'SELECT, INSERT, DELETE',
  message_failures: 'SELECT, INSERT, UPDATE',
  backfill_runs: 'SELECT, INSERT, UPDATE',
  backfill_leases: 'SELECT, INSERT, UPDATE, DELETE',
  session_link_locks: 'SELECT, INSERT, UPDATE',
  object_checkpoints: 'SELECT, INSERT, UPDATE, DELETE',
  ingested_ranges: 'SELECT, INSERT, UPDATE, DELETE',
  // The follow-up step after an object's transaction writes these; a changed or deleted tool call deletes its row.
  tool_call_search: 'SELECT, INSERT, DELETE',
  // The scheduled function checks the budgets after each pass (migration 020): it reads their status, which
  // reads the usage views, and records the alerts it sends.
  budgets: 'SELECT',
  alerts_sent: 'SELECT, INSERT',
  budget_status: 'SELECT',
  billed_responses: 'SELECT',
  project_names: 'SELECT',
  usage: 'SELECT',
  session_people: 'SELECT',
  session_projects: 'SELECT',
  model_prices: 'SELECT',
  model_aliases: 'SELECT',
  model_price_periods: 'SELECT',
  people: 'SELECT',
  // The scheduled function's retention pass (migration 027) reads what was dropped.
  transcript_retention: 'SELECT',
};
// Functions only the write path runs (migrations 011, 027 and 031 revoke them from PUBLIC): search rows, and the
// scheduled function's transcript partitions (created, dropped, restored as the owner).
const WRITER_FUNCTIONS = [
  'index_tool_call_search(text[])', 'index_tool_call_search(text[], integer[])', 'transcript_months()', 'ensure_transcript_partitions(integer, interval)',
  'transcript_month_unsettled(date)', 'drop_transcript_month(date, interval)', 'begin_transcript_restore(date)',
  'finish_transcript_restore(text[])',
];
const WRITER_SEQUENCES = ['backfill_runs_id_seq', 'secret_findings_id_seq'];

export async function installRoles(pool: pg.Pool, names: RoleNames): Promise<void> {
  await inTransaction(pool, async (client) => {
    const id = (name: string) => client.escapeIdentifier(name);
    for (const name of [names.writer, names.analyst, names.admin]) await createRole(client, name);
    await client.query(`GRANT USAGE ON SCHEMA ${SCHEMA} TO ${id(names.writer)}, ${id(names.analyst)}`);
    for (const [table, privileges] of Object.entries(WRITER_GRANTS)) {
      await client.query(`GRANT ${privileges} ON ${SCHEMA}.${table} TO ${id(names.writer)}`);
    }
    for (const fn of WRITER_FUNCTIONS) await client.query(`GRANT EXECUTE ON FUNCTION ${SCHEMA}.${fn} TO ${id(names.writer)}`);
    for (const sequence of WRITER_SEQUENCES) await client.query(`GRANT USAGE ON SEQUENCE ${SCHEMA}.${sequence} TO ${id(names.writer)}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${SCHEMA} TO ${id(names.analyst)}`);
    // Views added by later migrations (run by the same owner) are readable too.
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${SCHEMA} GRANT SELECT ON TABLES TO ${id(names.analyst)}`);
    await client.query(`GRANT ${id(names.analyst)} TO ${id(names.admin)}`);
    await recordAccess(client, names.writer, 'writer', null);
    await recordAccess(client, names.admin, 'admin', null);
  });
}

/** A team role: an analyst that sees the rows of the team's machines only. */
export async function bindTeam(pool: pg.Pool, analystRole: string, binding: TeamBinding): Promise<void> {
  await inTransaction(pool, async (client) => {
    await createRole(client, binding.role);
    await client.query(`GRANT ${client.escapeIdentifier(analystRole)} TO ${client.escapeIdentifier(binding.role)}`);
    await recordAccess(client, binding.role, 'team', binding.team);
    const rows = [
      ...binding.machines.map((machine) => ({ machine, match: 'exact' })),
      ...(binding.machinePatterns ?? []).map((machine) => ({ machine, match: 'like' })),
    ];
    for (const { machine, match } of rows) {
      await client.query(
        `INSERT INTO ${SCHEMA}.team_machines (team, match, machine) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [binding.team, match, machine],
      );
    }
    for (const person of binding.people ?? []) {
      await client.query(`INSERT INTO ${SCHEMA}.team_people (team, person) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [binding.team, person]);
    }
  });
}

/**
 * A role that may connect (the functions' login, an analyst's), with a password, made a member of existing roles
 * (writer, analyst, admin, a team role), whose grants and row visibility it then has. Creates it, or sets the
 * password of an existing one and adds the memberships it lacks. The password is sent as a SCRAM verifier.
 */
export async function createLogin(pool: pg.Pool, login: { name: string; password: string; memberOf: string[] }): Promise<void> {
  if (login.password === '') throw new Error(`login ${login.name}: empty password`);
  await inTransaction(pool, async (client) => {
    const id = client.escapeIdentifier(login.name);
    const verifier = client.escapeLiteral(scramSha256Verifier(login.password));
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login.name]);
    await client.query(`${exists.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${id} LOGIN PASSWORD ${verifier}`);
    for (const role of login.memberOf) {
      const known = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (known.rowCount === 0) throw new Error(`login ${login.name}: no role ${role} to be a member of (run \`sessionlake roles\` first)`);
      await client.query(`GRANT ${client.escapeIdentifier(role)} TO ${id}`);
    }
  });
}

/** Drops the roles (after revoking what they were granted) and forgets them; for uninstalling and tests. */
export async function dropRoles(pool: pg.Pool, roles: string[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const role of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      await client.query(`DELETE FROM ${SCHEMA}.access_roles WHERE role_name = $1`, [role]);
      if (exists.rowCount === 0) continue;
      await client.query(`DROP OWNED BY ${client.escapeIdentifier(role)}`);
      await client.query(`DROP ROLE ${client.escapeIdentifier(role)}`);
    }
  });
}

async function createRole(client: pg.PoolClient, name: string): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  if (exists.rowCount === 0) await client.query(`CREATE ROLE ${client.escapeIdentifier(name)} NOLOGIN`);
}

async function recordAccess(client: pg.PoolClient, role: string, access: 'writer' | 'admin' | 'team', team: string | null): Promise<void> {
  await client.query(
    `INSERT INTO ${SCHEMA}.access_roles (role_name, access, team) VALUES ($1, $2, $3)
     ON CONFLICT (role_name) DO UPDATE SET access = EXCLUDED.access, team = EXCLUDED.team`,
    [role, access, team],
  );
}

async function inTransaction(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
