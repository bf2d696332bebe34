import { parseArgs, type ParseArgsConfig } from 'node:util';
import { backfillCommand } from './commands/backfill.js';
import { devCommand } from './commands/dev.js';
import { ingestCommand } from './commands/ingest.js';
import { migrateCommand } from './commands/migrate.js';
import { parseCommand } from './commands/parse.js';
import type { Command } from './command.js';

const COMMANDS: Command[] = [devCommand, migrateCommand, ingestCommand, backfillCommand, parseCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'sessionlake — Claude Code and Codex session logs from S3 into Postgres',
    '',
    'Usage: sessionlake <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `sessionlake <command> --help` for the options of one command.',
    'Postgres: DATABASE_URL, or the PG* variables (node-postgres conventions).',
    'S3: the usual AWS_* variables; SESSIONLAKE_S3_ENDPOINT and SESSIONLAKE_S3_FORCE_PATH_STYLE=true for an emulator.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: sessionlake ${command.name} ${command.usage}`.trimEnd(), '', command.summary, ''];
  const options = Object.entries(command.options);
  if (options.length > 0) {
    lines.push('Options:');
    for (const [name, option] of options) {
      const flag = option.type === 'string' ? `--${name} <value>` : `--${name}`;
      lines.push(`  ${flag.padEnd(26)} ${option.description}`);
    }
  }
  lines.push(`  ${'--help'.padEnd(26)} show this help`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    process.stderr.write(`sessionlake: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
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
    process.stderr.write(`sessionlake ${command.name}: ${(error as Error).message}\n\n${commandHelp(command)}\n`);
    return 2;
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals });
  } catch (error) {
    process.stderr.write(`sessionlake ${command.name}: ${(error as Error).message}\n`);
    return 1;
  }
}
