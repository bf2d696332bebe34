import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../../shared/store/migrate.js';
import { summarizeIngest } from '../../../shared/store/reports.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

let database: FreshDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await freshDatabase();
  await runMigrations(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function addSession(
  id: string,
  machine: string,
  agent: string,
  messageCount: number,
  toolCallCount: number,
  deletedAt: string | null = null,
): Promise<void> {
  const uri = `s3://raw/${id}.jsonl`;
  await pool.query(`INSERT INTO sessionlake.objects (uri, bucket, key, kind) VALUES ($1, 'raw', $2, 'session')`, [uri, `${id}.jsonl`]);
  await pool.query(
    `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, message_count, tool_call_count, deleted_at)
     VALUES ($1, $2, $3, $4, 'session', $5, $6, $7)`,
    [id, uri, machine, agent, messageCount, toolCallCount, deletedAt],
  );
}

type Tokens = [input: number | null, output: number | null, cacheWrite: number | null, cacheRead: number | null, reasoning: number | null];
const NO_TOKENS: Tokens = [null, null, null, null, null];

async function addMessage(sessionId: string, ordinal: number, role: string, model: string | null, tokens: Tokens): Promise<void> {
  await pool.query(
    `INSERT INTO sessionlake.messages (session_id, ordinal, role, source_type, model, input_tokens, output_tokens,
       cache_creation_input_tokens, cache_read_input_tokens, reasoning_output_tokens, line_number, byte_offset)
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $2, 0)`,
    [sessionId, ordinal, role, model, ...tokens],
  );
}

describe('summarizeIngest', () => {
  it('reports an empty database as zeros', async () => {
    const summary = await summarizeIngest(pool);

    expect(summary).toEqual({ sessions: 0, deletedSessions: 0, messages: 0, toolCalls: 0, sessionsByAgent: [], tokensByModel: [] });
  });

  it('counts sessions, messages and tool calls, and sums tokens per model over the rows that carry them', async () => {
    await addSession('laptop/raw/claude/p/s1', 'laptop', 'claude', 3, 2);
    await addMessage('laptop/raw/claude/p/s1', 1, 'user', null, NO_TOKENS);
    await addMessage('laptop/raw/claude/p/s1', 2, 'assistant', 'claude-opus-4', [10, 20, 30, 40, null]);
    // second line of the same response: tokens left NULL, as the writer stores them
    await addMessage('laptop/raw/claude/p/s1', 3, 'assistant', 'claude-opus-4', NO_TOKENS);
    await addSession('laptop/raw/codex/2026/01/01/rollout-s2', 'laptop', 'codex', 2, 1);
    await addMessage('laptop/raw/codex/2026/01/01/rollout-s2', 1, 'user', 'gpt-5-codex', NO_TOKENS);
    await addMessage('laptop/raw/codex/2026/01/01/rollout-s2', 2, 'assistant', 'gpt-5-codex', [100, 5, 0, 50, 7]);
    await addSession('desk/raw/claude/q/s3', 'desk', 'claude', 1, 0);
    await addMessage('desk/raw/claude/q/s3', 1, 'assistant', 'claude-opus-4', [1, 2, 0, 0, null]);

    const summary = await summarizeIngest(database.url);

    expect(summary).toEqual({
      sessions: 3,
      deletedSessions: 0,
      messages: 6,
      toolCalls: 3,
      sessionsByAgent: [
        { machine: 'desk', agent: 'claude', sessions: 1 },
        { machine: 'laptop', agent: 'claude', sessions: 1 },
        { machine: 'laptop', agent: 'codex', sessions: 1 },
      ],
      tokensByModel: [
        // 100 + 5 + 0 + 50 = 155 tokens, before claude-opus-4's 10 + 20 + 30 + 40 + 1 + 2 = 103
        { model: 'gpt-5-codex', responses: 1, inputTokens: 100, outputTokens: 5, cacheCreationInputTokens: 0, cacheReadInputTokens: 50, reasoningOutputTokens: 7 },
        { model: 'claude-opus-4', responses: 2, inputTokens: 11, outputTokens: 22, cacheCreationInputTokens: 30, cacheReadInputTokens: 40, reasoningOutputTokens: 0 },
      ],
    });
  });

  it('leaves sessions deleted from S3 out of every count, and counts them apart', async () => {
    // The three sessions above stay; this one was removed from S3 (its rows are kept for history).
    await addSession('laptop/raw/claude/p/gone', 'laptop', 'claude', 2, 4, '2026-02-01T00:00:00Z');
    await addMessage('laptop/raw/claude/p/gone', 1, 'user', null, NO_TOKENS);
    await addMessage('laptop/raw/claude/p/gone', 2, 'assistant', 'claude-opus-4', [1000, 1000, 1000, 1000, null]);
    await addSession('nas/raw/codex/2026/01/01/rollout-gone', 'nas', 'codex', 1, 0, '2026-02-01T00:00:00Z');

    const summary = await summarizeIngest(pool);

    expect(summary).toMatchObject({
      sessions: 3,
      deletedSessions: 2,
      messages: 6,
      toolCalls: 3,
      sessionsByAgent: [
        { machine: 'desk', agent: 'claude', sessions: 1 },
        { machine: 'laptop', agent: 'claude', sessions: 1 },
        { machine: 'laptop', agent: 'codex', sessions: 1 },
      ],
    });
    expect(summary.tokensByModel.find((model) => model.model === 'claude-opus-4')).toMatchObject({
      responses: 2,
      inputTokens: 11,
      outputTokens: 22,
    });
  });
});
