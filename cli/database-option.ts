import { loadConfig } from '../shared/config.js';
import { databaseUrlProblem } from '../shared/database-url.js';
import { stringOption, type CommandInput } from './command.js';

/** The Postgres URL: --database-url, else DATABASE_URL / the PG* variables. */
export function databaseUrlOption(input: CommandInput): string {
  const option = stringOption(input, 'database-url');
  const problem = option === undefined ? null : databaseUrlProblem(option);
  if (problem !== null) throw new Error(`--database-url: ${problem}`);
  const url = option ?? loadConfig().database.connectionString;
  if (url === undefined) throw new Error('no database: pass --database-url or set DATABASE_URL');
  return url;
}

/** A comma-separated option as its non-empty items. */
export function listOption(input: CommandInput, name: string): string[] {
  return (stringOption(input, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}
