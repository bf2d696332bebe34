import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMigrations, MIGRATIONS_DIR } from '../../shared/store/migrate.js';

/** A folder holding the repository's migrations up to `version` only: what an older release would have applied. */
export async function migrationsUpTo(version: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sessionlake-old-migrations-'));
  for (const migration of await loadMigrations()) {
    if (migration.version > version) continue;
    const file = `${String(migration.version).padStart(3, '0')}_${migration.name}.sql`;
    await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
  }
  return dir;
}
