import { checkBudgets } from '../../shared/budgets/check.js';
import { BUDGET_TOPIC_ARN, configuredSenders } from '../../shared/budgets/senders.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { createPool } from '../../shared/store/pool.js';
import {
  ALERT_CHANNELS,
  BUDGET_PERIODS,
  BUDGET_SCOPES,
  budgetStatuses,
  removeBudget,
  setBudget,
  type AlertChannel,
  type Budget,
  type BudgetPeriod,
  type BudgetScope,
  type BudgetStatus,
} from '../../shared/store/budgets.js';
import { integerOption, stringOption, type Command, type CommandInput } from '../command.js';
import { databaseUrlOption, listOption } from '../database-option.js';
import { formatCost, renderTable } from '../report-table.js';

const ACTIONS = ['set', 'remove', 'list', 'check'] as const;
/** `budgets check` exits with this when a budget is at or over its limit (1 is an error). */
export const OVER_BUDGET_EXIT = 2;

export const budgetsCommand: Command = {
  name: 'budgets',
  summary: 'Spending limits per team, person, project, machine or all, with alerts: set, remove, list, check',
  arguments: [{ name: 'set|remove|list|check [name]', description: 'what to do, and the budget\'s name', repeatable: true }],
  options: {
    scope: { type: 'string', description: 'set: all, team:<team>, person:<person>, project:<key or name>, machine:<machine> (default all)' },
    period: { type: 'string', description: 'set: day, week (Monday to Sunday) or month (default month)' },
    limit: { type: 'string', description: 'set: the limit in USD per period, e.g. 500' },
    thresholds: { type: 'string', description: 'set: percents of the limit that alert, comma-separated (default 50,80,100)' },
    timezone: { type: 'string', description: 'set: the time zone periods are cut in, e.g. Europe/Berlin (default UTC)' },
    channels: { type: 'string', description: 'set: where alerts go besides this output: sns, webhook, both comma-separated (default none)' },
    webhook: { type: 'string', description: 'set: ssm:<parameter> or secretsmanager:<secret id> holding the webhook URL' },
    'forecast-days': { type: 'string', description: 'set: the forecast runs at the rate of this many last days (default 7)' },
    json: { type: 'boolean', description: 'list, check: print JSON' },
    'database-url': { type: 'string', description: 'Postgres URL (default: DATABASE_URL / PG* variables)' },
  },
  notes: [
    [
      `check prints every budget's spend in its current period, sends the alerts that are due (each threshold once`,
      `per period and channel, however many checkers run) and exits ${OVER_BUDGET_EXIT} when a budget is at or over its limit,`,
      `1 on an error or an alert it could not send, else 0: run it from cron or CI. SNS alerts go to the topic in`,
      `${BUDGET_TOPIC_ARN}; the webhook's URL is read from the budget's secret (AWS_REGION).`,
      'Spend is the priced cost; responses of a model with no price are shown apart, never counted as $0.',
    ].join('\n'),
    [
      'Examples:',
      '  sessionlake budgets set ml-monthly --scope team:ml --limit 2000 --thresholds 80,100 --channels sns',
      '  sessionlake budgets set ana-daily --scope person:ana --period day --limit 40 --timezone America/New_York',
      '  sessionlake budgets check',
    ].join('\n'),
  ],
  async run(input) {
    const [action = '', ...names] = input.positionals;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`unknown action "${action}": use one of ${ACTIONS.join(', ')}`);
    const wantsName = action === 'set' || action === 'remove';
    if (names.length !== (wantsName ? 1 : 0)) throw new Error(wantsName ? `${action} takes one budget name` : `${action} takes no name`);
    const budget = action === 'set' ? budgetInput(input, names[0] ?? '') : null;
    const pool = createPool({ connectionString: databaseUrlOption(input), max: 2 });
    try {
      const json = input.values['json'] === true;
      if (budget !== null) {
        await setBudget(pool, budget);
        process.stdout.write(`budget ${budget.name}: ${describe(budget)}\n`);
        return 0;
      }
      if (action === 'remove') {
        if (!(await removeBudget(pool, names[0] ?? ''))) throw new Error(`no budget "${names[0]}"`);
        process.stdout.write(`removed budget ${names[0]}\n`);
        return 0;
      }
      if (action === 'list') {
        const statuses = await budgetStatuses(pool);
        process.stdout.write(json ? `${JSON.stringify(statuses, null, 2)}\n` : `${statusTable(statuses)}\n`);
        return 0;
      }
      const config = loadConfig();
      const check = await checkBudgets(pool, configuredSenders(process.env, config.s3.region), createLogger('warn', { command: 'budgets' }));
      if (json) process.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
      else {
        const lines = [statusTable(check.statuses)];
        for (const alert of check.sent) lines.push(`alert sent: ${alert.budget} reached ${alert.threshold} % (${alert.channel})`);
        for (const alert of check.failed) lines.push(`alert NOT sent: ${alert.budget} ${alert.threshold} % (${alert.channel}): ${alert.error}`);
        if (check.over.length > 0) lines.push(`over budget: ${check.over.join(', ')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      return check.over.length > 0 ? OVER_BUDGET_EXIT : check.failed.length > 0 ? 1 : 0;
    } finally {
      await pool.end();
    }
  },
};

function budgetInput(input: CommandInput, name: string): Budget {
  if (name === '') throw new Error('set: the budget name is empty');
  const [scope, scopeValue] = parseScope(stringOption(input, 'scope') ?? 'all');
  const period = stringOption(input, 'period') ?? 'month';
  if (!(BUDGET_PERIODS as readonly string[]).includes(period)) throw new Error(`--period must be one of ${BUDGET_PERIODS.join(', ')}, got "${period}"`);
  const limitText = stringOption(input, 'limit');
  const limitUsd = Number(limitText);
  if (limitText === undefined || !Number.isFinite(limitUsd) || limitUsd <= 0) throw new Error('set needs --limit, a positive number of USD');
  const thresholds = (listOption(input, 'thresholds').length > 0 ? listOption(input, 'thresholds') : ['50', '80', '100']).map((text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0 || value > 1000) throw new Error(`--thresholds: "${text}" is not a percent from 1 to 1000`);
    return value;
  });
  const channels = listOption(input, 'channels').map((channel) => {
    if (!(ALERT_CHANNELS as readonly string[]).includes(channel)) throw new Error(`--channels: "${channel}" is not one of ${ALERT_CHANNELS.join(', ')}`);
    return channel as AlertChannel;
  });
  const webhookSecret = stringOption(input, 'webhook') ?? null;
  if (channels.includes('webhook') !== (webhookSecret !== null)) {
    throw new Error('--channels webhook and --webhook ssm:<parameter>|secretsmanager:<id> go together');
  }
  if (webhookSecret !== null && !/^(ssm|secretsmanager):.+/.test(webhookSecret)) {
    throw new Error('--webhook names where the URL is kept: ssm:<parameter> or secretsmanager:<secret id> (never the URL itself)');
  }
  return {
    name, scope, scopeValue, period: period as BudgetPeriod, timeZone: stringOption(input, 'timezone') ?? 'UTC', limitUsd, thresholds,
    channels: [...new Set(channels)], webhookSecret, forecastDays: Math.max(1, integerOption(input, 'forecast-days', 7)),
  };
}

function parseScope(text: string): [BudgetScope, string | null] {
  if (text === 'all') return ['all', null];
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (colon < 0 || value === '' || kind === 'all' || !(BUDGET_SCOPES as readonly string[]).includes(kind)) {
    throw new Error(`--scope must be all, team:<team>, person:<person>, project:<key or name> or machine:<machine>, got "${text}"`);
  }
  return [kind as BudgetScope, value];
}

function describe(budget: Budget): string {
  const scope = budget.scope === 'all' ? 'all usage' : `${budget.scope} ${budget.scopeValue}`;
  const channels = budget.channels.length === 0 ? 'this output only' : budget.channels.join(', ');
  return `${scope}, $${budget.limitUsd} per ${budget.period} (${budget.timeZone}), alerts at ${budget.thresholds.join(', ')} % to ${channels}`;
}

function statusTable(statuses: BudgetStatus[]): string {
  if (statuses.length === 0) return 'No budgets (sessionlake budgets set <name> --limit <usd>).';
  return renderTable(
    [
      { header: 'Budget', value: (row) => row.name },
      { header: 'Scope', value: (row) => (row.scope === 'all' ? 'all' : `${row.scope}:${row.scopeValue}`) },
      { header: 'Period', value: (row) => `${row.period} from ${row.periodStart.slice(0, 10)}` },
      { header: 'Spent', value: (row) => formatCost(row.spentUsd, row.unpricedResponses), align: 'right' },
      { header: 'Limit', value: (row) => `$${row.limitUsd.toFixed(2)}`, align: 'right' },
      { header: '%', value: (row) => row.percent.toFixed(1), align: 'right' },
      { header: 'Forecast', value: (row) => `$${row.forecastUsd.toFixed(2)}`, align: 'right' },
      { header: 'State', value: (row) => (row.percent >= 100 ? 'OVER' : row.percent >= Math.min(...row.thresholds) ? 'warning' : 'ok') },
    ],
    statuses,
  ) + (statuses.some((row) => row.unpricedResponses > 0) ? '\n* some responses have no price: the spend leaves them out (SELECT * FROM sessionlake.budget_status).' : '');
}
