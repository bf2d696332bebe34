import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * Migration 009 on bindings made before it, when every team_machines row was a LIKE pattern: what each row
 * becomes (docs/security.md, "Bindings made before migration 009"), and that no row matches a machine the old
 * pattern did not (no team sees more than before).
 */

// Old rows, as LIKE read them, and what they must become. Written from LIKE's rules: `%` any run, `_` any one
// character, `\` escapes the next character.
const OLD_ROWS: { pattern: string; becomes: { match: 'exact' | 'like'; machine: string } }[] = [
  { pattern: 'gpu-%', becomes: { match: 'like', machine: 'gpu-%' } },
  { pattern: 'gpu_1', becomes: { match: 'exact', machine: 'gpu_1' } },
  { pattern: 'gpu\\_1', becomes: { match: 'exact', machine: 'gpu_1' } }, // the same machine, written escaped
  { pattern: 'box\\1', becomes: { match: 'exact', machine: 'box1' } },
  { pattern: 'a\\\\b', becomes: { match: 'exact', machine: 'a\\b' } },
  { pattern: 'rack\\%7', becomes: { match: 'exact', machine: 'rack%7' } },
  { pattern: '50\\%_off%', becomes: { match: 'like', machine: '50\\%_off%' } },
  { pattern: 'bad\\', becomes: { match: 'like', machine: 'bad\\' } }, // invalid LIKE: matched nothing, still does
  { pattern: 'laptop-ana', becomes: { match: 'exact', machine: 'laptop-ana' } },
];
const CANDIDATES = [
  'gpu-1', 'gpu-', 'gpu_1', 'gpuX1', 'gpu\\_1', 'box1', 'box\\1', 'boxX1', 'a\\b', 'ab', 'a\\\\b', 'rack%7', 'rack\\%7',
  'rackX7', '50%_off', '50%Xoff-sale', '50X_off', 'bad', 'bad\\', 'laptop-ana', 'laptop-anna',
];

/** A pattern ending in an odd number of backslashes: LIKE rejects it. */
const LONE_ESCAPE_AT_END = '(^|[^\\\\])(\\\\\\\\)*\\\\$';

let database: FreshDatabase;
let pool: pg.Pool;
let before: string;

beforeAll(async () => {
  database = await freshDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 1 });
  before = await mkdtemp(path.join(tmpdir(), 'sessionlake-migrations-'));
  for (const file of await readdir(MIGRATIONS_DIR)) {
    if (/^00[1-6]_.*\.sql$/.test(file)) await copyFile(path.join(MIGRATIONS_DIR, file), path.join(before, file));
  }
  await runMigrations(pool, before);
  for (const [index, row] of OLD_ROWS.entries()) {
    await pool.query('INSERT INTO sessionlake.team_machines (team, machine_pattern) VALUES ($1, $2)', [`t${index}`, row.pattern]);
  }
  await pool.query('CREATE TABLE public.old_bindings AS SELECT team, machine_pattern FROM sessionlake.team_machines');
  await runMigrations(pool);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
  if (before !== undefined) await rm(before, { recursive: true, force: true });
});

describe('migration 009 on bindings made as LIKE patterns', () => {
  it('keeps a row with an unescaped % as a pattern and makes every other row the exact name it spelled', async () => {
    const rows = await pool.query('SELECT team, match, machine FROM sessionlake.team_machines ORDER BY team');
    expect(rows.rows).toEqual(OLD_ROWS.map((row, index) => ({ team: `t${index}`, ...row.becomes })).sort((a, b) => a.team.localeCompare(b.team)));
  });

  it('widens no binding: every machine a migrated row matches, its old pattern matched', async () => {
    const widened = await pool.query(
      `SELECT o.machine_pattern, c.name
         FROM public.old_bindings o JOIN sessionlake.team_machines n ON n.team = o.team, unnest($1::text[]) AS c(name)
        WHERE CASE WHEN n.match = 'exact' THEN c.name = n.machine
                   WHEN n.machine ~ $2 THEN false -- an invalid LIKE pattern matches nothing
                   ELSE c.name LIKE n.machine END
          AND NOT CASE WHEN o.machine_pattern ~ $2 THEN false ELSE c.name LIKE o.machine_pattern END`,
      [CANDIDATES, LONE_ESCAPE_AT_END],
    );
    expect(widened.rows).toEqual([]);
  });

  it('no longer lets an exact name match what its wildcards did', async () => {
    const seen = await pool.query<{ pattern: string; names: string[] }>(
      `SELECT o.machine_pattern AS pattern, array_agg(c.name ORDER BY c.name) AS names
         FROM public.old_bindings o JOIN sessionlake.team_machines n ON n.team = o.team, unnest($1::text[]) AS c(name)
        WHERE n.match = 'exact' AND c.name = n.machine GROUP BY 1 ORDER BY 1`,
      [CANDIDATES],
    );
    expect(Object.fromEntries(seen.rows.map((row) => [row.pattern, row.names]))).toEqual({
      'a\\\\b': ['a\\b'], 'box\\1': ['box1'], 'gpu\\_1': ['gpu_1'], 'gpu_1': ['gpu_1'], 'laptop-ana': ['laptop-ana'], 'rack\\%7': ['rack%7'],
    });
  });
});
