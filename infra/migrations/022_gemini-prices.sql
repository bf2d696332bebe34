-- Gemini CLI (README "S3 key layout", docs/agents/gemini.md): its models' prices, with Google's prompt-size tiers
-- (model_price_tiers, migration 021), and its sessions' project folder.

-- USD per million tokens, Gemini Developer API, Standard tier, text input (Google bills thinking tokens as
-- output). 2.5 Pro and 3 Pro preview cost more on EVERY token of a request whose prompt exceeds 200k tokens.
INSERT INTO model_prices (model, effective_from, input, output, cache_write_5m, cache_write_1h, cache_read, source, source_date)
SELECT model, '1970-01-01T00:00:00Z', input, output, NULL, NULL, cache_read,
       'https://ai.google.dev/gemini-api/docs/pricing (Standard tier; not fetched from the build machine: rates as quoted from it by https://discuss.ai.google.dev/t/107349 and https://deploybase.ai/articles/gemini-api-pricing-2026, docs/agents/gemini.md)',
       '2026-12-06'
FROM (VALUES
  -- model                    input  output  cache read
  ('gemini-2.0-flash',        0.10,  0.40,   0.025),
  ('gemini-2.5-flash',        0.30,  2.50,   0.03),
  ('gemini-2.5-flash-lite',   0.10,  0.40,   0.01),
  ('gemini-2.5-pro',          1.25,  10,     0.125),
  ('gemini-3-flash-preview',  0.50,  3,      0.05),
  ('gemini-3-pro-preview',    2,     12,     0.20)
) AS seed(model, input, output, cache_read)
ON CONFLICT (model, effective_from) DO NOTHING;

INSERT INTO model_price_tiers (model, effective_from, prompt_above, input, output, cache_write_5m, cache_write_1h, cache_read,
                               source, source_date)
SELECT model, '1970-01-01T00:00:00Z', 200000, input, output, NULL, NULL, cache_read,
       'https://ai.google.dev/gemini-api/docs/pricing (Standard tier, prompts > 200k tokens; see the model_prices row)',
       '2026-12-06'
FROM (VALUES
  -- model                  input  output  cache read, prompts > 200k tokens
  ('gemini-2.5-pro',        2.50,  15,     0.25),
  ('gemini-3-pro-preview',  4,     18,     0.40)
) AS seed(model, input, output, cache_read)
ON CONFLICT (model, effective_from, prompt_above) DO NOTHING;

-- Names Gemini CLI logs besides the canonical ones (dated previews of 2.5).
INSERT INTO model_aliases (alias, model) VALUES
  ('gemini-2.5-pro-preview-05-06', 'gemini-2.5-pro'),
  ('gemini-2.5-pro-preview-06-05', 'gemini-2.5-pro'),
  ('gemini-2.5-flash-preview-05-20', 'gemini-2.5-flash'),
  ('gemini-2.5-flash-lite-preview-06-17', 'gemini-2.5-flash-lite')
ON CONFLICT (alias) DO NOTHING;

-- project_folder of 003 with Gemini CLI: like Claude's, the folder its file sits in, the segment after
-- <machine>/raw/gemini/ (`~/.gemini/tmp/<project id>/`: the project's slug, or the sha256 of its root), so a
-- session and its subagents (which record a directory; the main session does not) share one project.
CREATE OR REPLACE FUNCTION project_folder(agent text, session_id text, cwd text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN agent IN ('claude', 'gemini')
      THEN (string_to_array(session_id, '/'))[array_position(string_to_array(session_id, '/'), 'raw', 2) + 2]
    WHEN nullif(cwd, '') IS NOT NULL THEN regexp_replace(cwd, '[^A-Za-z0-9]', '-', 'g')
  END
$$;
