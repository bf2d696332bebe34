import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * The dashboard's session list: top-level sessions from `session_overview` (subagents rolled into their parent),
 * filtered, sorted and paged in one statement; the total for the pager comes with the rows (`count(*) OVER ()`).
 */

export const SESSION_SORTS = ['started', 'cost', 'tokens', 'duration', 'messages'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

export interface SessionListFilters {
  /** First day, `YYYY-MM-DD`, inclusive (UTC). */
  since?: string | undefined;
  /** Last day, `YYYY-MM-DD`, inclusive (UTC). */
  until?: string | undefined;
  machine?: string | undefined;
  /** A project's display name or its key. */
  project?: string | undefined;
  agent?: string | undefined;
  model?: string | undefined;
  person?: string | undefined;
  team?: string | undefined;
  /** Words of the first prompt (case-insensitive substring). */
  text?: string | undefined;
}

export interface SessionListRow {
  sessionId: string;
  machine: string;
  agent: string;
  project: string;
  model: string | null;
  person: string | null;
  team: string | null;
  firstPrompt: string | null;
  startedAt: string | null;
  durationSeconds: number | null;
  messages: number;
  subagents: number;
  /** Own and subagents' billed tokens. */
  totalTokens: number;
  /** USD of the priced responses, own and subagents'. */
  pricedCostUsd: number;
  /** Responses without a price, own and subagents': when > 0 the cost is incomplete. */
  unpricedResponses: number;
}

export interface SessionPage {
  rows: SessionListRow[];
  total: number;
}

const ORDER: Record<SessionSort, string> = {
  started: 's.started_at',
  cost: 's.priced_total_cost_usd',
  tokens: '(s.input_tokens + s.output_tokens + s.cache_creation_input_tokens + s.cache_read_input_tokens + s.subagent_tokens)',
  duration: 's.duration',
  messages: 's.message_count',
};

export async function listSessions(
  db: Pick<pg.Pool, 'query'>,
  filters: SessionListFilters,
  page: { sort: SessionSort; descending: boolean; limit: number; offset: number },
): Promise<SessionPage> {
  const direction = page.descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
  const { rows } = await db.query<{
    session_id: string; machine: string; agent: string; project: string; model: string | null; person: string | null;
    team: string | null; first_prompt: string | null; started_at: string | null; duration_seconds: string | null;
    message_count: number; subagents: string; total_tokens: string; priced_total_cost_usd: string; unpriced_responses: string;
    total: string;
  }>(
    `SELECT s.session_id, s.machine, s.agent, s.project, s.model, s.person, s.team, s.first_prompt,
            to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
            extract(epoch FROM s.duration)::bigint AS duration_seconds, s.message_count, s.subagents,
            s.input_tokens + s.output_tokens + s.cache_creation_input_tokens + s.cache_read_input_tokens + s.subagent_tokens
              AS total_tokens,
            s.priced_total_cost_usd, s.unpriced_responses, count(*) OVER () AS total
       FROM ${SCHEMA}.session_overview s
      WHERE s.kind = 'session' AND s.deleted_at IS NULL
        AND ($1::date IS NULL OR s.started_at >= $1::date::timestamp AT TIME ZONE 'UTC')
        AND ($2::date IS NULL OR s.started_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC')
        AND ($3::text IS NULL OR s.machine = $3)
        AND ($4::text IS NULL OR s.project = $4 OR s.project_key = $4)
        AND ($5::text IS NULL OR s.agent = $5)
        AND ($6::text IS NULL OR s.model = $6)
        AND ($7::text IS NULL OR s.person = $7)
        AND ($8::text IS NULL OR s.team = $8)
        AND ($9::text IS NULL OR s.first_prompt ILIKE '%' || replace(replace(replace($9, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')
      ORDER BY ${ORDER[page.sort]} ${direction}, s.session_id
      LIMIT $10 OFFSET $11`,
    [
      filters.since ?? null, filters.until ?? null, filters.machine ?? null, filters.project ?? null, filters.agent ?? null,
      filters.model ?? null, filters.person ?? null, filters.team ?? null, filters.text ?? null, page.limit, page.offset,
    ],
  );
  return {
    total: Number(rows[0]?.total ?? 0),
    rows: rows.map((row) => ({
      sessionId: row.session_id,
      machine: row.machine,
      agent: row.agent,
      project: row.project,
      model: row.model,
      person: row.person,
      team: row.team,
      firstPrompt: row.first_prompt,
      startedAt: row.started_at,
      durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
      messages: Number(row.message_count),
      subagents: Number(row.subagents),
      totalTokens: Number(row.total_tokens),
      pricedCostUsd: Number(row.priced_total_cost_usd),
      unpricedResponses: Number(row.unpriced_responses),
    })),
  };
}
