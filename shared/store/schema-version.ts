import type pg from 'pg';
import { SessionlakeError } from '../errors.js';
import type { Logger } from '../log.js';
import { SCHEMA } from './schema.js';

/**
 * The schema version (the highest infra/migrations number) this code needs. Raise it with every migration the
 * code depends on; test/integration/store/migrations.test.ts fails while it is below the highest migration.
 */
export const REQUIRED_SCHEMA_VERSION = 34;

/** The database's schema is older than the code: retryable, since running `migrate` cures it. */
export class SchemaTooOldError extends SessionlakeError {
  override readonly name = 'SchemaTooOldError';
  readonly retryable = true;
  constructor(
    readonly found: number,
    readonly required: number,
  ) {
    super(
      found === 0
        ? `the database has no sessionlake schema version this code can read; it needs version ${required}: run the migrate function (docs/deploy.md)`
        : `the database schema is at version ${found}, older than the ${required} this code needs: run the migrate function (docs/deploy.md)`,
    );
  }
}

// No schema, no table, or (before migration 8) a table the writer may not read: all mean "older than needed".
const NO_READABLE_VERSION = new Set(['3F000', '42P01', '42501']);

/** The highest applied migration, or 0 when the database shows none to this login. */
export async function readSchemaVersion(pool: pg.Pool): Promise<number> {
  try {
    const result = await pool.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${SCHEMA}.schema_migrations`);
    return result.rows[0]?.version ?? 0;
  } catch (error) {
    if (NO_READABLE_VERSION.has((error as { code?: string }).code ?? '')) return 0;
    throw error;
  }
}

/**
 * Checks the schema once per execution environment, before the first unit of work, and again on every call
 * until it passes (a migration may run meanwhile). A schema too old is logged as an error and thrown.
 */
export function schemaGate(pool: pg.Pool, log: Logger, required = REQUIRED_SCHEMA_VERSION): { ensure(): Promise<void> } {
  let passed = false;
  return {
    async ensure() {
      if (passed) return;
      const found = await readSchemaVersion(pool);
      if (found < required) {
        const error = new SchemaTooOldError(found, required);
        log.error('refusing to run: database schema too old', { schemaVersion: found, requiredSchemaVersion: required, error: error.message });
        throw error;
      }
      passed = true;
    },
  };
}
