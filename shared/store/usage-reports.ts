import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * The `sessionlake report` queries, read from the usage views (infra/migrations/003_analytics.sql). Days are
 * computed in SQL in the requested time zone; since/until are inclusive days in that zone. A cost is the sum of
 * the priced responses; `unpriced` says how many responses have no price (their cost is unknown, not 0).
 */

export interface ReportFilters {
  /** First day, `YYYY-MM-DD`, inclusive, in `timezone`. */
  since?: string;
  /** Last day, `YYYY-MM-DD`, inclusive, in `timezone`. */
  until?: string;
  machine?: string;
  /** A project's display name or its project key. */
  project?: string;
  /** Only this person's / this team's usage (README "Set up your org"). */
  person?: string;
  team?: string;
  /** An IANA time zone name (`Europe/Berlin`) or anything Postgres accepts; `UTC` by default. */
  timezone: string;
}

export interface TokenTotals {
  responses: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
  /** USD of the priced responses. */
  costUsd: number;
  /** Responses without a price: costUsd leaves them out. */
  unpricedResponses: number;
}

export interface DailyRow extends TokenTotals {
  /** `YYYY-MM-DD` in the report's time zone; null for usage with no timestamp. */
  day: string | null;
  models: string[];
}

export interface SessionRow extends TokenTotals {
  sessionId: string;
  machine: string;
  agent: string;
  project: string;
  projectKey: string;
  firstPrompt: string | null;
  /** ISO-8601 with the offset of the report's time zone. */
  startedAt: string | null;
  durationSeconds: number | null;
  messages: number;
  subagents: number;
}

