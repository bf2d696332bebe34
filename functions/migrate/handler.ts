import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { runMigrations } from '../../shared/store/migrate.js';
import { readSchemaVersion } from '../../shared/store/schema-version.js';
import { createPool } from '../../shared/store/pool.js';
import { resolveDatabaseUrl } from '../../shared/secrets.js';

// The schema owner's URL (its own SSM parameter: the writer may not run DDL), fetched once per environment.
const config = loadConfig(await resolveDatabaseUrl(process.env));
const log = createLogger(config.logLevel, { function: 'migrate' });

/**
 * Invoked after each deploy (docs/deploy.md): applies the migrations bundled beside it (infra/migrations/*.sql
 * in the zip). Two invocations at once serialise on the migrations' advisory lock; a second one applies nothing.
 */
export async function handler(): Promise<{ applied: number[]; schemaVersion: number }> {
  const pool = createPool({ connectionString: config.database.connectionString, max: 1 }, log);
  try {
    const applied = await runMigrations(pool);
    const schemaVersion = await readSchemaVersion(pool);
    log.info(applied.length === 0 ? 'schema is up to date' : 'migrations applied', { applied, schemaVersion });
    return { applied, schemaVersion };
  } finally {
    await pool.end();
  }
}
