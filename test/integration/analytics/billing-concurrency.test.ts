import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { dropRoles, installRoles } from '../../../shared/store/roles.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { COMPARED_VIEWS, createReferenceViews, differences } from '../../support/reference-usage-views.js';

/**
 * Four workers (four connections) write copies of the same responses at once, each in its own transaction, all
 * four open before any commits, and commit in every one of the 24 orders: each response is billed once, from the
 * copy the rules pick whatever the order (README "Usage, cost and search"), and the views equal the per-query
 * decision. The copies are written the way the write path writes a session: its row first, its messages in two
 * batches, then its summary (source id, cwd).
 */

interface Copy {
  name: string;
  agent: 'claude' | 'codex';
  /** Claude: output tokens of every response and whether the copy is a sidechain. */
  output?: number;
  sidechain?: boolean;
  deleted?: boolean;
}

// Claude copies of 3 responses: the largest output bills, then the copy not in a sidechain, then the first by id.
const CLAUDE: Copy[] = [
  { name: 'a', agent: 'claude', output: 100, sidechain: false },
  { name: 'b', agent: 'claude', output: 300, sidechain: true },
  { name: 'c', agent: 'claude', output: 300, sidechain: false },
  { name: 'd', agent: 'claude', output: 300, sidechain: false },
];
const CLAUDE_WINNER = 'c';
// Codex copies of one rollout (same source id): the first by id among those not deleted from S3.
const CODEX: Copy[] = [
  { name: 'e', agent: 'codex', deleted: true },
  { name: 'f', agent: 'codex', deleted: true },
  { name: 'g', agent: 'codex' },
  { name: 'h', agent: 'codex' },
];
const CODEX_WINNER = 'g';
const RESPONSES = 3;

function sessionId(copy: Copy): string {
  return copy.agent === 'claude' ? `m/raw/claude/-w-p/${copy.name}` : `m/raw/codex/2026/10/02/rollout-${copy.name}`;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

/** Opens the copy's transaction and writes its rows; the caller commits. */
async function writeCopy(client: pg.Client, copy: Copy): Promise<void> {
  const id = sessionId(copy);
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind, state) VALUES ($1, 'b', $2, 'm', $3, 'session', 'ingested')
     ON CONFLICT (uri) DO NOTHING`,
    [`s3://b/${id}`, `${id}.jsonl`, copy.agent],
  );
  await client.query(
    `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind) VALUES ($1, $2, 'm', $3, 'session')`,
    [id, `s3://b/${id}`, copy.agent],
  );
  for (const batch of [[0, 1], [2]]) {
    await client.query(
      `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, "timestamp", model, message_id, request_id,
                                         is_sidechain, input_tokens, output_tokens, cache_read_input_tokens, line_number, byte_offset)
       SELECT $1, 2 * n + 1, 'assistant', 'assistant', timestamptz '2026-10-02T10:00:00Z' + n * interval '1 minute',
              $2, $3 || n, 'req_' || n, $4, 10 + n, $5, 1000, 2 * n + 2, 0
         FROM unnest($6::int[]) n`,
      [
        id,
        copy.agent === 'claude' ? 'claude-sonnet-4-5' : 'gpt-5-codex',
        copy.agent === 'claude' ? 'msg_' : null,
        copy.sidechain ?? false,
        copy.output ?? 50,
        batch,
      ],
    );
  }
  await client.query(
    `UPDATE sessionlake.sessions SET source_session_id = $2, cwd = '/w/p', deleted_at = $3 WHERE id = $1`,
    [id, copy.agent === 'claude' ? `claude-${copy.name}` : 'rollout-1', copy.deleted ? new Date() : null],
  );
}

describe('four workers writing copies of the same responses at once', () => {
  let database: FreshDatabase;
  let workers: pg.Client[];
  let admin: pg.Client;

  beforeAll(async () => {
    database = await freshDatabase('sessionlake_billing_race');
    await runMigrations(database.url);
    workers = [];
    for (let n = 0; n < 4; n += 1) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      workers.push(client);
    }
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await createReferenceViews(admin);
  }, 30_000);

  afterAll(async () => {
    for (const client of workers ?? []) await client.end();
    await admin?.end();
    await database?.drop();
  });

  for (const [label, copies, winner] of [
    ['Claude message.id + requestId', CLAUDE, CLAUDE_WINNER],
    ['Codex rollout copies', CODEX, CODEX_WINNER],
  ] as const) {
    it(`${label}: billed once, from the same copy, in all 24 commit orders`, async () => {
      for (const order of permutations([0, 1, 2, 3])) {
        // All four transactions hold their rows uncommitted, then commit at once in this order.
        await Promise.all(order.map((copyIndex, worker) => writeCopy(workers[worker]!, copies[copyIndex]!)));
        await Promise.all(order.map((_, worker) => workers[worker]!.query('COMMIT')));

        const billed = await admin.query<{ request_id: string; copies: string; session_ids: string[] }>(
          `SELECT request_id, count(*) AS copies, array_agg(session_id) AS session_ids FROM sessionlake.usage
            GROUP BY request_id ORDER BY request_id`,
        );
        const want = Array.from({ length: RESPONSES }, (_, n) => ({
          request_id: `req_${n}`,
          copies: '1',
          session_ids: [sessionId(copies.find((copy) => copy.name === winner)!)],
        }));
        expect({ order, billed: billed.rows }).toEqual({ order, billed: want });
        for (const view of COMPARED_VIEWS) {
          const diff = await differences(admin, view);
          expect({ order, view, onlyNew: diff.onlyNew, onlyReference: diff.onlyReference }).toEqual({ order, view, onlyNew: [], onlyReference: [] });
        }

        await admin.query(`DELETE FROM sessionlake.sessions`);
        await admin.query(`DELETE FROM sessionlake.objects`);
        const left = await admin.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM sessionlake.billed_responses) + (SELECT count(*) FROM sessionlake.usage_rollup_daily)
                  + (SELECT count(*) FROM sessionlake.session_usage) + (SELECT count(*) FROM sessionlake.billing_pending) AS n`,
        );
        expect(left.rows[0]?.n).toBe('0');
      }
    }, 60_000);
  }

  it("the writer role `sessionlake roles` makes (no grant on the billing tables) writes copies that bill", async () => {
    const suffix = Date.now().toString(36);
    const names = { writer: `bw_writer_${suffix}`, analyst: `bw_analyst_${suffix}`, admin: `bw_admin_${suffix}` };
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await installRoles(pool, names);
      const worker = workers[0]!;
      await worker.query(`SET ROLE ${names.writer}`);
      try {
        for (const copy of CLAUDE) {
          await writeCopy(worker, copy);
          await worker.query('COMMIT');
        }
      } finally {
        await worker.query('RESET ROLE');
      }
      const billed = await admin.query<{ session_id: string; n: string }>(
        `SELECT session_id, count(*) AS n FROM sessionlake.usage GROUP BY session_id`,
      );
      expect(billed.rows).toEqual([{ session_id: sessionId(CLAUDE.find((copy) => copy.name === CLAUDE_WINNER)!), n: String(RESPONSES) }]);
      await admin.query(`DELETE FROM sessionlake.sessions`);
      await admin.query(`DELETE FROM sessionlake.objects`);
    } finally {
      await dropRoles(pool, Object.values(names));
      await pool.end();
    }
  });
});
