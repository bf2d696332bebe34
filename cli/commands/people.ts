import { createPool } from '../../shared/store/pool.js';
import {
  attribution,
  bindMachines,
  listPeople,
  listTeamMachines,
  removePerson,
  unbindMachines,
  upsertPerson,
  type BindingChange,
  type MachineNames,
  type PersonInput,
} from '../../shared/store/people.js';
import { stringOption, type Command, type CommandInput } from '../command.js';
import { databaseUrlOption, listOption } from '../database-option.js';
import { renderTable } from '../report-table.js';

const ACTIONS = ['add', 'remove', 'team-machines', 'unbind', 'list'] as const;
type Action = (typeof ACTIONS)[number];

/** People, their teams and machines (README "Set up your org"). */
export const peopleCommand: Command = {
  name: 'people',
  summary: 'Say who owns which machine and which team each person is in: add, remove, team-machines, unbind, list',
  arguments: [{ name: 'add|remove|team-machines|unbind|list [name]', description: 'what to do, and the person or team', repeatable: true }],
  options: {
    team: { type: 'string', description: 'add: the person\'s team (their spending counts to it); "" clears it' },
    email: { type: 'string', description: 'add: the e-mail the dashboard\'s proxy identifies them by; "" clears it' },
    machines: { type: 'string', description: 'add / team-machines / unbind: exact machine names, comma-separated' },
    'machine-pattern': { type: 'string', description: 'add / team-machines / unbind: LIKE patterns, comma-separated (gpu-%)' },
    json: { type: 'boolean', description: 'list: print JSON' },
    'database-url': { type: 'string', description: 'Postgres URL of the owner or an admin (default: DATABASE_URL / PG* variables)' },
  },
  notes: [
    [
      'A session\'s person is, in this order: the owner of its machine (people add --machines), the user of a',
      'user@host machine segment in its S3 key, the OS user whose home its cwd is in. Nothing else: a session none',
      'names has no person. Its team is the person\'s team, else the team that owns the machine (team-machines).',
      'Changes show in every view at once; nothing is re-ingested.',
    ].join('\n'),
    [
      'Examples:',
      '  sessionlake people add ana --team web --email ana@example.com --machines ana-mbp,ana-linux',
      '  sessionlake people team-machines ml --machine-pattern gpu-%   (shared boxes: sessions name their people)',
      '  sessionlake people unbind --machines ana-linux',
      '  sessionlake people list',
    ].join('\n'),
  ],
  async run(input) {
    const [actionName = '', ...names] = input.positionals;
    const action = ACTIONS.find((candidate) => candidate === actionName);
    if (action === undefined) throw new Error(`unknown action "${actionName}": use one of ${ACTIONS.join(', ')}`);
    checkNames(action, names);
    const machines: MachineNames = { machines: listOption(input, 'machines'), machinePatterns: listOption(input, 'machine-pattern') };
    const pattern = machines.machines.find((machine) => machine.includes('%'));
    if (pattern !== undefined) throw new Error(`--machines takes exact names; for the pattern ${pattern} use --machine-pattern`);
    const pool = createPool({ connectionString: databaseUrlOption(input), max: 1 });
    try {
      const name = names[0] ?? '';
      if (action === 'add') await add(pool, personInput(input, name), machines);
      else if (action === 'remove') {
        if (!(await removePerson(pool, name))) throw new Error(`no person "${name}"`);
        process.stdout.write(`removed ${name} and their machine bindings\n`);
      } else if (action === 'team-machines') {
        requireMachines(action, machines);
        report(`team ${name}`, await bindMachines(pool, { team: name }, machines));
      } else if (action === 'unbind') {
        requireMachines(action, machines);
        process.stdout.write(`removed ${await unbindMachines(pool, machines)} machine binding(s)\n`);
      } else await list(pool, input.values['json'] === true);
      return 0;
    } finally {
      await pool.end();
    }
  },
};

function checkNames(action: Action, names: string[]): void {
  const wants = action === 'list' || action === 'unbind' ? 0 : 1;
  if (names.length !== wants) {
    throw new Error(wants === 0 ? `${action} takes no name` : `${action} takes one name, got ${names.length}`);
  }
  if (wants === 1 && names[0] === '') throw new Error(`${action}: the name is empty`);
}

function requireMachines(action: Action, machines: MachineNames): void {
  if (machines.machines.length + machines.machinePatterns.length === 0) {
    throw new Error(`${action} needs --machines (exact names) or --machine-pattern (LIKE patterns)`);
  }
}

function personInput(input: CommandInput, person: string): PersonInput {
  const result: PersonInput = { person };
  for (const key of ['team', 'email'] as const) {
    const value = stringOption(input, key);
    if (value !== undefined) result[key] = value === '' ? null : value;
  }
  return result;
}

async function add(pool: ReturnType<typeof createPool>, person: PersonInput, machines: MachineNames): Promise<void> {
  await upsertPerson(pool, person);
  process.stdout.write(`person ${person.person}${person.team ? ` (team ${person.team})` : ''}\n`);
  report(person.person, await bindMachines(pool, { person: person.person }, machines));
}

function report(owner: string, changes: BindingChange[]): void {
  for (const change of changes) {
    const what = change.match === 'like' ? `machines LIKE '${change.machine}'` : `machine ${change.machine}`;
    const moved = change.previous === null ? '' : ` (was ${change.previous})`;
    process.stdout.write(`${what} → ${owner}${moved}\n`);
  }
}

async function list(pool: ReturnType<typeof createPool>, json: boolean): Promise<void> {
  const [people, teamMachines, sessions] = await Promise.all([listPeople(pool), listTeamMachines(pool), attribution(pool)]);
  if (json) {
    process.stdout.write(`${JSON.stringify({ people, teamMachines, sessions }, null, 2)}\n`);
    return;
  }
  const machinesOf = (row: { machines: string[]; machinePatterns: string[] }) =>
    [...row.machines, ...row.machinePatterns.map((p) => `LIKE ${p}`)].join(', ');
  const out = [
    'People',
    people.length === 0
      ? '  (none: sessionlake people add <name> --team T --machines M)'
      : renderTable(
          [
            { header: 'Person', value: (row) => row.person },
            { header: 'Team', value: (row) => row.team ?? '' },
            { header: 'E-mail', value: (row) => row.email ?? '' },
            { header: 'Machines', value: machinesOf },
          ],
          people,
        ),
  ];
  if (teamMachines.length > 0) {
    out.push('', 'Team machines', renderTable(
      [
        { header: 'Team', value: (row) => row.team },
        { header: 'Machines', value: (row) => (row.match === 'like' ? `LIKE ${row.machine}` : row.machine) },
      ],
      teamMachines,
    ));
  }
  out.push('', 'Whom sessions count to', sessions.length === 0 ? '  (no sessions)' : renderTable(
    [
      { header: 'Machine', value: (row) => row.machine },
      { header: 'Person', value: (row) => row.person ?? '(no one)' },
      { header: 'How', value: (row) => row.personSource ?? '' },
      { header: 'Team', value: (row) => row.team ?? '' },
      { header: 'Sessions', value: (row) => String(row.sessions), align: 'right' },
    ],
    sessions,
  ));
  process.stdout.write(`${out.join('\n')}\n`);
}
