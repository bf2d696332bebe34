/**
 * The usage views as they were before billing was decided at write time (migration 012): session_projects of
 * migration 003, usage and daily_usage of migration 007 and session_overview of migration 005, copied verbatim, created in a schema of their own. They
 * decide billing and prices on every query from the messages, so they are the reference the decided rows and the
 * rollups must equal, column for column.
 */
import type pg from 'pg';

export const REFERENCE_SCHEMA = 'reference_usage';

const VIEWS = String.raw`
CREATE VIEW session_projects WITH (security_invoker = true) AS
WITH keyed AS (
  SELECT s.id AS session_id, s.machine, s.cwd, s.started_at,
         project_folder(s.agent, s.id, s.cwd) AS folder,
         s.machine || '/' || coalesce(project_folder(s.agent, s.id, s.cwd), '(no project)') AS project_key
    FROM sessions s
),
learned AS (
  SELECT DISTINCT ON (project_key) project_key, cwd
    FROM keyed
   WHERE nullif(cwd, '') IS NOT NULL
   GROUP BY project_key, cwd
   ORDER BY project_key, count(*) DESC, max(started_at) DESC NULLS LAST, cwd
),
projects AS (
  SELECT DISTINCT ON (k.project_key) k.project_key, k.machine, l.cwd AS path,
         coalesce(path_basename(l.cwd), k.folder, '(no project)') AS short_name,
         coalesce(path_tail2(l.cwd), k.folder, '(no project)') AS longer_name
    FROM keyed k LEFT JOIN learned l USING (project_key)
   ORDER BY k.project_key
),
named AS (
  SELECT project_key, path,
         CASE WHEN count(*) OVER (PARTITION BY machine, short_name) = 1 THEN short_name
              WHEN count(*) OVER (PARTITION BY machine, longer_name) = 1 THEN longer_name
              ELSE coalesce(path, project_key) END AS project
    FROM projects
)
SELECT k.session_id, k.project_key, n.project, n.path AS project_path
  FROM keyed k JOIN named n USING (project_key);

CREATE VIEW usage WITH (security_invoker = true) AS
SELECT (m."timestamp" AT TIME ZONE 'UTC')::date AS day,
       m."timestamp" AS ts,
       s.machine,
       s.agent,
       sp.project_key,
       sp.project,
       s.id AS session_id,
       s.kind AS session_kind,
       s.parent_session_id,
       m.ordinal AS message_ordinal,
       m.message_id,
       m.request_id,
       m.is_sidechain,
       m.model,
       coalesce(m.input_tokens, 0) + split.compaction_input AS input_tokens,
       coalesce(m.output_tokens, 0) + split.compaction_output AS output_tokens,
       coalesce(m.cache_creation_input_tokens, 0) + split.compaction_cache_write AS cache_creation_input_tokens,
       split.cache_write_5m_tokens + split.compaction_cache_write - split.compaction_cache_write_1h AS cache_write_5m_tokens,
       split.cache_write_1h_tokens + split.compaction_cache_write_1h AS cache_write_1h_tokens,
       coalesce(m.cache_read_input_tokens, 0) + split.compaction_cache_read AS cache_read_input_tokens,
       coalesce(m.reasoning_output_tokens, 0) AS reasoning_output_tokens,
       split.is_fast,
       (period.price).model AS priced_as,
       (period.price).effective_from AS price_effective_from,
       (period.price).long_context_threshold IS NOT NULL
         AND coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
             + coalesce(m.cache_creation_input_tokens, 0) > (period.price).long_context_threshold AS is_long_context,
       response_cost(period.price, coalesce(m.input_tokens, 0), coalesce(m.output_tokens, 0), split.cache_write_5m_tokens,
                     split.cache_write_1h_tokens, coalesce(m.cache_read_input_tokens, 0), split.is_fast)
       + CASE WHEN split.has_compaction
              THEN response_cost(period.price, split.compaction_input, split.compaction_output,
                                 split.compaction_cache_write - split.compaction_cache_write_1h, split.compaction_cache_write_1h,
                                 split.compaction_cache_read, split.is_fast)
              ELSE 0 END AS cost_usd,
       split.compaction_input AS compaction_input_tokens,
       split.compaction_output AS compaction_output_tokens,
       split.compaction_cache_write AS compaction_cache_creation_input_tokens,
       split.compaction_cache_read AS compaction_cache_read_input_tokens
  FROM messages m
  JOIN sessions s ON s.id = m.session_id
  JOIN session_projects sp ON sp.session_id = s.id
  CROSS JOIN LATERAL (
    SELECT coalesce(m.cache_creation_input_tokens, 0) - one_hour.tokens AS cache_write_5m_tokens,
           one_hour.tokens AS cache_write_1h_tokens,
           s.agent = 'claude' AND m.usage ->> 'speed' = 'fast' AS is_fast,
           m.compaction_input_tokens IS NOT NULL AS has_compaction,
           coalesce(m.compaction_input_tokens, 0) AS compaction_input,
           coalesce(m.compaction_output_tokens, 0) AS compaction_output,
           coalesce(m.compaction_cache_creation_input_tokens, 0) AS compaction_cache_write,
           coalesce(m.compaction_cache_creation_1h_input_tokens, 0) AS compaction_cache_write_1h,
           coalesce(m.compaction_cache_read_input_tokens, 0) AS compaction_cache_read
      FROM (SELECT CASE WHEN m.cache_creation_1h_input_tokens IS NOT NULL THEN m.cache_creation_1h_input_tokens
                        WHEN s.agent = 'claude' AND jsonb_typeof(m.usage -> 'cache_creation') = 'object'
                        THEN least(coalesce(json_count(m.usage -> 'cache_creation' -> 'ephemeral_1h_input_tokens'), 0),
                                   coalesce(m.cache_creation_input_tokens, 0))
                        ELSE 0 END AS tokens) AS one_hour
    -- OFFSET 0 keeps these as computed columns: as plain column references the cost functions below get inlined
    -- (an argument used several times in a SQL function is inlined only when it is cheap)
    OFFSET 0
  ) AS split
  LEFT JOIN model_aliases alias ON alias.alias = m.model
  -- a response without a time is priced at the latest price
  LEFT JOIN model_price_periods period
    ON period.model = coalesce(alias.model, m.model)
   AND coalesce(m."timestamp", 'infinity') >= period.valid_from
   AND (coalesce(m."timestamp", 'infinity') < period.valid_until OR period.valid_until = 'infinity')
 WHERE num_nonnulls(m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens) > 0
   AND m.model IS DISTINCT FROM '<synthetic>'
   -- a better Claude copy of the same response elsewhere
   AND NOT EXISTS (
     SELECT 1 FROM messages o
      WHERE m.message_id IS NOT NULL
        AND o.message_id = m.message_id
        AND coalesce(o.request_id, '') = coalesce(m.request_id, '')
        AND num_nonnulls(o.input_tokens, o.output_tokens, o.cache_creation_input_tokens, o.cache_read_input_tokens) > 0
        AND o.model IS DISTINCT FROM '<synthetic>'
        AND (coalesce(o.output_tokens, -1), NOT o.is_sidechain, m.session_id, m.ordinal)
            > (coalesce(m.output_tokens, -1), NOT m.is_sidechain, o.session_id, o.ordinal))
   -- the same Codex rollout under another key, kept or first by id
   AND NOT EXISTS (
     SELECT 1 FROM sessions os
       JOIN messages o ON o.session_id = os.id AND o.ordinal = m.ordinal
      WHERE s.agent = 'codex'
        AND os.agent = 'codex'
        AND os.source_session_id = s.source_session_id
        AND os.id <> s.id
        AND o.request_id IS NOT DISTINCT FROM m.request_id
        AND o.input_tokens IS NOT DISTINCT FROM m.input_tokens
        AND o.output_tokens IS NOT DISTINCT FROM m.output_tokens
        AND o.cache_read_input_tokens IS NOT DISTINCT FROM m.cache_read_input_tokens
        AND (os.deleted_at IS NULL, s.id) > (s.deleted_at IS NULL, os.id));

CREATE VIEW daily_usage WITH (security_invoker = true) AS
SELECT day, machine, agent, project_key, project, model,
       count(*) AS responses,
       sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
       sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(cache_read_input_tokens) AS cache_read_input_tokens,
       sum(reasoning_output_tokens) AS reasoning_output_tokens,
       sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS total_tokens,
       CASE WHEN count(cost_usd) = count(*) THEN sum(cost_usd) END AS cost_usd,
       coalesce(sum(cost_usd), 0) AS priced_cost_usd,
       count(*) - count(cost_usd) AS unpriced_responses,
       sum(compaction_input_tokens) AS compaction_input_tokens,
       sum(compaction_output_tokens) AS compaction_output_tokens,
       sum(compaction_cache_creation_input_tokens) AS compaction_cache_creation_input_tokens,
       sum(compaction_cache_read_input_tokens) AS compaction_cache_read_input_tokens
  FROM usage
 GROUP BY day, machine, agent, project_key, project, model;

CREATE VIEW session_overview WITH (security_invoker = true) AS
WITH RECURSIVE tree (root_id, session_id, depth) AS (
  SELECT id, id, 0 FROM sessions
  UNION ALL
  SELECT t.root_id, c.id, t.depth + 1
    FROM tree t JOIN sessions c ON c.parent_session_id = t.session_id
   WHERE t.depth < 16
),
own AS (
  SELECT session_id, count(*) AS responses,
         sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
         sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
         sum(cache_read_input_tokens) AS cache_read_input_tokens,
         sum(reasoning_output_tokens) AS reasoning_output_tokens,
         coalesce(sum(cost_usd), 0) AS priced_cost_usd,
         count(*) - count(cost_usd) AS unpriced_responses
    FROM usage GROUP BY session_id
),
rolled AS (
  SELECT t.root_id,
         count(*) FILTER (WHERE t.depth > 0) AS subagents,
         coalesce(sum(o.priced_cost_usd) FILTER (WHERE t.depth > 0), 0) AS subagent_cost_usd,
         coalesce(sum(o.unpriced_responses) FILTER (WHERE t.depth > 0), 0) AS subagent_unpriced_responses,
         coalesce(sum(o.input_tokens + o.output_tokens + o.cache_creation_input_tokens + o.cache_read_input_tokens)
                  FILTER (WHERE t.depth > 0), 0) AS subagent_tokens
    FROM tree t LEFT JOIN own o ON o.session_id = t.session_id
   GROUP BY t.root_id
)
SELECT s.id AS session_id, s.machine, s.agent, s.kind, sp.project_key, sp.project, s.git_branch,
       s.title AS first_prompt, s.model, s.started_at, s.ended_at, s.ended_at - s.started_at AS duration,
       s.message_count, s.user_message_count, s.tool_call_count,
       s.parent_session_id, r.subagents,
       coalesce(o.responses, 0) AS responses,
       coalesce(o.input_tokens, 0) AS input_tokens,
       coalesce(o.output_tokens, 0) AS output_tokens,
       coalesce(o.cache_creation_input_tokens, 0) AS cache_creation_input_tokens,
       coalesce(o.cache_read_input_tokens, 0) AS cache_read_input_tokens,
       coalesce(o.reasoning_output_tokens, 0) AS reasoning_output_tokens,
       CASE WHEN coalesce(o.unpriced_responses, 0) = 0 THEN coalesce(o.priced_cost_usd, 0) END AS cost_usd,
       r.subagent_tokens,
       CASE WHEN r.subagent_unpriced_responses = 0 THEN r.subagent_cost_usd END AS subagent_cost_usd,
       CASE WHEN coalesce(o.unpriced_responses, 0) + r.subagent_unpriced_responses = 0
            THEN coalesce(o.priced_cost_usd, 0) + r.subagent_cost_usd END AS total_cost_usd,
       coalesce(o.priced_cost_usd, 0) + r.subagent_cost_usd AS priced_total_cost_usd,
       coalesce(o.unpriced_responses, 0) + r.subagent_unpriced_responses AS unpriced_responses,
       s.malformed_lines, s.is_truncated, s.deleted_at,
       s.secrets_found
  FROM sessions s
  JOIN session_projects sp ON sp.session_id = s.id
  JOIN rolled r ON r.root_id = s.id
  LEFT JOIN own o ON o.session_id = s.id;`;

