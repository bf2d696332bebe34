import type pg from 'pg';
import { SCHEMA } from './schema.js';

/** Budgets and their alerts (migration 020; README "Budgets and alerts"). */

export const BUDGET_SCOPES = ['all', 'team', 'person', 'project', 'machine'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export const ALERT_CHANNELS = ['sns', 'webhook'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export interface Budget {
  name: string;
  scope: BudgetScope;
  /** null for `all`. */
  scopeValue: string | null;
  period: BudgetPeriod;
  timeZone: string;
  limitUsd: number;
  thresholds: number[];
  channels: AlertChannel[];
  /** `ssm:<name>` or `secretsmanager:<id>` holding the webhook URL. */
  webhookSecret: string | null;
  forecastDays: number;
}

export interface BudgetStatus extends Budget {
  periodStart: string;
  periodEnd: string;
  spentUsd: number;
  percent: number;
  unpricedResponses: number;
  unpricedTokens: number;
  lastDaysCostUsd: number;
  forecastUsd: number;
}

export async function setBudget(pool: pg.Pool, budget: Budget): Promise<void> {
  await pool.query(
    `INSERT INTO ${SCHEMA}.budgets (name, scope, scope_value, period, time_zone, limit_usd, thresholds, channels, webhook_secret, forecast_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (name) DO UPDATE SET scope = EXCLUDED.scope, scope_value = EXCLUDED.scope_value, period = EXCLUDED.period,
       time_zone = EXCLUDED.time_zone, limit_usd = EXCLUDED.limit_usd, thresholds = EXCLUDED.thresholds,
       channels = EXCLUDED.channels, webhook_secret = EXCLUDED.webhook_secret, forecast_days = EXCLUDED.forecast_days`,
    [
      budget.name, budget.scope, budget.scopeValue, budget.period, budget.timeZone, budget.limitUsd, budget.thresholds,
      budget.channels, budget.webhookSecret, budget.forecastDays,
    ],
  );
}

export async function removeBudget(pool: pg.Pool, name: string): Promise<boolean> {
  const result = await pool.query(`DELETE FROM ${SCHEMA}.budgets WHERE name = $1`, [name]);
  return (result.rowCount ?? 0) > 0;
}

const STATUS_COLUMNS = `name, scope, scope_value AS "scopeValue", period, time_zone AS "timeZone", limit_usd::float8 AS "limitUsd",
  thresholds, channels, webhook_secret AS "webhookSecret", forecast_days AS "forecastDays",
  to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "periodStart",
  to_char(period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "periodEnd",
  spent_usd::float8 AS "spentUsd", percent::float8 AS percent, unpriced_responses::int AS "unpricedResponses",
  unpriced_tokens::float8 AS "unpricedTokens", last_days_cost_usd::float8 AS "lastDaysCostUsd", forecast_usd::float8 AS "forecastUsd"`;

/** Every budget with its spend in its current period (the view budget_status), by name. */
export async function budgetStatuses(pool: pg.Pool | pg.PoolClient | pg.Client): Promise<BudgetStatus[]> {
  const result = await pool.query<BudgetStatus>(`SELECT ${STATUS_COLUMNS} FROM ${SCHEMA}.budget_status ORDER BY name`);
  return result.rows;
}

export interface AlertClaim {
  budget: string;
  periodStart: string;
  threshold: number;
  channel: AlertChannel;
  percent: number;
  spentUsd: number;
  /** Recorded without a message: a higher threshold of the same check carries it. */
  covered: boolean;
}

/**
 * Claims the alert inside the caller's transaction: true when this checker is the one to send it. A concurrent
 * checker claiming the same alert waits on the row until this transaction ends, then finds it taken; a
 * transaction rolled back (the send failed) leaves it to the next check.
 */
export async function claimAlert(client: pg.PoolClient, claim: AlertClaim): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO ${SCHEMA}.alerts_sent (budget, period_start, threshold, channel, percent, spent_usd, covered)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [claim.budget, claim.periodStart, claim.threshold, claim.channel, claim.percent, claim.spentUsd, claim.covered],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Whether the alert was sent (or covered) already, by whichever checker had its channel. */
export async function alertSent(
  pool: pg.Pool | pg.PoolClient,
  alert: { budget: string; periodStart: string; threshold: number; channel: AlertChannel },
): Promise<boolean> {
  const result = await pool.query(
    `SELECT 1 FROM ${SCHEMA}.alerts_sent WHERE budget = $1 AND period_start = $2 AND threshold = $3 AND channel = $4`,
    [alert.budget, alert.periodStart, alert.threshold, alert.channel],
  );
  return (result.rowCount ?? 0) > 0;
}
