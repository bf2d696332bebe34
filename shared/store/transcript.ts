import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * One session as the dashboard shows it: its header (session_overview and its S3 object), its subagents, and its
 * messages a page of ordinals at a time with their tool calls and billed usage folded in (one statement per part,
 * whatever the page holds). Long texts are cut in SQL, so a page never carries a 100 MB tool output; the full
 * text of one tool call is read on its own page (`toolCall`).
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface SessionHeader {
  sessionId: string;
  machine: string;
  agent: string;
  kind: string;
  project: string;
  gitBranch: string | null;
  title: string | null;
  model: string | null;
  startedAt: string | null;
  endedAt: string | null;
  messages: number;
  toolCalls: number;
  parentSessionId: string | null;
  person: string | null;
  team: string | null;
  totalTokens: number;
  pricedCostUsd: number;
  unpricedResponses: number;
  secretsFound: number;
  /** The raw object: `s3://bucket/key`. */
  objectUri: string;
  maxOrdinal: number | null;
  minOrdinal: number | null;
}

export interface SubagentRow {
  sessionId: string;
  title: string | null;
  startedAt: string | null;
  messages: number;
}

export interface TranscriptToolCall {
  index: number;
  name: string;
  input: string | null;
  inputLength: number;
  result: string | null;
  resultLength: number;
  isError: boolean | null;
}

export interface TranscriptMessage {
  ordinal: number;
  role: string;
  sourceType: string;
  timestamp: string | null;
  model: string | null;
  text: string | null;
  textLength: number;
  thinking: string | null;
  thinkingLength: number;
  isSidechain: boolean;
  isCompactBoundary: boolean;
  /** Billed usage of the response this row carries (one row per response), else null. */
  usage: { tokens: number; inputTokens: number; outputTokens: number; cacheWriteTokens: number; cacheReadTokens: number; costUsd: number | null } | null;
  toolCalls: TranscriptToolCall[];
}

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

export async function sessionHeader(db: Queryable, sessionId: string): Promise<SessionHeader | null> {
  const { rows } = await db.query(
    `SELECT s.id AS session_id, s.machine, s.agent, s.kind, sp.project, s.git_branch, s.title AS first_prompt, s.model,
            ${ISO('s.started_at')} AS started_at, ${ISO('s.ended_at')} AS ended_at, s.message_count, s.tool_call_count,
            s.parent_session_id, p.person, p.team,
            coalesce(u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens, 0) AS total_tokens,
            coalesce(u.priced_cost_usd, 0) AS priced_cost_usd, coalesce(u.unpriced_responses, 0) AS unpriced_responses,
            s.secrets_found, s.object_uri,
            (SELECT max(ordinal) FROM ${SCHEMA}.messages m WHERE m.session_id = s.id) AS max_ordinal,
            (SELECT min(ordinal) FROM ${SCHEMA}.messages m WHERE m.session_id = s.id) AS min_ordinal
       FROM ${SCHEMA}.sessions s
       JOIN ${SCHEMA}.session_projects sp ON sp.session_id = s.id
       LEFT JOIN ${SCHEMA}.session_usage u ON u.session_id = s.id
       LEFT JOIN ${SCHEMA}.session_people p ON p.session_id = s.id
      WHERE s.id = $1`,
    [sessionId],
  );
  const row = rows[0] as Record<string, unknown> | undefined;
  if (row === undefined) return null;
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    sessionId: String(row['session_id']),
    machine: String(row['machine']),
    agent: String(row['agent']),
    kind: String(row['kind']),
    project: String(row['project']),
    gitBranch: text(row['git_branch']),
    title: text(row['first_prompt']),
    model: text(row['model']),
    startedAt: text(row['started_at']),
    endedAt: text(row['ended_at']),
    messages: Number(row['message_count']),
    toolCalls: Number(row['tool_call_count']),
    parentSessionId: text(row['parent_session_id']),
    person: text(row['person']),
    team: text(row['team']),
    totalTokens: Number(row['total_tokens']),
    pricedCostUsd: Number(row['priced_cost_usd']),
    unpricedResponses: Number(row['unpriced_responses']),
    secretsFound: Number(row['secrets_found']),
    objectUri: String(row['object_uri']),
    maxOrdinal: row['max_ordinal'] === null ? null : Number(row['max_ordinal']),
    minOrdinal: row['min_ordinal'] === null ? null : Number(row['min_ordinal']),
  };
}

