import { loadConfig } from '../../shared/config.js';
import { databaseUrlProblem } from '../../shared/database-url.js';
import { runMigrations } from '../../shared/store/migrate.js';
import { stringOption, type Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or upgrade the sessionlake schema in Postgres',
  arguments: [],
  options: { 'database-url': { type: 'string', description: 'Postgres URL (default: DATABASE_URL / PG* variables)' } },
  async run(input) {
    const option = stringOption(input, 'database-url');
    const problem = option === undefined ? null : databaseUrlProblem(option);
    if (problem !== null) throw new Error(`--database-url: ${problem}`);
    const url = option ?? loadConfig().database.connectionString;
    if (url === undefined) throw new Error('no database: pass --database-url or set DATABASE_URL');
    const applied = await runMigrations(url);
    process.stdout.write(applied.length === 0 ? 'schema is up to date\n' : `applied migrations ${applied.join(', ')}\n`);
    return 0;
  },
};
