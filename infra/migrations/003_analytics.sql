-- The analysts' side: prices, a cost function, one project key per machine and folder, usage and cost views,
-- full-text search. docs/queries.md shows how to use them; README.md "Usage, cost and search" states the rules.
--
-- Every view is created WITH (security_invoker = true), so row-level security on sessions, messages and
-- tool_calls applies to whoever queries the view, not to the view's owner (Postgres 15+).

-------------------------------------------------------------------------------------------------------------------
-- Prices
-------------------------------------------------------------------------------------------------------------------

-- USD per million tokens. A model's price applies from effective_from until the next row of the same model; the
-- seeded launch prices start at 1970-01-01 ("since the model exists"), a price change adds a row with its date.
CREATE TABLE model_prices (
  model                   text NOT NULL,         -- canonical name; model_aliases maps the names logs use to it
  effective_from          timestamptz NOT NULL,
  input                   numeric NOT NULL,      -- uncached input (Claude input_tokens, Codex input minus cached)
  output                  numeric NOT NULL,      -- output, thinking / reasoning included
  cache_write_5m          numeric,               -- NULL: the provider has no cache writes (OpenAI)
  cache_write_1h          numeric,
  cache_read              numeric,               -- Claude cache reads, Codex cached input
  -- Long context: a request whose input + cache reads + cache writes exceed the threshold is billed at these
  -- rates on every one of its tokens (Anthropic's rule). NULL threshold: the model has no such tier.
  long_context_threshold  bigint,
  long_input              numeric,
  long_output             numeric,
  long_cache_write_5m     numeric,
  long_cache_write_1h     numeric,
  long_cache_read         numeric,
  -- Claude `usage.speed = "fast"` multiplies the whole price; NULL: no fast-mode price known (cost NULL).
  fast_multiplier         numeric,
  source                  text NOT NULL,
  source_date             date NOT NULL,         -- when the source was read
  PRIMARY KEY (model, effective_from),
  CHECK (long_context_threshold IS NULL OR (long_input IS NOT NULL AND long_output IS NOT NULL))
);

-- Names as logs write them (dated snapshots, older spellings) → model_prices.model.
CREATE TABLE model_aliases (
  alias text PRIMARY KEY,
  model text NOT NULL
);

-- Seed: the models that appear in Claude Code and Codex logs. Rates from LiteLLM's price table as bundled in
-- ccusage 20.0.11 (its offline prices); the 1-hour cache write is 2 × input and the long-context rates of
-- Sonnet 4 / 4.5 are Anthropic's (input 2 ×, output 1.5 ×, cache rates on the long-context input).
INSERT INTO model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read,
                          long_context_threshold, long_input, long_output, long_cache_write_5m, long_cache_write_1h,
                          long_cache_read, fast_multiplier, source, source_date)
SELECT model, '1970-01-01T00:00:00Z', input, output, cw5, cw1h, cr, threshold, l_in, l_out, l_cw5, l_cw1h, l_cr, fast,
       source, '2026-11-27'
