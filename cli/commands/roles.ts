import { loadConfig } from '../../shared/config.js';
import { databaseUrlProblem } from '../../shared/database-url.js';
import { createPool } from '../../shared/store/pool.js';
import { bindTeam, installRoles } from '../../shared/store/roles.js';
import { stringOption, type Command } from '../command.js';

/** Creates the writer, analyst and admin roles (and optionally a team role) of docs/security.md. */
export const rolesCommand: Command = {
  name: 'roles',
  summary: 'Create or update the writer, analyst and admin roles (and a team role) with their grants',
  arguments: [],
  options: {
    'database-url': { type: 'string', description: 'Postgres URL of the schema owner (default: DATABASE_URL / PG* variables)' },
    writer: { type: 'string', description: 'writer role: what the Lambdas and the backfill write with (default sessionlake_writer)' },
    analyst: { type: 'string', description: 'analyst role: SELECT on the schema, rows by team (default sessionlake_analyst)' },
    admin: { type: 'string', description: 'admin role: an analyst that sees every row (default sessionlake_admin)' },
    team: { type: 'string', description: 'also bind a team: its name (needs --machines)' },
    'team-role': { type: 'string', description: 'the team\'s role (default sessionlake_team_<team>)' },
    machines: { type: 'string', description: 'the team\'s machines: names or LIKE patterns, comma-separated (e.g. gpu-%,laptop-ana)' },
  },
  notes: [
    'Run it as the schema owner after `sessionlake migrate`; it can be run again (it only adds what is missing).',
    'The roles are NOLOGIN: grant them to login roles, e.g. GRANT sessionlake_writer TO ingest_lambda.',
    'Rows: the writer and the admin see all; a team role sees its machines\' rows; the analyst role alone sees none.',
    'See docs/security.md for the SQL to add a team by hand.',
  ],
  async run(input) {
    const option = stringOption(input, 'database-url');
    const problem = option === undefined ? null : databaseUrlProblem(option);
    if (problem !== null) throw new Error(`--database-url: ${problem}`);
    const url = option ?? loadConfig().database.connectionString;
    if (url === undefined) throw new Error('no database: pass --database-url or set DATABASE_URL');
    const names = {
      writer: stringOption(input, 'writer') ?? 'sessionlake_writer',
      analyst: stringOption(input, 'analyst') ?? 'sessionlake_analyst',
      admin: stringOption(input, 'admin') ?? 'sessionlake_admin',
    };
    const team = stringOption(input, 'team');
    const machines = (stringOption(input, 'machines') ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '');
    if (team !== undefined && machines.length === 0) throw new Error('--team needs --machines (names or LIKE patterns)');
    if (team === undefined && machines.length > 0) throw new Error('--machines needs --team');
    const pool = createPool({ connectionString: url, max: 1 });
    try {
      await installRoles(pool, names);
      process.stdout.write(`roles ready: writer ${names.writer}, analyst ${names.analyst}, admin ${names.admin}\n`);
      if (team !== undefined) {
        const role = stringOption(input, 'team-role') ?? `sessionlake_team_${team}`;
        await bindTeam(pool, names.analyst, { team, role, machines });
        process.stdout.write(`team ${team}: role ${role} sees machines ${machines.join(', ')}\n`);
      }
    } finally {
      await pool.end();
    }
    return 0;
  },
};
