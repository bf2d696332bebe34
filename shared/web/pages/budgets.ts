import type pg from 'pg';
import { budgetStatuses } from '../../store/budgets.js';
import { formatCost, formatCount, formatTime, formatUsd, html } from '../html.js';
import type { PageResult } from './page-result.js';

/** Budgets: each budget this viewer may see with its spend in the current period (the view budget_status). */
export async function budgetsPage(db: pg.PoolClient): Promise<PageResult> {
  const budgets = await budgetStatuses(db);
  const body = budgets.length === 0
    ? html`<p>No budgets this role may see. An admin sets them with <code>sessionlake budgets set</code> (README "Budgets and alerts").</p>`
    : html`<div class="table-wrap"><table class="responsive" id="budgets"><thead><tr><th scope="col">Budget</th><th scope="col">Scope</th><th scope="col">Period</th>
<th class="num" scope="col">Spent</th><th class="num" scope="col">Limit</th><th scope="col">Used</th><th class="num" scope="col">Forecast</th></tr></thead>
<tbody>${budgets.map((budget) => html`<tr data-budget="${budget.name}"><td data-label="Budget">${budget.name}</td>
<td data-label="Scope">${budget.scope}${budget.scopeValue === null ? '' : ` ${budget.scopeValue}`}</td>
<td data-label="Period">${budget.period} from ${formatTime(budget.periodStart)}</td>
<td class="num" data-label="Spent">${formatCost(budget.spentUsd, budget.unpricedResponses)}</td>
<td class="num" data-label="Limit">${formatUsd(budget.limitUsd)}</td>
<td data-label="Used"><div class="bar${budget.percent >= 100 ? ' over' : ''}" role="img" aria-label="${budget.percent}% of the limit"><span style="width:${Math.min(100, Math.max(0, budget.percent))}%"></span></div> ${budget.percent}%</td>
<td class="num" data-label="Forecast">${formatUsd(budget.forecastUsd)}</td></tr>`)}</tbody></table></div>
${budgets.some((budget) => budget.unpricedResponses > 0) ? html`<p class="note">Unpriced responses (a model with no price) are not in the spend: ${formatCount(budgets.reduce((sum, b) => sum + b.unpricedResponses, 0))} this period.</p>` : ''}`;
  return { title: 'Budgets', active: '/budgets', body };
}