export async function createReferenceViews(db: pg.Pool | pg.Client): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${REFERENCE_SCHEMA} CASCADE`);
  await db.query(`CREATE SCHEMA ${REFERENCE_SCHEMA}`);
  // Unqualified names resolve to the reference views first, then to the tables and functions of sessionlake.
  await db.query(`SET search_path TO ${REFERENCE_SCHEMA}, sessionlake`);
  try {
    await db.query(VIEWS);
  } finally {
    await db.query('RESET search_path');
  }
}

/** daily_usage at the grain it had before person and team were added to it. */
const DAILY_USAGE_WITHOUT_PEOPLE = `
SELECT day, machine, agent, project_key, project, model,
       sum(responses)::bigint AS responses, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_creation_input_tokens) AS cache_creation_input_tokens, sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(cache_read_input_tokens) AS cache_read_input_tokens, sum(reasoning_output_tokens) AS reasoning_output_tokens,
       sum(total_tokens) AS total_tokens,
       CASE WHEN sum(unpriced_responses) = 0 THEN sum(priced_cost_usd) END AS cost_usd,
       sum(priced_cost_usd) AS priced_cost_usd, sum(unpriced_responses)::bigint AS unpriced_responses,
       sum(compaction_input_tokens) AS compaction_input_tokens, sum(compaction_output_tokens) AS compaction_output_tokens,
       sum(compaction_cache_creation_input_tokens) AS compaction_cache_creation_input_tokens,
       sum(compaction_cache_read_input_tokens) AS compaction_cache_read_input_tokens
  FROM sessionlake.daily_usage
 GROUP BY day, machine, agent, project_key, project, model`;

export const COMPARED_VIEWS = ['session_projects', 'usage', 'daily_usage', 'session_overview'] as const;

/** Rows of a view that differ (in any column) from the reference, both ways; counts of both. */
export async function differences(
  db: pg.Pool | pg.Client,
  view: (typeof COMPARED_VIEWS)[number],
): Promise<{ rows: number; reference: number; onlyNew: unknown[]; onlyReference: unknown[] }> {
  const theirs = `${REFERENCE_SCHEMA}.${view}`;
  // Person and team came later (migration 019): compared on the reference's columns, daily_usage summed over them.
  const columns = await db.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [REFERENCE_SCHEMA, view],
  );
  const list = columns.rows.map((column) => `"${column.name}"`).join(', ');
  const ours = view === 'daily_usage' ? `(${DAILY_USAGE_WITHOUT_PEOPLE}) AS ours` : `(SELECT ${list} FROM sessionlake.${view}) AS ours`;
  const onlyNew = await db.query(`SELECT * FROM ${ours} EXCEPT ALL SELECT * FROM ${theirs} LIMIT 5`);
  const onlyReference = await db.query(`SELECT * FROM ${theirs} EXCEPT ALL SELECT * FROM ${ours} LIMIT 5`);
  const counts = await db.query<{ rows: string; reference: string }>(
    `SELECT (SELECT count(*) FROM ${ours}) AS rows, (SELECT count(*) FROM ${theirs}) AS reference`,
  );
  return {
    rows: Number(counts.rows[0]?.rows),
    reference: Number(counts.rows[0]?.reference),
    onlyNew: onlyNew.rows,
    onlyReference: onlyReference.rows,
  };
}
