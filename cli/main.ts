import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { backfillCommand } from './commands/backfill.js';
import { statusCommand } from './commands/status.js';
import { devCommand } from './commands/dev.js';
import { ingestCommand } from './commands/ingest.js';
import { migrateCommand } from './commands/migrate.js';
import { parseCommand } from './commands/parse.js';
import { peopleCommand } from './commands/people.js';
import { budgetsCommand } from './commands/budgets.js';
import { reportCommand } from './commands/report.js';
import { rolesCommand } from './commands/roles.js';
import { retentionCommand } from './commands/retention.js';
import { serveCommand } from './commands/serve.js';
import { allAgentDefinitions } from '../shared/agents/registry.js';
import { argumentsProblem, formatArgument, type Command } from './command.js';
import { listed } from './listing.js';

const COMMANDS: Command[] = [
  devCommand, migrateCommand, ingestCommand, backfillCommand, statusCommand, reportCommand, serveCommand, rolesCommand, peopleCommand, budgetsCommand, retentionCommand, parseCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `sessionlake — ${listed(allAgentDefinitions().map((agent) => agent.displayName), 'and')} session logs from S3 into Postgres`,
    '',
    'Usage: sessionlake <command> [options] [arguments]',
    '       sessionlake help <command>',
    '       sessionlake --version',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `sessionlake help <command>` (or `sessionlake <command> --help`) for its arguments and options.',
    'Postgres: DATABASE_URL, or the PG* variables (node-postgres conventions).',
    'S3: the usual AWS_* variables; AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) points it at an emulator or another endpoint.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const synopsis = ['sessionlake', command.name, '[options]', ...command.arguments.map(formatArgument)].join(' ');
  const lines = [`Usage: ${synopsis}`, '', command.summary, ''];
  const argumentWidth = Math.max(26, ...command.arguments.map((argument) => formatArgument(argument).length));
  if (command.arguments.length > 0) {
    lines.push('Arguments:');
    for (const argument of command.arguments) lines.push(`  ${formatArgument(argument).padEnd(argumentWidth)} ${argument.description}`);
    lines.push('');
  }
  lines.push('Options:');
  for (const [name, option] of Object.entries(command.options)) {
    const flag = option.type === 'string' ? `--${name} <value>` : `--${name}`;
    lines.push(`  ${flag.padEnd(26)} ${option.description}`);
  }
  lines.push(`  ${'--help'.padEnd(26)} show this help`);
  for (const note of command.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((candidate) => candidate.name === name);
}

function unknownCommand(name: string): number {
  process.stderr.write(`sessionlake: unknown command "${name}"\n\n${usage()}\n`);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`sessionlake ${version()}\n`);
    return 0;
  }
  if (name === 'help' && rest[0] !== undefined) {
    const command = findCommand(rest[0]);
    if (command === undefined) return unknownCommand(rest[0]);
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = findCommand(name);
  if (command === undefined) return unknownCommand(name);
  const config: ParseArgsConfig = {
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.entries(command.options).map(([key, option]) => [key, { type: option.type }])),
    },
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    return usageError(command, (error as Error).message);
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  const problem = argumentsProblem(command, parsed.positionals);
  if (problem !== null) return usageError(command, problem);
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals });
  } catch (error) {
    process.stderr.write(`sessionlake ${command.name}: ${(error as Error).message}\n`);
    return 1;
  }
}

function usageError(command: Command, message: string): number {
  process.stderr.write(`sessionlake ${command.name}: ${message}\n\n${commandHelp(command)}\n`);
  return 2;
}
