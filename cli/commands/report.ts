import { createPool } from '../../shared/store/pool.js';
import {
  checkTimezone,
  dailyReport,
  groupedDailyReport,
  modelsReport,
  REPORT_DIMENSIONS,
  sessionsReport,
  type DailyRow,
  type GroupedRow,
  type ModelRow,
  type ReportDimension,
  type ReportFilters,
  type SessionRow,
  type TokenTotals,
} from '../../shared/store/usage-reports.js';
import { integerOption, stringOption, type Command, type CommandInput } from '../command.js';
import { databaseUrlOption } from '../database-option.js';
import { formatCost, formatCount, formatDuration, renderTable, truncate, type Column } from '../report-table.js';

const REPORTS = ['daily', 'sessions', 'models'] as const;
type ReportName = (typeof REPORTS)[number];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Usage and cost from the views of migration 003: per day, per session, per model. Days are cut in --timezone
 * by Postgres; totals are those of `sessionlake.daily_usage` (the same responses, each billed once).
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Usage and cost per day, session or model, from the usage views (table, or --json)',
  arguments: [{ name: 'daily|sessions|models', description: 'which report' }],
  options: {
    since: { type: 'string', description: 'first day, YYYY-MM-DD, inclusive (in --timezone)' },
    until: { type: 'string', description: 'last day, YYYY-MM-DD, inclusive (in --timezone)' },
    machine: { type: 'string', description: 'only this machine' },
    project: { type: 'string', description: 'only this project (its name, or its key <machine>/<folder>)' },
    person: { type: 'string', description: 'only this person\'s usage (README "Set up your org")' },
    team: { type: 'string', description: 'only this team\'s usage' },
    by: { type: 'string', description: `daily: one row per day and ${REPORT_DIMENSIONS.join(', ')}` },
    format: { type: 'string', description: 'table (default), json or csv' },
    timezone: { type: 'string', description: 'time zone the days are cut in, e.g. Europe/Berlin (default UTC)' },
    limit: { type: 'string', description: 'sessions report: at most this many sessions, newest first (default 50)' },
    json: { type: 'boolean', description: 'print JSON instead of a table (--format json)' },
    'database-url': { type: 'string', description: 'Postgres URL (default: DATABASE_URL / PG* variables)' },
  },
  notes: [
    [
      'Costs come from sessionlake.model_prices (see docs/queries.md, "Updating prices"). A cost marked * leaves',
      'out responses of a model with no price; `SELECT * FROM sessionlake.unpriced_usage` lists them. In --json',
      'they are `unpricedResponses`, and `costUsd` is the priced part.',
    ].join('\n'),
    [
      'Examples:',
      '  sessionlake report daily --since 2026-11-01 --timezone Europe/Berlin --machine laptop',
      '  sessionlake report sessions --project=-Users-alice-code-my-app --json   (a value starting with "-" needs "=")',
      '  sessionlake report daily --by team --since 2026-11-01 --format csv > teams.csv',
    ].join('\n'),
  ],
  async run(input) {
    const report = reportName(input.positionals[0] ?? '');
    const filters = readFilters(input);
    const limit = Math.max(1, integerOption(input, 'limit', 50));
    const url = databaseUrlOption(input);
    const pool = createPool({ connectionString: url, max: 1 });
    try {
      if (!(await checkTimezone(pool, filters.timezone))) {
        throw new Error(`--timezone: "${filters.timezone}" is not a time zone Postgres knows (see pg_timezone_names)`);
      }
      const format = outputFormat(input);
      const by = dimension(input, report);
      if (by !== null) print(format, report, filters, await groupedDailyReport(pool, filters, by), groupedTable(by));
      else if (report === 'daily') print(format, report, filters, await dailyReport(pool, filters), dailyTable);
      else if (report === 'models') print(format, report, filters, await modelsReport(pool, filters), modelsTable);
      else print(format, report, filters, await sessionsReport(pool, filters, limit), sessionsTable);
      return 0;
    } finally {
      await pool.end();
    }
  },
};

function reportName(value: string): ReportName {
  const found = REPORTS.find((name) => name === value);
  if (found === undefined) throw new Error(`unknown report "${value}": use one of ${REPORTS.join(', ')}`);
  return found;
}

function readFilters(input: CommandInput): ReportFilters {
  const filters: ReportFilters = { timezone: stringOption(input, 'timezone') ?? 'UTC' };
  for (const name of ['since', 'until'] as const) {
    const value = stringOption(input, name);
    if (value === undefined) continue;
    if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new Error(`--${name} must be a day as YYYY-MM-DD, got "${value}"`);
    }
    filters[name] = value;
  }
  for (const name of ['machine', 'project', 'person', 'team'] as const) {
    const value = stringOption(input, name);
    if (value !== undefined) filters[name] = value;
  }
  return filters;
}

function sumTotals(rows: TokenTotals[]): TokenTotals {
  const sum: TokenTotals = {
    responses: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    unpricedResponses: 0,
  };
  for (const row of rows) {
    for (const key of Object.keys(sum) as Array<keyof TokenTotals>) sum[key] += row[key];
  }
  return sum;
}

type Format = 'table' | 'json' | 'csv';

