import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * The project key and name rule (session_projects) and the search columns, on rows written straight into a
 * migrated database: the cases are about which rows exist, whatever wrote them.
 */

let database: FreshDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await freshDatabase();
  await runMigrations(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** A session row (and its objects row) as the write path leaves it: id = key without .jsonl. */
async function addSession(key: string, agent: 'claude' | 'codex', cwd: string | null): Promise<string> {
  const id = key.replace(/\.jsonl$/u, '');
  const segments = key.split('/');
  const machine = segments[segments.indexOf('raw') - 1] ?? '';
  await pool.query(`INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind) VALUES ($1, 'b', $2, $3, $4, 'session')`, [
    `s3://b/${key}`,
    key,
    machine,
    agent,
  ]);
  await pool.query(
    `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, cwd, started_at) VALUES ($1, $2, $3, $4, 'session', $5, now())`,
    [id, `s3://b/${key}`, machine, agent, cwd],
  );
  return id;
}

async function projectOf(sessionId: string): Promise<{ project_key: string; project: string }> {
  const { rows } = await pool.query<{ project_key: string; project: string }>(
    `SELECT project_key, project FROM sessionlake.session_projects WHERE session_id = $1`,
    [sessionId],
  );
  expect(rows).toHaveLength(1);
  return rows[0] as { project_key: string; project: string };
}

describe('one project, one name', () => {
  it('names a Claude folder after its cwd once any session of it records one, also one ingested later', async () => {
    // Prepare: a session without cwd (older Claude Code, or its first lines lost)
    const withoutCwd = await addSession('laptop/raw/claude/-Users-alice-code-my-app/0b1c.jsonl', 'claude', null);
    const before = await projectOf(withoutCwd);

    // Act: a sibling that records its cwd arrives later
    const withCwd = await addSession('laptop/raw/claude/-Users-alice-code-my-app/9f8e.jsonl', 'claude', '/Users/alice/code/my-app');

    // Assess
    expect(before).toEqual({ project_key: 'laptop/-Users-alice-code-my-app', project: '-Users-alice-code-my-app' });
    expect(await projectOf(withoutCwd)).toEqual({ project_key: 'laptop/-Users-alice-code-my-app', project: 'my-app' });
    expect(await projectOf(withCwd)).toEqual({ project_key: 'laptop/-Users-alice-code-my-app', project: 'my-app' });
  });

  it('puts a Codex session in the same folder of the same machine in the same project', async () => {
    const codex = await addSession(
      'laptop/raw/codex/2026/11/02/rollout-2026-11-02T10-00-00-4d2e.jsonl',
      'codex',
      '/Users/alice/code/my-app',
    );

    expect(await projectOf(codex)).toEqual({ project_key: 'laptop/-Users-alice-code-my-app', project: 'my-app' });
  });

  it('keeps two repositories called api apart, by key and by name', async () => {
    // Prepare
    const a = await addSession('laptop/raw/claude/-Users-alice-work-a-api/11aa.jsonl', 'claude', '/Users/alice/work/a/api');
    const b = await addSession('laptop/raw/claude/-Users-alice-work-b-api/22bb.jsonl', 'claude', '/Users/alice/work/b/api');

    // Act
    const projects = [await projectOf(a), await projectOf(b)];

    // Assess
    expect(projects).toEqual([
      { project_key: 'laptop/-Users-alice-work-a-api', project: 'a/api' },
      { project_key: 'laptop/-Users-alice-work-b-api', project: 'b/api' },
    ]);
  });

  it('gives the same folder on another machine its own key and the same name', async () => {
    const server = await addSession('gpu-01/raw/claude/-home-alice-my-app/33cc.jsonl', 'claude', '/home/alice/my-app');

    expect(await projectOf(server)).toEqual({ project_key: 'gpu-01/-home-alice-my-app', project: 'my-app' });
  });

  it('keeps the key under a key prefix and for a Windows cwd', async () => {
    const prefixed = await addSession('team/x/raw/claude/C--Users-bob-api/44dd.jsonl', 'claude', 'C:\\Users\\bob\\api');

    expect(await projectOf(prefixed)).toEqual({ project_key: 'x/C--Users-bob-api', project: 'api' });
  });
});

describe('full-text search columns', () => {
  it('indexes a message longer than a tsvector can hold instead of failing its ingest', async () => {
    // Prepare: about 2.9 MB of distinct words; a tsvector holds at most 1 MB of lexemes
    const session = await addSession('laptop/raw/claude/-tmp/55ee.jsonl', 'claude', '/tmp');
    const words = Array.from({ length: 300_000 }, (_, index) => `w${index.toString(36)}x${(index * 7919).toString(36)}`);
    const text = `terraform destroy ${words.join(' ')}`;

    // Act
    await pool.query(
      `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, text, line_number, byte_offset)
       VALUES ($1, 0, 'user', 'user', $2, 1, 0)`,
      [session, text],
    );
    const { rows } = await pool.query(
      `SELECT session_id, kind FROM sessionlake.search_documents
        WHERE search_vector @@ websearch_to_tsquery('simple', '"terraform destroy"')`,
    );

    // Assess
    expect(text.length).toBeGreaterThan(2_000_000);
    expect(rows).toEqual([{ session_id: session, kind: 'message' }]);
  });

  it('finds a command in a tool call input', async () => {
    // Prepare
    const session = await addSession('laptop/raw/claude/-tmp/66ff.jsonl', 'claude', '/tmp');
    await pool.query(
      `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, line_number, byte_offset)
       VALUES ($1, 0, 'assistant', 'assistant', 1, 0)`,
      [session],
    );
    await pool.query(
      `INSERT INTO sessionlake.tool_calls (session_id, message_ordinal, call_index, name, input, result_text)
       VALUES ($1, 0, 0, 'Bash', '{"command": "git push --force origin main"}', 'Everything up-to-date')`,
      [session],
    );
    // The write path's follow-up step after the object's transaction (migration 011)
    await pool.query(`SELECT sessionlake.index_tool_call_search(ARRAY[$1])`, [session]);

    // Act
    const { rows } = await pool.query(
      `SELECT session_id, kind, label FROM sessionlake.search_documents
        WHERE search_vector @@ websearch_to_tsquery('simple', '"push --force"')`,
    );

    // Assess
    expect(rows).toEqual([{ session_id: session, kind: 'tool_call', label: 'Bash' }]);
  });
});
