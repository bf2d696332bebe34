import type pg from 'pg';
import { groupedDailyReport, REPORT_DIMENSIONS, type GroupedRow, type ReportFilters } from '../../store/usage-reports.js';
import { stackedBars, colourOf, type ChartBar } from '../chart.js';
import { formatCost, formatCount, formatUsdShort, href, html, type Html } from '../html.js';
import { choice, day, text } from '../params.js';
import { GRAINS, daysBefore, periodEnd, periodLabel, periodStart, type Grain } from '../periods.js';
import type { PageResult } from './page-result.js';

/**
 * Usage: cost or tokens per day, week or month, stacked by one dimension, from the same query as
 * `sessionlake report daily --by` (daily_usage in UTC). One statement; the periods and totals are sums of its rows.
 */

const METRICS = ['cost', 'tokens'] as const;
type Metric = (typeof METRICS)[number];
const SHOWN_GROUPS = 8;
const FILTERS = ['machine', 'project', 'person', 'team'] as const;

interface Sums {
  costUsd: number;
  unpricedResponses: number;
  tokens: number;
  responses: number;
}

const empty = (): Sums => ({ costUsd: 0, unpricedResponses: 0, tokens: 0, responses: 0 });
function add(sums: Sums, row: GroupedRow): void {
  sums.costUsd += row.costUsd;
  sums.unpricedResponses += row.unpricedResponses;
  sums.tokens += row.totalTokens;
  sums.responses += row.responses;
}

