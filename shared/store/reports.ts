import pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * What landed in the database: the summary `npm start` prints. Sessions whose object was deleted from S3 keep
 * their rows but are left out of every count here; `deletedSessions` says how many there are.
 */
export interface IngestSummary {
  sessions: number;
  deletedSessions: number;
  messages: number;
  toolCalls: number;
  sessionsByAgent: Array<{ machine: string; agent: string; sessions: number }>;
  /** Billed tokens per model, most tokens first. Token columns are set on one row per model response. */
  tokensByModel: ModelTokens[];
}

export interface ModelTokens {
  model: string;
  responses: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  reasoningOutputTokens: number;
}

/** Accepts a pool (used as is) or a connection string (a short-lived client). */
export async function summarizeIngest(target: pg.Pool | string): Promise<IngestSummary> {
  if (typeof target !== 'string') return summarize(target);
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await summarize(client);
  } finally {
    await client.end();
  }
}

async function summarize(db: pg.Pool | pg.Client): Promise<IngestSummary> {
  const totals = await db.query<{ sessions: string; deleted_sessions: string; messages: string; tool_calls: string }>(
    `SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS sessions,
            count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted_sessions,
            coalesce(sum(message_count) FILTER (WHERE deleted_at IS NULL), 0) AS messages,
            coalesce(sum(tool_call_count) FILTER (WHERE deleted_at IS NULL), 0) AS tool_calls
       FROM ${SCHEMA}.sessions`,
  );
  const byAgent = await db.query<{ machine: string; agent: string; sessions: string }>(
    `SELECT machine, agent, count(*) AS sessions
       FROM ${SCHEMA}.sessions
      WHERE deleted_at IS NULL
      GROUP BY machine, agent
      ORDER BY machine, agent`,
  );
  const byModel = await db.query<{
    model: string;
    responses: string;
    input_tokens: string;
    output_tokens: string;
    cache_creation_input_tokens: string;
    cache_read_input_tokens: string;
    reasoning_output_tokens: string;
  }>(
    `SELECT m.model,
            count(*) AS responses,
            -- billed tokens include the compaction iterations (README "Compaction iterations")
            coalesce(sum(m.input_tokens), 0) + coalesce(sum(m.compaction_input_tokens), 0) AS input_tokens,
            coalesce(sum(m.output_tokens), 0) + coalesce(sum(m.compaction_output_tokens), 0) AS output_tokens,
            coalesce(sum(m.cache_creation_input_tokens), 0) + coalesce(sum(m.compaction_cache_creation_input_tokens), 0)
              AS cache_creation_input_tokens,
            coalesce(sum(m.cache_read_input_tokens), 0) + coalesce(sum(m.compaction_cache_read_input_tokens), 0)
              AS cache_read_input_tokens,
            coalesce(sum(m.reasoning_output_tokens), 0) AS reasoning_output_tokens
       FROM ${SCHEMA}.messages m
       JOIN ${SCHEMA}.sessions s ON s.id = m.session_id
      WHERE m.model IS NOT NULL
        AND s.deleted_at IS NULL
        AND num_nonnulls(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens,
                         m.cache_read_input_tokens, m.reasoning_output_tokens) > 0
      GROUP BY m.model
      ORDER BY coalesce(sum(m.input_tokens), 0) + coalesce(sum(m.output_tokens), 0)
               + coalesce(sum(m.cache_creation_input_tokens), 0) + coalesce(sum(m.cache_read_input_tokens), 0) DESC,
               m.model`,
  );
  const row = totals.rows[0];
  return {
    sessions: Number(row?.sessions ?? 0),
    deletedSessions: Number(row?.deleted_sessions ?? 0),
    messages: Number(row?.messages ?? 0),
    toolCalls: Number(row?.tool_calls ?? 0),
    sessionsByAgent: byAgent.rows.map((r) => ({ machine: r.machine, agent: r.agent, sessions: Number(r.sessions) })),
    tokensByModel: byModel.rows.map((r) => ({
      model: r.model,
      responses: Number(r.responses),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cacheCreationInputTokens: Number(r.cache_creation_input_tokens),
      cacheReadInputTokens: Number(r.cache_read_input_tokens),
      reasoningOutputTokens: Number(r.reasoning_output_tokens),
    })),
  };
}
