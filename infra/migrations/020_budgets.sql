-- Budgets and their alerts (README "Set up your org": budgets). A budget limits what one scope spends in a
-- period: everything, a team, a person (both as session_people decides them), a project (its key or its name) or
-- a machine; per day, week (Monday to Sunday) or month, cut in its own time zone.

CREATE TABLE budgets (
  name           text PRIMARY KEY CHECK (name <> ''),
  scope          text NOT NULL CHECK (scope IN ('all', 'team', 'person', 'project', 'machine')),
  scope_value    text CHECK (scope_value <> ''),
  period         text NOT NULL CHECK (period IN ('day', 'week', 'month')),
  -- An unknown zone is refused here: timezone() raises for it.
  time_zone      text NOT NULL DEFAULT 'UTC' CHECK (timezone(time_zone, timestamptz '2000-01-01 00:00+00') IS NOT NULL),
  limit_usd      numeric(14, 2) NOT NULL CHECK (limit_usd > 0),
  -- Percent of the limit at which an alert goes out, each once per period.
  thresholds     integer[] NOT NULL DEFAULT '{50,80,100}'
                   CHECK (cardinality(thresholds) > 0 AND 0 < ALL (thresholds) AND 1000 >= ALL (thresholds)),
  -- Where alerts go besides the output of `sessionlake budgets check`: the stack's SNS topic, a webhook.
  channels       text[] NOT NULL DEFAULT '{}' CHECK (channels <@ ARRAY['sns', 'webhook']),
  -- `ssm:<parameter name>` or `secretsmanager:<secret id>` holding the webhook's URL (never the URL itself).
  webhook_secret text CHECK (webhook_secret ~ '^(ssm|secretsmanager):.+'),
  -- The forecast extends the spend of the last this-many days (a rolling window of that many 24 hours up to now)
  -- at the same rate to the period's end.
  forecast_days  integer NOT NULL DEFAULT 7 CHECK (forecast_days BETWEEN 1 AND 90),
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'all') = (scope_value IS NULL)),
  CHECK (('webhook' = ANY (channels)) = (webhook_secret IS NOT NULL))
);

-- One row per alert sent: (budget, period, threshold, channel) at most once, whatever the number of checkers.
-- `covered`: a higher threshold was crossed in the same check, so this one was recorded without a message.
CREATE TABLE alerts_sent (
  budget       text NOT NULL REFERENCES budgets (name) ON DELETE CASCADE,
  period_start timestamptz NOT NULL,
  threshold    integer NOT NULL,
  channel      text NOT NULL,
  percent      numeric NOT NULL,
  spent_usd    numeric NOT NULL,
  covered      boolean NOT NULL DEFAULT false,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (budget, period_start, threshold, channel)
);

CREATE VIEW budget_status WITH (security_invoker = true) AS
SELECT b.name, b.scope, b.scope_value, b.period, b.time_zone, b.limit_usd, b.thresholds, b.channels, b.webhook_secret,
       w.period_start, w.period_end,
       spend.spent_usd,
       round(100 * spend.spent_usd / b.limit_usd, 1) AS percent,
       -- Responses of a model with no price: their cost is not in spent_usd (never counted as $0).
       spend.unpriced_responses,
       spend.unpriced_tokens,
       b.forecast_days,
       spend.recent_cost_usd AS last_days_cost_usd,
       round(spend.spent_usd + spend.recent_cost_usd / b.forecast_days
             * greatest(extract(epoch FROM w.period_end - now()), 0) / 86400, 2) AS forecast_usd
  FROM budgets b
  -- The period the budget is in now, in its time zone: [period_start, period_end).
  CROSS JOIN LATERAL (
    SELECT timezone(b.time_zone, date_trunc(b.period, timezone(b.time_zone, now()))) AS period_start,
           timezone(b.time_zone, date_trunc(b.period, timezone(b.time_zone, now())) + ('1 ' || b.period)::interval) AS period_end
  ) w
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(u.cost_usd) FILTER (WHERE u.ts >= w.period_start), 0) AS spent_usd,
           count(*) FILTER (WHERE u.ts >= w.period_start AND u.cost_usd IS NULL) AS unpriced_responses,
           coalesce(sum(u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens)
                    FILTER (WHERE u.ts >= w.period_start AND u.cost_usd IS NULL), 0) AS unpriced_tokens,
           coalesce(sum(u.cost_usd) FILTER (WHERE u.ts >= now() - make_interval(days => b.forecast_days)), 0) AS recent_cost_usd
      FROM usage u
     WHERE u.ts >= least(w.period_start, now() - make_interval(days => b.forecast_days))
       AND u.ts < w.period_end
       AND CASE b.scope
             WHEN 'all' THEN true
             WHEN 'team' THEN u.team = b.scope_value
             WHEN 'person' THEN u.person = b.scope_value
             WHEN 'project' THEN u.project_key = b.scope_value OR u.project = b.scope_value
             WHEN 'machine' THEN u.machine = b.scope_value
           END
  ) spend;

-- Who sees which budget: operators all; a team member the budgets of its team, of its people and of the
-- machines it sees (a project's budget names a machine's folder: operators only), and their alerts.
ALTER TABLE budgets ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_scope ON budgets
  USING ((SELECT sees_all_machines(current_user))
         OR (scope = 'team' AND scope_value = ANY (ARRAY(SELECT unnest(visible_teams(current_user)))))
         OR (scope = 'person' AND scope_value = ANY (ARRAY(SELECT unnest(visible_people(current_user)))))
         OR (scope = 'machine' AND (scope_value = ANY (ARRAY(SELECT unnest(visible_machines(current_user))))
                                    OR scope_value LIKE ANY (ARRAY(SELECT unnest(visible_machine_patterns(current_user)))))))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
ALTER TABLE alerts_sent ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_budget ON alerts_sent
  USING ((SELECT sees_all_machines(current_user)) OR budget IN (SELECT b.name FROM budgets b))
  WITH CHECK ((SELECT sees_all_machines(current_user)));