function outputFormat(input: CommandInput): Format {
  const format = stringOption(input, 'format') ?? (input.values['json'] === true ? 'json' : 'table');
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new Error(`--format must be table, json or csv, got "${format}"`);
  if (input.values['json'] === true && format !== 'json') throw new Error('--json and --format ' + format + ' disagree');
  return format;
}

function dimension(input: CommandInput, report: ReportName): ReportDimension | null {
  const by = stringOption(input, 'by');
  if (by === undefined) return null;
  if (report !== 'daily') throw new Error(`--by goes with the daily report (report daily --by ${by})`);
  const found = REPORT_DIMENSIONS.find((name) => name === by);
  if (found === undefined) throw new Error(`--by must be one of ${REPORT_DIMENSIONS.join(', ')}, got "${by}"`);
  return found;
}

function print<Row extends TokenTotals>(
  format: Format,
  report: ReportName,
  filters: ReportFilters,
  rows: Row[],
  table: (rows: Row[], totals: TokenTotals) => string,
): void {
  const totals = sumTotals(rows);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ report, filters, rows, totals }, null, 2)}\n`);
    return;
  }
  if (format === 'csv') {
    process.stdout.write(csv(rows));
    return;
  }
  const lines = [rows.length === 0 ? 'No usage in this period.' : table(rows, totals)];
  if (totals.unpricedResponses > 0) {
    lines.push(
      '',
      `* ${formatCount(totals.unpricedResponses)} responses have no price and are not in the cost ` +
        '(SELECT * FROM sessionlake.unpriced_usage).',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** RFC 4180: a header of the rows' keys, a line per row, fields quoted when they hold a comma, quote or line break. */
function csv(rows: object[]): string {
  const first = rows[0];
  if (first === undefined) return '';
  const keys = Object.keys(first);
  const field = (value: unknown): string => {
    const text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' ') : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [keys.join(','), ...rows.map((row) => keys.map((key) => field((row as Record<string, unknown>)[key])).join(','))].join('\r\n') + '\r\n';
}

function tokenColumns<Row extends TokenTotals>(): Column<Row>[] {
  return [
    { header: 'Input', value: (row) => formatCount(row.inputTokens), align: 'right' },
    { header: 'Output', value: (row) => formatCount(row.outputTokens), align: 'right' },
    { header: 'Cache write', value: (row) => formatCount(row.cacheCreationInputTokens), align: 'right' },
    { header: 'Cache read', value: (row) => formatCount(row.cacheReadInputTokens), align: 'right' },
    { header: 'Total tokens', value: (row) => formatCount(row.totalTokens), align: 'right' },
    { header: 'Cost', value: (row) => formatCost(row.costUsd, row.unpricedResponses), align: 'right' },
  ];
}

function dailyTable(rows: DailyRow[], totals: TokenTotals): string {
  const columns: Column<DailyRow>[] = [
    { header: 'Day', value: (row) => row.day ?? '(no time)' },
    { header: 'Models', value: (row) => truncate(row.models.join(', '), 40) },
    ...tokenColumns<DailyRow>(),
  ];
  return renderTable(columns, rows, { day: 'Total', models: [], ...totals });
}

function groupedTable(by: ReportDimension) {
  return (rows: GroupedRow[], totals: TokenTotals): string => {
    const columns: Column<GroupedRow>[] = [
      { header: 'Day', value: (row) => row.day ?? '(no time)' },
      { header: by[0]?.toUpperCase() + by.slice(1), value: (row) => (row.group === null ? `(no ${by})` : truncate(row.group, 32)) },
      ...tokenColumns<GroupedRow>(),
    ];
    return renderTable(columns, rows, { day: 'Total', group: '', ...totals });
  };
}

function modelsTable(rows: ModelRow[], totals: TokenTotals): string {
  const columns: Column<ModelRow>[] = [
    { header: 'Model', value: (row) => row.model ?? '(no model)' },
    { header: 'Agent', value: (row) => row.agent },
    { header: 'Responses', value: (row) => formatCount(row.responses), align: 'right' },
    ...tokenColumns<ModelRow>(),
  ];
  return renderTable(columns, rows, { model: 'Total', agent: '', pricedAs: null, ...totals });
}

function sessionsTable(rows: SessionRow[], totals: TokenTotals): string {
  const columns: Column<SessionRow>[] = [
    { header: 'Started', value: (row) => row.startedAt?.replace('T', ' ').slice(0, 16) ?? '' },
    { header: 'Machine', value: (row) => row.machine },
    { header: 'Project', value: (row) => truncate(row.project, 24) },
    { header: 'First prompt', value: (row) => truncate(row.firstPrompt, 40) },
    { header: 'Duration', value: (row) => formatDuration(row.durationSeconds), align: 'right' },
    { header: 'Msgs', value: (row) => (row.sessionId === '' ? '' : formatCount(row.messages)), align: 'right' },
    { header: 'Subagents', value: (row) => (row.sessionId === '' ? '' : formatCount(row.subagents)), align: 'right' },
    ...tokenColumns<SessionRow>(),
  ];
  const footer: SessionRow = {
    sessionId: '',
    machine: '',
    agent: '',
    project: '',
    projectKey: '',
    firstPrompt: null,
    startedAt: 'Total',
    durationSeconds: null,
    messages: 0,
    subagents: 0,
    ...totals,
  };
  return renderTable(columns, rows, footer);
}