export interface ModelRow extends TokenTotals {
  model: string | null;
  agent: string;
  /** The model_prices row it was priced as (alias resolved); null when it has no price. */
  pricedAs: string | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** $1 time zone, $2 since, $3 until, $4 machine, $5 project, $6 person, $7 team: the WHERE every report shares, on `usage u`. */
const USAGE_FILTER = `
      ($2::date IS NULL OR u.ts >= ($2::date::timestamp AT TIME ZONE $1))
  AND ($3::date IS NULL OR u.ts < (($3::date + 1)::timestamp AT TIME ZONE $1))
  AND ($4::text IS NULL OR u.machine = $4)
  AND ($5::text IS NULL OR u.project = $5 OR u.project_key = $5)
  AND ($6::text IS NULL OR u.person = $6)
  AND ($7::text IS NULL OR u.team = $7)`;

/** Sums over `usage u`; `counted` is what counts a response (a column of u under an outer join). */
const totalsOf = (counted: string): string => `
  count(${counted}) AS responses,
  sum(u.input_tokens) AS input_tokens,
  sum(u.output_tokens) AS output_tokens,
  sum(u.cache_creation_input_tokens) AS cache_creation_input_tokens,
  sum(u.cache_read_input_tokens) AS cache_read_input_tokens,
  sum(u.reasoning_output_tokens) AS reasoning_output_tokens,
  coalesce(sum(u.cost_usd), 0) AS cost_usd,
  count(${counted}) - count(u.cost_usd) AS unpriced_responses`;
const TOTALS = totalsOf('*');

function parameters(filters: ReportFilters): unknown[] {
  return [
    filters.timezone, filters.since ?? null, filters.until ?? null, filters.machine ?? null, filters.project ?? null,
    filters.person ?? null, filters.team ?? null,
  ];
}

/** $1 since, $2 until, $3 machine, $4 project, $5 person, $6 team: the WHERE of the reports read from `daily_usage d` (UTC days). */
const ROLLUP_FILTER = `
      ($1::date IS NULL OR d.day >= $1::date)
  AND ($2::date IS NULL OR d.day <= $2::date)
  AND ($3::text IS NULL OR d.machine = $3)
  AND ($4::text IS NULL OR d.project = $4 OR d.project_key = $4)
  AND ($5::text IS NULL OR d.person = $5)
  AND ($6::text IS NULL OR d.team = $6)`;

/** The totals of TOTALS, summed over `daily_usage d`. */
const ROLLUP_TOTALS = `
  sum(d.responses) AS responses,
  sum(d.input_tokens) AS input_tokens,
  sum(d.output_tokens) AS output_tokens,
  sum(d.cache_creation_input_tokens) AS cache_creation_input_tokens,
  sum(d.cache_read_input_tokens) AS cache_read_input_tokens,
  sum(d.reasoning_output_tokens) AS reasoning_output_tokens,
  sum(d.priced_cost_usd) AS cost_usd,
  sum(d.unpriced_responses) AS unpriced_responses`;

function rollupParameters(filters: ReportFilters): unknown[] {
  return [filters.since ?? null, filters.until ?? null, filters.machine ?? null, filters.project ?? null, filters.person ?? null, filters.team ?? null];
}

type TotalsRecord = Record<
  | 'responses'
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_creation_input_tokens'
  | 'cache_read_input_tokens'
  | 'reasoning_output_tokens'
  | 'cost_usd'
  | 'unpriced_responses',
  string | null
>;

function totals(row: TotalsRecord): TokenTotals {
  const input = Number(row.input_tokens ?? 0);
  const output = Number(row.output_tokens ?? 0);
  const cacheWrite = Number(row.cache_creation_input_tokens ?? 0);
  const cacheRead = Number(row.cache_read_input_tokens ?? 0);
  return {
    responses: Number(row.responses ?? 0),
    inputTokens: input,
    outputTokens: output,
    cacheCreationInputTokens: cacheWrite,
    cacheReadInputTokens: cacheRead,
    reasoningOutputTokens: Number(row.reasoning_output_tokens ?? 0),
    totalTokens: input + output + cacheWrite + cacheRead,
    costUsd: Number(row.cost_usd ?? 0),
    unpricedResponses: Number(row.unpriced_responses ?? 0),
  };
}

/** Checks the time zone with Postgres itself, so the report accepts exactly what its SQL accepts. */
export async function checkTimezone(db: Queryable, timezone: string): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)
            OR EXISTS (SELECT 1 FROM pg_timezone_abbrevs WHERE abbrev = $1) AS ok`,
    [timezone],
  );
  return rows[0]?.ok === true;
}

/** Time zone names Postgres reads as UTC itself: days cut there are the UTC days of usage_rollup_daily. */
const UTC_NAMES = /^(utc|etc\/utc|etc\/uct|uct|gmt|etc\/gmt|etc\/gmt[+-]0|gmt[+-]0|z|zulu|etc\/zulu|universal|etc\/universal|greenwich|etc\/greenwich)$/i;

export async function dailyReport(db: Queryable, filters: ReportFilters): Promise<DailyRow[]> {
  if (UTC_NAMES.test(filters.timezone.trim())) return dailyReportFromRollup(db, filters);
  const { rows } = await db.query<TotalsRecord & { day: string | null; models: string[] }>(
    `SELECT to_char((u.ts AT TIME ZONE $1)::date, 'YYYY-MM-DD') AS day,
            array_agg(DISTINCT coalesce(u.model, '(no model)') ORDER BY coalesce(u.model, '(no model)')) AS models,
            ${TOTALS}
       FROM ${SCHEMA}.usage u
      WHERE ${USAGE_FILTER}
      GROUP BY 1
      ORDER BY 1 NULLS LAST`,
    parameters(filters),
  );
  return rows.map((row) => ({ day: row.day, models: row.models, ...totals(row) }));
}

/**
 * The daily report in UTC, read from the rollup (migration 012): the same rows as from usage (a day is `since`
 * to `until` inclusive; a response without a time only when neither is given), without reading a row per response.
 */
async function dailyReportFromRollup(db: Queryable, filters: ReportFilters): Promise<DailyRow[]> {
  const { rows } = await db.query<TotalsRecord & { day: string | null; models: string[] }>(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
            array_agg(DISTINCT coalesce(d.model, '(no model)') ORDER BY coalesce(d.model, '(no model)')) AS models,
            ${ROLLUP_TOTALS}
       FROM ${SCHEMA}.daily_usage d
      WHERE ${ROLLUP_FILTER}
      GROUP BY d.day
      ORDER BY d.day NULLS LAST`,
    rollupParameters(filters),
  );
  return rows.map((row) => ({ day: row.day, models: row.models, ...totals(row) }));
}

export async function modelsReport(db: Queryable, filters: ReportFilters): Promise<ModelRow[]> {
  const { rows } = await db.query<TotalsRecord & { model: string | null; agent: string; priced_as: string | null }>(
    `SELECT u.model, u.agent, min(u.priced_as) AS priced_as, ${TOTALS}
       FROM ${SCHEMA}.usage u
      WHERE ${USAGE_FILTER}
      GROUP BY u.model, u.agent
      ORDER BY coalesce(sum(u.cost_usd), 0) DESC, count(*) DESC, u.model NULLS LAST`,
    parameters(filters),
  );
  return rows.map((row) => ({ model: row.model, agent: row.agent, pricedAs: row.priced_as, ...totals(row) }));
}

/**
 * Top-level sessions that started in the period, newest first, with their subagents' usage rolled in. The usage
 * of a session is counted whole, whenever its responses happened.
 */
