import { loadConfig } from '../../shared/config.js';
import { databaseUrlProblem } from '../../shared/database-url.js';
import { createPool } from '../../shared/store/pool.js';
import { bindTeam, installRoles } from '../../shared/store/roles.js';
import { stringOption, type Command, type CommandInput } from '../command.js';

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
    team: { type: 'string', description: 'also bind a team: its name (needs --machines or --machine-pattern)' },
    'team-role': { type: 'string', description: 'the team\'s role (default sessionlake_team_<team>)' },
    machines: { type: 'string', description: 'the team\'s machines: exact names, comma-separated (e.g. gpu_1,laptop-ana)' },
    'machine-pattern': { type: 'string', description: 'the team\'s machines as LIKE patterns, comma-separated (e.g. gpu-%): _ and % are wildcards' },
  },
  notes: [
    'Run it as the schema owner after `sessionlake migrate`; it can be run again (it only adds what is missing).',
    'The roles are NOLOGIN: grant them to login roles, e.g. GRANT sessionlake_writer TO ingest_lambda.',
    'Rows: the writer and the admin see all; a team role sees its machines\' rows; the analyst role alone sees none.',
    'A name given to --machines matches that machine only (gpu_1 is not gpuX1); patterns go to --machine-pattern.',
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
    const machines = listOption(input, 'machines');
    const machinePatterns = listOption(input, 'machine-pattern');
    const pattern = machines.find((machine) => machine.includes('%'));
    if (pattern !== undefined) throw new Error(`--machines takes exact names; for the pattern ${pattern} use --machine-pattern`);
    const bound = machines.length + machinePatterns.length > 0;
    if (team !== undefined && !bound) throw new Error('--team needs --machines (exact names) or --machine-pattern (LIKE patterns)');
    if (team === undefined && bound) throw new Error('--machines and --machine-pattern need --team');
    const pool = createPool({ connectionString: url, max: 1 });
    try {
      await installRoles(pool, names);
      process.stdout.write(`roles ready: writer ${names.writer}, analyst ${names.analyst}, admin ${names.admin}\n`);
      if (team !== undefined) {
        const role = stringOption(input, 'team-role') ?? `sessionlake_team_${team}`;
        await bindTeam(pool, names.analyst, { team, role, machines, machinePatterns });
        const seen = [...machines, ...machinePatterns.map((p) => `LIKE '${p}'`)];
        process.stdout.write(`team ${team}: role ${role} sees machines ${seen.join(', ')}\n`);
      }
    } finally {
      await pool.end();
    }
    return 0;
  },
};

function listOption(input: CommandInput, name: string): string[] {
  return (stringOption(input, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}
