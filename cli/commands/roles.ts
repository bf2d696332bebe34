import { createPool } from '../../shared/store/pool.js';
import { bindTeam, createLogin, installRoles } from '../../shared/store/roles.js';
import { stringOption, type Command, type CommandInput } from '../command.js';
import { databaseUrlOption, listOption } from '../database-option.js';

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
    team: { type: 'string', description: 'also bind a team: its name (needs --machines, --machine-pattern or --people)' },
    'team-role': { type: 'string', description: 'the team\'s role (default sessionlake_team_<team>)' },
    machines: { type: 'string', description: 'the team\'s machines: exact names, comma-separated (e.g. gpu_1,laptop-ana)' },
    'machine-pattern': { type: 'string', description: 'the team\'s machines as LIKE patterns, comma-separated (e.g. gpu-%): _ and % are wildcards' },
    people: { type: 'string', description: 'people whose sessions the team sees from any machine, comma-separated (see `sessionlake people`)' },
    login: { type: 'string', description: 'also create (or update) a login role of this name: the functions\', an analyst\'s' },
    'member-of': {
      type: 'string',
      description: 'the login\'s roles, comma-separated: writer, analyst, admin (the names above), team (the team role) or any role name',
    },
    'password-stdin': { type: 'boolean', description: 'read the login\'s password from stdin (else SESSIONLAKE_LOGIN_PASSWORD)' },
  },
  notes: [
    'Run it as the schema owner after `sessionlake migrate`; it can be run again (it only adds what is missing).',
    'The roles are NOLOGIN: --login makes a login in them, e.g. the functions\' login:',
    '  printf %s "$PASSWORD" | sessionlake roles --login sessionlake_ingest --member-of writer --password-stdin',
    'The owner (who runs this and migrate) is not subject to row-level security: never give its URL to the functions or analysts.',
    'Rows: the writer and the admin see all; a team role sees its machines\' rows; the analyst role alone sees none.',
    'A name given to --machines matches that machine only (gpu_1 is not gpuX1); patterns go to --machine-pattern.',
    'See docs/security.md for the SQL to add a team by hand.',
  ],
  async run(input) {
    const url = databaseUrlOption(input);
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
    const people = listOption(input, 'people');
    const bound = machines.length + machinePatterns.length + people.length > 0;
    if (team !== undefined && !bound) throw new Error('--team needs --machines (exact names), --machine-pattern (LIKE patterns) or --people');
    if (team === undefined && bound) throw new Error('--machines, --machine-pattern and --people need --team');
    const teamRole = team === undefined ? undefined : (stringOption(input, 'team-role') ?? `sessionlake_team_${team}`);
    const login = stringOption(input, 'login');
    const memberOf = listOption(input, 'member-of');
    if (login !== undefined && memberOf.length === 0) throw new Error('--login needs --member-of (writer, analyst, admin, team or a role name)');
    if (login === undefined && memberOf.length > 0) throw new Error('--member-of needs --login');
    const roleOf = (name: string): string => {
      if (name === 'team') {
        if (teamRole === undefined) throw new Error('--member-of team needs --team');
        return teamRole;
      }
      return name === 'writer' || name === 'analyst' || name === 'admin' ? names[name] : name;
    };
    const password = login === undefined ? undefined : await loginPassword(input.values['password-stdin'] === true);
    const pool = createPool({ connectionString: url, max: 1 });
    try {
      await installRoles(pool, names);
      process.stdout.write(`roles ready: writer ${names.writer}, analyst ${names.analyst}, admin ${names.admin}\n`);
      if (team !== undefined && teamRole !== undefined) {
        await bindTeam(pool, names.analyst, { team, role: teamRole, machines, machinePatterns, people });
        const seen = [...machines, ...machinePatterns.map((p) => `LIKE '${p}'`)];
        const what = [seen.length > 0 ? `machines ${seen.join(', ')}` : '', people.length > 0 ? `the sessions of ${people.join(', ')}` : '']
          .filter((part) => part !== '')
          .join(' and ');
        process.stdout.write(`team ${team}: role ${teamRole} sees ${what}\n`);
      }
      if (login !== undefined && password !== undefined) {
        const roles = memberOf.map(roleOf);
        await createLogin(pool, { name: login, password, memberOf: roles });
        process.stdout.write(`login ${login}: member of ${roles.join(', ')}\n`);
      }
    } finally {
      await pool.end();
    }
    return 0;
  },
};

/** The login's password: stdin (its first line) or SESSIONLAKE_LOGIN_PASSWORD; never an argument (`ps` shows those). */
async function loginPassword(fromStdin: boolean): Promise<string> {
  if (!fromStdin) {
    const fromEnv = process.env['SESSIONLAKE_LOGIN_PASSWORD'];
    if (fromEnv === undefined || fromEnv === '') throw new Error('--login needs a password: --password-stdin, or SESSIONLAKE_LOGIN_PASSWORD');
    return fromEnv;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new Error('--password-stdin: stdin held no password');
  return password;
}