export async function sessionsReport(db: Queryable, filters: ReportFilters, limit: number): Promise<SessionRow[]> {
  const { rows } = await db.query<
    TotalsRecord & {
      session_id: string;
      machine: string;
      agent: string;
      project: string;
      project_key: string;
      first_prompt: string | null;
      started_at: string | null;
      duration_seconds: string | null;
      messages: string;
      subagents: string;
    }
  >(
    `WITH RECURSIVE tree (root_id, session_id, depth) AS (
       SELECT s.session_id, s.session_id, 0
         FROM ${SCHEMA}.session_overview s
        WHERE s.kind = 'session'
          AND ($2::date IS NULL OR s.started_at >= ($2::date::timestamp AT TIME ZONE $1))
          AND ($3::date IS NULL OR s.started_at < (($3::date + 1)::timestamp AT TIME ZONE $1))
          AND ($4::text IS NULL OR s.machine = $4)
          AND ($5::text IS NULL OR s.project = $5 OR s.project_key = $5)
          AND ($6::text IS NULL OR s.person = $6)
          AND ($7::text IS NULL OR s.team = $7)
       UNION ALL
       SELECT t.root_id, c.id, t.depth + 1
         FROM tree t JOIN ${SCHEMA}.sessions c ON c.parent_session_id = t.session_id
        WHERE t.depth < 16
     ),
     usage_by_root AS (
       SELECT t.root_id, ${totalsOf('u.session_id')}
         FROM tree t LEFT JOIN ${SCHEMA}.usage u ON u.session_id = t.session_id
        GROUP BY t.root_id
     )
     SELECT s.session_id, s.machine, s.agent, s.project, s.project_key, s.first_prompt,
            to_char(s.started_at AT TIME ZONE $1, 'YYYY-MM-DD"T"HH24:MI:SS') AS started_at,
            extract(epoch FROM s.duration)::bigint AS duration_seconds,
            s.message_count AS messages, s.subagents, r.responses, r.input_tokens, r.output_tokens,
            r.cache_creation_input_tokens, r.cache_read_input_tokens, r.reasoning_output_tokens, r.cost_usd,
            r.unpriced_responses
       FROM ${SCHEMA}.session_overview s
       JOIN usage_by_root r ON r.root_id = s.session_id
      ORDER BY s.started_at DESC NULLS LAST, s.session_id
      LIMIT $8`,
    [...parameters(filters), limit],
  );
  return rows.map((row) => ({
    sessionId: row.session_id,
    machine: row.machine,
    agent: row.agent,
    project: row.project,
    projectKey: row.project_key,
    firstPrompt: row.first_prompt,
    startedAt: row.started_at,
    durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
    messages: Number(row.messages),
    subagents: Number(row.subagents),
    ...totals(row),
  }));
}

/** What `report daily --by` groups each day's usage by (columns of daily_usage and usage alike). */
export const REPORT_DIMENSIONS = ['person', 'team', 'project', 'machine', 'model', 'agent'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface GroupedRow extends TokenTotals {
  /** `YYYY-MM-DD` in the report's time zone; null for usage with no timestamp. */
  day: string | null;
  /** The group's value; null when the usage has none (a session nobody is named for, a model not logged). */
  group: string | null;
}

/**
 * Each day's usage per person, team, project, machine, model or agent: from the rollup in UTC (daily_usage), from
 * the billed responses in any other time zone (usage); the same numbers either way.
 */
export async function groupedDailyReport(db: Queryable, filters: ReportFilters, by: ReportDimension): Promise<GroupedRow[]> {
  const column = by;
  const fromRollup = UTC_NAMES.test(filters.timezone.trim());
  const { rows } = fromRollup
    ? await db.query<TotalsRecord & { day: string | null; grp: string | null }>(
        `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.${column} AS grp, ${ROLLUP_TOTALS}
           FROM ${SCHEMA}.daily_usage d
          WHERE ${ROLLUP_FILTER}
          GROUP BY 1, 2
          ORDER BY 1 NULLS LAST, sum(d.priced_cost_usd) DESC, 2 NULLS LAST`,
        rollupParameters(filters),
      )
    : await db.query<TotalsRecord & { day: string | null; grp: string | null }>(
        `SELECT to_char((u.ts AT TIME ZONE $1)::date, 'YYYY-MM-DD') AS day, u.${column} AS grp, ${TOTALS}
           FROM ${SCHEMA}.usage u
          WHERE ${USAGE_FILTER}
          GROUP BY 1, 2
          ORDER BY 1 NULLS LAST, coalesce(sum(u.cost_usd), 0) DESC, 2 NULLS LAST`,
        parameters(filters),
      );
  return rows.map((row) => ({ day: row.day, group: row.grp, ...totals(row) }));
}