export async function subagentsOf(db: Queryable, sessionId: string): Promise<SubagentRow[]> {
  const { rows } = await db.query<{ id: string; title: string | null; started_at: string | null; message_count: number }>(
    `SELECT id, title, ${ISO('started_at')} AS started_at, message_count
       FROM ${SCHEMA}.sessions WHERE parent_session_id = $1 ORDER BY started_at NULLS LAST, id`,
    [sessionId],
  );
  return rows.map((row) => ({ sessionId: row.id, title: row.title, startedAt: row.started_at, messages: Number(row.message_count) }));
}

/** Messages with ordinal in [from, to), each text cut at `textLimit` characters (its full length is returned). */
export async function transcriptPage(
  db: Queryable,
  sessionId: string,
  range: { from: number; to: number },
  textLimit: number,
): Promise<TranscriptMessage[]> {
  const { rows } = await db.query(
    `SELECT m.ordinal, m.role, m.source_type, ${ISO('m."timestamp"')} AS ts, m.model,
            left(m.text, $4) AS text, coalesce(length(m.text), 0) AS text_length,
            left(m.thinking, $4) AS thinking, coalesce(length(m.thinking), 0) AS thinking_length,
            m.is_sidechain, m.is_compact_boundary,
            u.session_id IS NOT NULL AS billed, u.input_tokens, u.output_tokens, u.cache_creation_input_tokens,
            u.cache_read_input_tokens, u.cost_usd,
            coalesce(tc.calls, '[]'::json) AS calls
       FROM ${SCHEMA}.messages m
       LEFT JOIN ${SCHEMA}.billed_responses u ON u.session_id = m.session_id AND u.message_ordinal = m.ordinal
       LEFT JOIN LATERAL (
         SELECT json_agg(json_build_object(
                  'index', t.call_index, 'name', t.name,
                  'input', left(coalesce(t.input::text, t.input_text), $4),
                  'inputLength', coalesce(length(coalesce(t.input::text, t.input_text)), 0),
                  'result', left(t.result_text, $4), 'resultLength', coalesce(length(t.result_text), 0),
                  'isError', t.is_error) ORDER BY t.call_index) AS calls
           FROM ${SCHEMA}.tool_calls t
          WHERE t.session_id = m.session_id AND t.message_ordinal = m.ordinal
       ) tc ON true
      WHERE m.session_id = $1 AND m.ordinal >= $2 AND m.ordinal < $3
      ORDER BY m.ordinal`,
    [sessionId, range.from, range.to, textLimit],
  );
  return rows.map((row: Record<string, unknown>) => {
    const number = (value: unknown) => Number(value ?? 0);
    const usage = row['billed'] === true
      ? {
          inputTokens: number(row['input_tokens']),
          outputTokens: number(row['output_tokens']),
          cacheWriteTokens: number(row['cache_creation_input_tokens']),
          cacheReadTokens: number(row['cache_read_input_tokens']),
          tokens: number(row['input_tokens']) + number(row['output_tokens']) + number(row['cache_creation_input_tokens']) + number(row['cache_read_input_tokens']),
          costUsd: row['cost_usd'] === null ? null : Number(row['cost_usd']),
        }
      : null;
    return {
      ordinal: Number(row['ordinal']),
      role: String(row['role']),
      sourceType: String(row['source_type']),
      timestamp: (row['ts'] as string | null) ?? null,
      model: (row['model'] as string | null) ?? null,
      text: (row['text'] as string | null) ?? null,
      textLength: Number(row['text_length']),
      thinking: (row['thinking'] as string | null) ?? null,
      thinkingLength: Number(row['thinking_length']),
      isSidechain: row['is_sidechain'] === true,
      isCompactBoundary: row['is_compact_boundary'] === true,
      usage,
      toolCalls: (row['calls'] as TranscriptToolCall[]) ?? [],
    };
  });
}

export interface FullToolCall {
  name: string;
  input: string | null;
  result: string | null;
  resultLength: number;
  isError: boolean | null;
}

/** One tool call's input and output, the output cut at `limit` characters (a sidecar can hold megabytes). */
export async function toolCall(db: Queryable, sessionId: string, ordinal: number, index: number, limit: number): Promise<FullToolCall | null> {
  const { rows } = await db.query<{ name: string; input: string | null; result: string | null; result_length: number; is_error: boolean | null }>(
    `SELECT name, coalesce(jsonb_pretty(input), input_text) AS input, left(result_text, $4) AS result,
            coalesce(length(result_text), 0) AS result_length, is_error
       FROM ${SCHEMA}.tool_calls WHERE session_id = $1 AND message_ordinal = $2 AND call_index = $3`,
    [sessionId, ordinal, index, limit],
  );
  const row = rows[0];
  return row === undefined ? null : { name: row.name, input: row.input, result: row.result, resultLength: Number(row.result_length), isError: row.is_error };
}