export async function usagePage(db: pg.PoolClient, url: URL, today: string): Promise<PageResult> {
  const filters: ReportFilters = { timezone: 'UTC' };
  const since = day(url, 'since');
  const until = day(url, 'until');
  if (since !== undefined) filters.since = since;
  if (until !== undefined) filters.until = until;
  for (const name of FILTERS) {
    const value = text(url, name);
    if (value !== undefined) filters[name] = value;
  }
  const by = choice(url, 'by', REPORT_DIMENSIONS, 'model');
  const grain = choice(url, 'grain', GRAINS, 'day');
  const metric = choice(url, 'metric', METRICS, 'cost');
  const rows = await groupedDailyReport(db, filters, by);

  const label = (group: string | null) => group ?? `(no ${by})`;
  const totals = empty();
  const byGroup = new Map<string, Sums>();
  const byPeriod = new Map<string | null, { sums: Sums; groups: Map<string, Sums> }>();
  for (const row of rows) {
    add(totals, row);
    const group = label(row.group);
    if (!byGroup.has(group)) byGroup.set(group, empty());
    add(byGroup.get(group)!, row);
    const start = periodStart(row.day, grain);
    if (!byPeriod.has(start)) byPeriod.set(start, { sums: empty(), groups: new Map() });
    const period = byPeriod.get(start)!;
    add(period.sums, row);
    if (!period.groups.has(group)) period.groups.set(group, empty());
    add(period.groups.get(group)!, row);
  }
  const value = (sums: Sums) => (metric === 'cost' ? sums.costUsd : sums.tokens);
  const groups = [...byGroup.entries()].sort((a, b) => value(b[1]) - value(a[1]) || b[1].tokens - a[1].tokens || a[0].localeCompare(b[0]));
  const shown = groups.slice(0, SHOWN_GROUPS).map(([group]) => group);
  const chartGroups = groups.length > SHOWN_GROUPS ? [...shown, 'other'] : shown;
  const periods = [...byPeriod.entries()].filter((entry): entry is [string, { sums: Sums; groups: Map<string, Sums> }] => entry[0] !== null)
    .sort((a, b) => a[0].localeCompare(b[0]));
  const untimed = byPeriod.get(null);

  const keep = { ...Object.fromEntries(FILTERS.map((name) => [name, filters[name]])) };
  const sessionsOf = (start: string) => href('/sessions', { since: start, until: periodEnd(start, grain), ...keep });
  const formatValue = metric === 'cost'
    ? formatUsdShort
    : (amount: number) => compact(amount);
  const bars: ChartBar[] = periods.map(([start, period]) => {
    const segments = new Map<string, number>();
    for (const [group, sums] of period.groups) {
      const key = shown.includes(group) ? group : 'other';
      segments.set(key, (segments.get(key) ?? 0) + value(sums));
    }
    const unpriced = period.sums.unpricedResponses > 0 ? `, ${period.sums.unpricedResponses} responses unpriced` : '';
    return {
      label: periodLabel(start, grain),
      href: sessionsOf(start),
      description: `${grain} ${start}: ${metric === 'cost' ? `$${period.sums.costUsd.toFixed(2)}` : `${formatCount(period.sums.tokens)} tokens`}${unpriced}. Show its sessions.`,
      segments: chartGroups.map((group) => ({ group, value: segments.get(group) ?? 0 })),
    };
  });

  const self = (changes: Record<string, string | undefined>) =>
    href('/usage', { since, until, ...keep, by, grain, metric, ...changes });
  const body = html`
<form class="filters" method="get" action="/usage" aria-label="Usage filters">
  <label>From <input type="date" name="since" value="${since ?? ''}"></label>
  <label>To <input type="date" name="until" value="${until ?? ''}"></label>
  <label>Per <select name="grain">${GRAINS.map((option) => html`<option${option === grain ? html` selected` : ''}>${option}</option>`)}</select></label>
  <label>Stacked by <select name="by">${REPORT_DIMENSIONS.map((option) => html`<option${option === by ? html` selected` : ''}>${option}</option>`)}</select></label>
  <label>Show <select name="metric">${METRICS.map((option) => html`<option${option === metric ? html` selected` : ''}>${option}</option>`)}</select></label>
  ${FILTERS.map((name) => html`<label>${name[0]!.toUpperCase() + name.slice(1)} <input name="${name}" value="${filters[name] ?? ''}" size="12"></label>`)}
  <button type="submit">Show</button>
</form>
<p class="presets">Period: <a href="${self({ since: daysBefore(today, 7), until: today })}">last 7 days</a>
<a href="${self({ since: daysBefore(today, 30), until: today })}">last 30 days</a>
<a href="${self({ since: daysBefore(today, 90), until: today })}">last 90 days</a>
<a href="${self({ since: undefined, until: undefined })}">all time</a></p>
<ul class="totals" aria-label="Totals">
  <li><span class="label">Cost</span><span class="value" data-total="cost">${formatCost(totals.costUsd, totals.unpricedResponses)}</span></li>
  <li><span class="label">Tokens</span><span class="value" data-total="tokens">${formatCount(totals.tokens)}</span></li>
  <li><span class="label">Responses</span><span class="value" data-total="responses">${formatCount(totals.responses)}</span></li>
  <li><span class="label">Unpriced responses</span><span class="value" data-total="unpriced">${formatCount(totals.unpricedResponses)}</span></li>
</ul>
${totals.unpricedResponses > 0 ? html`<p class="note">Responses of a model with no price are left out of the cost and counted as unpriced, never as $0 (docs/queries.md, "Updating prices").</p>` : ''}
${rows.length === 0 ? html`<p>No usage in this period.</p>` : html`
<h2>${metric === 'cost' ? 'Cost' : 'Tokens'} per ${grain}, by ${by}</h2>
${stackedBars(bars, chartGroups, formatValue, `${metric} per ${grain} stacked by ${by}; each bar links to that ${grain}'s sessions`)}
<ul class="legend" aria-label="Legend">${chartGroups.map((group) => html`<li><span class="swatch" style="background:${colourOf(chartGroups, group)}"></span>${group}</li>`)}</ul>
<h2>By ${by}</h2>
<div class="table-wrap"><table class="responsive"><thead><tr><th scope="col">${by}</th><th class="num" scope="col">Cost</th><th class="num" scope="col">Tokens</th><th class="num" scope="col">Responses</th></tr></thead>
<tbody>${groups.map(([group, sums]) => html`<tr><td data-label="${by}">${group}</td><td class="num" data-label="Cost">${formatCost(sums.costUsd, sums.unpricedResponses)}</td><td class="num" data-label="Tokens">${formatCount(sums.tokens)}</td><td class="num" data-label="Responses">${formatCount(sums.responses)}</td></tr>`)}</tbody></table></div>
<h2>Per ${grain}</h2>
<div class="table-wrap"><table class="responsive" id="periods"><thead><tr><th scope="col">${grain}</th><th class="num" scope="col">Cost</th><th class="num" scope="col">Tokens</th><th class="num" scope="col">Responses</th></tr></thead>
<tbody>${periods.map(([start, period]) => periodRow(start, grain, period.sums, sessionsOf(start)))}${untimed ? periodRow(null, grain, untimed.sums, null) : ''}</tbody></table></div>`}`;
  return { title: 'Usage', active: '/usage', body };
}

function periodRow(start: string | null, grain: Grain, sums: Sums, link: string | null): Html {
  const name = start === null ? '(no time)' : grain === 'day' ? start : `${start} – ${periodEnd(start, grain)}`;
  return html`<tr data-period="${start ?? ''}"><td data-label="${grain}">${link === null ? name : html`<a href="${link}">${name}</a>`}</td>
<td class="num" data-label="Cost">${formatCost(sums.costUsd, sums.unpricedResponses)}</td><td class="num" data-label="Tokens">${formatCount(sums.tokens)}</td><td class="num" data-label="Responses">${formatCount(sums.responses)}</td></tr>`;
}

function compact(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(Math.round(value));
}