FROM (VALUES
  -- model                 input  output  cw5m    cw1h  read   >200k: threshold input output cw5m cw1h read   fast
  ('claude-3-haiku',        0.25,  1.25,  0.30,   0.50, 0.03,  NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric),
  ('claude-3-opus',         15,    75,    18.75,  30,   1.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-3-sonnet',       3,     15,    3.75,   6,    0.30,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-3-5-haiku',      0.80,  4,     1,      1.60, 0.08,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-3-5-sonnet',     3,     15,    3.75,   6,    0.30,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-3-7-sonnet',     3,     15,    3.75,   6,    0.30,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-sonnet-4',       3,     15,    3.75,   6,    0.30,  200000, 6, 22.50, 7.50, 12, 0.60, NULL),
  ('claude-opus-4',         15,    75,    18.75,  30,   1.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-opus-4-1',       15,    75,    18.75,  30,   1.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-sonnet-4-5',     3,     15,    3.75,   6,    0.30,  200000, 6, 22.50, 7.50, 12, 0.60, NULL),
  ('claude-haiku-4-5',      1,     5,     1.25,   2,    0.10,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-opus-4-5',       5,     25,    6.25,   10,   0.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-opus-4-6',       5,     25,    6.25,   10,   0.50,  NULL, NULL, NULL, NULL, NULL, NULL, 6),
  ('claude-sonnet-4-6',     3,     15,    3.75,   6,    0.30,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('claude-opus-4-7',       5,     25,    6.25,   10,   0.50,  NULL, NULL, NULL, NULL, NULL, NULL, 6),
  ('claude-opus-4-8',       5,     25,    6.25,   10,   0.50,  NULL, NULL, NULL, NULL, NULL, NULL, 2),
  ('claude-fable-5',        10,    50,    12.50,  20,   1,     NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-4.1',               2,     8,     NULL,   NULL, 0.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5',                 1.25,  10,    NULL,   NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5-codex',           1.25,  10,    NULL,   NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5-mini',            0.25,  2,     NULL,   NULL, 0.025, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5-nano',            0.05,  0.40,  NULL,   NULL, 0.005, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.1',               1.25,  10,    NULL,   NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.1-codex',         1.25,  10,    NULL,   NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.1-codex-max',     1.25,  10,    NULL,   NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.1-codex-mini',    0.25,  2,     NULL,   NULL, 0.025, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.2',               1.75,  14,    NULL,   NULL, 0.175, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.2-codex',         1.75,  14,    NULL,   NULL, 0.175, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.3-codex',         1.75,  14,    NULL,   NULL, 0.175, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.4',               2.50,  15,    NULL,   NULL, 0.25,  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.4-mini',          0.75,  4.50,  NULL,   NULL, 0.075, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('gpt-5.5',               5,     30,    NULL,   NULL, 0.50,  NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS seed(model, input, output, cw5, cw1h, cr, threshold, l_in, l_out, l_cw5, l_cw1h, l_cr, fast)
CROSS JOIN LATERAL (SELECT CASE WHEN model LIKE 'claude-%'
  THEN 'LiteLLM model_prices_and_context_window.json as bundled in ccusage 20.0.11; 1-hour cache writes and long context: https://docs.claude.com/en/docs/about-claude/pricing'
  ELSE 'LiteLLM model_prices_and_context_window.json as bundled in ccusage 20.0.11' END AS source) AS src;

INSERT INTO model_aliases (alias, model) VALUES
  ('claude-3-haiku-20240307', 'claude-3-haiku'),
  ('claude-3-opus-20240229', 'claude-3-opus'),
  ('claude-3-opus-latest', 'claude-3-opus'),
  ('claude-3-sonnet-20240229', 'claude-3-sonnet'),
  ('claude-3-5-haiku-20241022', 'claude-3-5-haiku'),
  ('claude-3-5-haiku-latest', 'claude-3-5-haiku'),
  ('claude-3-5-sonnet-20240620', 'claude-3-5-sonnet'),
  ('claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'),
  ('claude-3-5-sonnet-latest', 'claude-3-5-sonnet'),
  ('claude-3-7-sonnet-20250219', 'claude-3-7-sonnet'),
  ('claude-3-7-sonnet-latest', 'claude-3-7-sonnet'),
  ('claude-sonnet-4-20250514', 'claude-sonnet-4'),
  ('claude-4-sonnet-20250514', 'claude-sonnet-4'),
  ('claude-opus-4-20250514', 'claude-opus-4'),
  ('claude-4-opus-20250514', 'claude-opus-4'),
  ('claude-opus-4-1-20250805', 'claude-opus-4-1'),
  ('claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'),
  ('claude-haiku-4-5-20251001', 'claude-haiku-4-5'),
  ('claude-opus-4-5-20251101', 'claude-opus-4-5'),
  ('claude-opus-4-6-20260205', 'claude-opus-4-6'),
  ('claude-opus-4-7-20260416', 'claude-opus-4-7'),
  ('gpt-4.1-2025-04-14', 'gpt-4.1'),
  ('gpt-5-2025-08-07', 'gpt-5'),
  ('gpt-5-mini-2025-08-07', 'gpt-5-mini'),
  ('gpt-5-nano-2025-08-07', 'gpt-5-nano'),
  ('gpt-5.1-2025-11-13', 'gpt-5.1'),
  ('gpt-5.2-2025-12-11', 'gpt-5.2'),
  ('gpt-5.4-2026-03-05', 'gpt-5.4'),
  ('gpt-5.4-mini-2026-03-17', 'gpt-5.4-mini'),
  ('gpt-5.5-2026-04-23', 'gpt-5.5');

-- A token count from a raw usage object, or NULL when it is not a whole number a bigint holds.
CREATE FUNCTION json_count(value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(value) = 'number' AND value::text ~ '^[0-9]{1,18}$' THEN value::text::bigint END
$$;

-- tokens × USD per million; 0 tokens cost 0 even without a rate, tokens without a rate make the cost unknown.
CREATE FUNCTION token_cost(tokens bigint, per_million numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN coalesce(tokens, 0) = 0 THEN 0 ELSE tokens * per_million / 1000000 END
$$;

-- The cost in USD of one model response, NULL when the price is unknown (no price row, a token type without a
-- rate, fast mode without a multiplier). Long context: input + cache reads + cache writes above the threshold
-- puts every token of the request at the long-context rates.
CREATE FUNCTION response_cost(price model_prices, input bigint, output bigint, cache_write_5m bigint,
                              cache_write_1h bigint, cache_read bigint, is_fast boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN (price).model IS NULL THEN NULL ELSE
    (CASE WHEN is_fast THEN (price).fast_multiplier ELSE 1 END) *
    (CASE WHEN (price).long_context_threshold IS NOT NULL
               AND coalesce(input, 0) + coalesce(cache_read, 0) + coalesce(cache_write_5m, 0)
                   + coalesce(cache_write_1h, 0) > (price).long_context_threshold
      THEN sessionlake.token_cost(input, (price).long_input) + sessionlake.token_cost(output, (price).long_output)
           + sessionlake.token_cost(cache_write_5m, (price).long_cache_write_5m) + sessionlake.token_cost(cache_write_1h, (price).long_cache_write_1h)
           + sessionlake.token_cost(cache_read, (price).long_cache_read)
      ELSE sessionlake.token_cost(input, (price).input) + sessionlake.token_cost(output, (price).output)
           + sessionlake.token_cost(cache_write_5m, (price).cache_write_5m) + sessionlake.token_cost(cache_write_1h, (price).cache_write_1h)
           + sessionlake.token_cost(cache_read, (price).cache_read)
    END)
  END
$$;

-- Each price row with the period it is in force: [valid_from, valid_until).
CREATE VIEW model_price_periods WITH (security_invoker = true) AS
SELECT p.model, p.effective_from AS valid_from,
       coalesce(lead(p.effective_from) OVER (PARTITION BY p.model ORDER BY p.effective_from), 'infinity') AS valid_until,
       p AS price
  FROM model_prices p;

-- The price row in force for a model name (alias resolved) at a time; the latest one when the time is unknown.
CREATE FUNCTION price_at(model_name text, at timestamptz) RETURNS model_prices
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT p FROM sessionlake.model_prices p
   WHERE p.model = coalesce((SELECT a.model FROM sessionlake.model_aliases a WHERE a.alias = model_name), model_name)
     AND p.effective_from <= coalesce(at, 'infinity')
   ORDER BY p.effective_from DESC
   LIMIT 1
$$;

-------------------------------------------------------------------------------------------------------------------
-- One project, one name
-------------------------------------------------------------------------------------------------------------------

-- The project folder of a session. Claude: the encoded folder its file sits in (`-Users-alice-code-my-app`, the
-- segment after <machine>/raw/claude/ in its key, which is its id). Codex: its cwd encoded the way Claude Code
-- encodes a folder (every character other than A-Z, a-z, 0-9 becomes "-"), so both agents in one folder on one
-- machine share a project. NULL when a Codex session has no cwd.
CREATE FUNCTION project_folder(agent text, session_id text, cwd text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN agent = 'claude'
      THEN (string_to_array(session_id, '/'))[array_position(string_to_array(session_id, '/'), 'raw', 2) + 2]
    WHEN nullif(cwd, '') IS NOT NULL THEN regexp_replace(cwd, '[^A-Za-z0-9]', '-', 'g')
  END
$$;

-- Last segment of a POSIX or Windows path.
CREATE FUNCTION path_basename(path text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(regexp_replace(regexp_replace(path, '[/\\]+$', ''), '^.*[/\\]', ''), '')
$$;

-- Last two segments of a path (`code/api`), to tell apart two folders of one machine with the same name.
CREATE FUNCTION path_tail2(path text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(regexp_replace(regexp_replace(path, '[/\\]+$', ''), '^.*[/\\]([^/\\]+[/\\][^/\\]+)$', '\1'), '')
$$;

-- One row per session: its project key (`<machine>/<folder>`, stable whatever is ingested later) and display
-- name. The name comes from the folder's cwd as any of its sessions recorded it (the most common one; later
-- ingests can teach it), else the encoded folder itself. Two folders of one machine with the same name are shown
-- with their parent folder (`a/api`, `b/api`), then with the whole path.
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

-------------------------------------------------------------------------------------------------------------------
-- Usage and cost
-------------------------------------------------------------------------------------------------------------------

-- Days of billed rows in UTC: what daily_usage filters on (one month of a large table reads only that month).
CREATE INDEX messages_billed_day_idx ON messages (((("timestamp" AT TIME ZONE 'UTC'))::date))
  WHERE num_nonnulls(input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens) > 0;

-- One row per billed model response across all sessions. A Claude response copied into another file (a
-- subagent's lines also in its parent, a resumed or forked session replaying history) is billed once: copies
-- share message.id + requestId (message.id alone when requestId is missing); the copy with the largest output
-- wins, then the non-sidechain one, then the first by session id and position. A Codex rollout stored under two
-- keys (sessions/ and archived_sessions/) is billed once, from the copy not deleted from S3. `<synthetic>`
-- notices are not responses. Sessions deleted from S3 keep counting: their rows are history.
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
       coalesce(m.input_tokens, 0) AS input_tokens,
       coalesce(m.output_tokens, 0) AS output_tokens,
       coalesce(m.cache_creation_input_tokens, 0) AS cache_creation_input_tokens,
       split.cache_write_5m_tokens,
       split.cache_write_1h_tokens,
       coalesce(m.cache_read_input_tokens, 0) AS cache_read_input_tokens,
       coalesce(m.reasoning_output_tokens, 0) AS reasoning_output_tokens,
       split.is_fast,
       (period.price).model AS priced_as,
       (period.price).effective_from AS price_effective_from,
       (period.price).long_context_threshold IS NOT NULL
         AND coalesce(m.input_tokens, 0) + coalesce(m.cache_read_input_tokens, 0)
             + coalesce(m.cache_creation_input_tokens, 0) > (period.price).long_context_threshold AS is_long_context,
       response_cost(period.price, coalesce(m.input_tokens, 0), coalesce(m.output_tokens, 0), split.cache_write_5m_tokens,
                     split.cache_write_1h_tokens, coalesce(m.cache_read_input_tokens, 0), split.is_fast) AS cost_usd
  FROM messages m
  JOIN sessions s ON s.id = m.session_id
  JOIN session_projects sp ON sp.session_id = s.id
  CROSS JOIN LATERAL (
    SELECT coalesce(m.cache_creation_input_tokens, 0) - one_hour.tokens AS cache_write_5m_tokens,
           one_hour.tokens AS cache_write_1h_tokens,
           s.agent = 'claude' AND m.usage ->> 'speed' = 'fast' AS is_fast
      FROM (SELECT CASE WHEN s.agent = 'claude' AND jsonb_typeof(m.usage -> 'cache_creation') = 'object'
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

-- Tokens and cost per UTC day, machine, agent, project and model. cost_usd is NULL when any response of the row
-- has no price (see unpriced_usage); priced_cost_usd is the part that has one.
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
       count(*) - count(cost_usd) AS unpriced_responses
  FROM usage
 GROUP BY day, machine, agent, project_key, project, model;

-- Billed usage that has no cost, and why: never shown as $0.
CREATE VIEW unpriced_usage WITH (security_invoker = true) AS
SELECT u.model, u.agent,
       CASE WHEN u.model IS NULL THEN 'the log names no model'
            WHEN u.priced_as IS NULL THEN 'no price for this model in model_prices'
            WHEN u.is_fast AND (price_at(u.model, u.ts)).fast_multiplier IS NULL THEN 'fast mode without a fast_multiplier'
            ELSE 'a token type this model has no rate for' END AS reason,
       count(*) AS responses,
       min(u.ts) AS first_seen,
       max(u.ts) AS last_seen,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_creation_input_tokens) AS cache_creation_input_tokens,
       sum(u.cache_read_input_tokens) AS cache_read_input_tokens
  FROM usage u
 WHERE u.cost_usd IS NULL
 GROUP BY 1, 2, 3;

-- One row per session: what it did, what it cost, and its subagents (all depths) with their cost rolled up.
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
       s.malformed_lines, s.is_truncated, s.deleted_at
  FROM sessions s
  JOIN session_projects sp ON sp.session_id = s.id
  JOIN rolled r ON r.root_id = s.id
  LEFT JOIN own o ON o.session_id = s.id;

-- Tool calls per UTC day (of the calling message), machine, agent and tool. error_rate counts answered calls
-- only (a pending call has no outcome yet); result sizes are in bytes.
CREATE VIEW tool_usage WITH (security_invoker = true) AS
SELECT (m."timestamp" AT TIME ZONE 'UTC')::date AS day, s.machine, s.agent, t.name AS tool,
       count(*) AS calls,
       count(*) FILTER (WHERE t.is_error) AS errors,
       count(*) FILTER (WHERE t.is_error IS NULL) AS pending,
       round(count(*) FILTER (WHERE t.is_error)::numeric / nullif(count(*) FILTER (WHERE t.is_error IS NOT NULL), 0), 4)
         AS error_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY octet_length(t.result_text)) AS median_result_bytes
  FROM tool_calls t
  JOIN messages m ON m.session_id = t.session_id AND m.ordinal = t.message_ordinal
  JOIN sessions s ON s.id = t.session_id
 GROUP BY 1, 2, 3, 4;

-------------------------------------------------------------------------------------------------------------------
-- Full-text search
-------------------------------------------------------------------------------------------------------------------

-- The 'simple' configuration: no stemming and no stop words, so code and commands (`terraform destroy`, `git
-- push --force`) are found as written. Only the first 200 000 characters of a text are indexed: a tsvector holds
-- at most 1 MB, and a longer value would fail the whole object's ingest.
ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  to_tsvector('simple'::regconfig, left(coalesce(text, '') || ' ' || coalesce(thinking, ''), 200000))
) STORED;
CREATE INDEX messages_search_idx ON messages USING gin (search_vector);

ALTER TABLE tool_calls ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  to_tsvector('simple'::regconfig,
              left(name || ' ' || coalesce(input::text, input_text, '') || ' ' || coalesce(result_text, ''), 200000))
) STORED;
CREATE INDEX tool_calls_search_idx ON tool_calls USING gin (search_vector);

-- Everything searchable, one row per message text/thinking or tool call (name, input and result).
CREATE VIEW search_documents WITH (security_invoker = true) AS
SELECT m.session_id, m.ordinal AS message_ordinal, NULL::integer AS call_index, 'message'::text AS kind,
       m.role AS label, m."timestamp", m.search_vector,
       concat_ws(E'\n', m.text, m.thinking) AS body
  FROM messages m
UNION ALL
SELECT t.session_id, t.message_ordinal, t.call_index, 'tool_call'::text AS kind,
       t.name AS label, m."timestamp", t.search_vector,
       concat_ws(E'\n', coalesce(t.input::text, t.input_text), t.result_text) AS body
  FROM tool_calls t
  JOIN messages m ON m.session_id = t.session_id AND m.ordinal = t.message_ordinal;
