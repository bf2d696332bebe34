import type pg from 'pg';
import { listSessions, SESSION_SORTS, type SessionListFilters, type SessionSort } from '../../store/session-list.js';
import { formatCost, formatCount, formatDuration, formatTime, href, html, raw, truncate } from '../html.js';
import { choice, day, pageNumber, text } from '../params.js';
import type { PageResult } from './page-result.js';

/** Sessions: top-level sessions (subagents rolled in), filtered, sorted and paged by one statement. */

export const SESSIONS_PER_PAGE = 50;
const FILTERS = ['machine', 'project', 'agent', 'model', 'person', 'team'] as const;

export async function sessionsPage(db: pg.PoolClient, url: URL): Promise<PageResult> {
  const filters: SessionListFilters = { since: day(url, 'since'), until: day(url, 'until'), text: text(url, 'q') };
  for (const name of FILTERS) filters[name] = text(url, name);
  const sort = choice(url, 'sort', SESSION_SORTS, 'started');
  const dir = choice(url, 'dir', ['desc', 'asc'] as const, 'desc');
  const pageIndex = pageNumber(url);
  const { rows, total } = await listSessions(db, filters, { sort, descending: dir === 'desc', limit: SESSIONS_PER_PAGE, offset: pageIndex * SESSIONS_PER_PAGE });
  const state = { since: filters.since, until: filters.until, q: filters.text, ...Object.fromEntries(FILTERS.map((name) => [name, filters[name]])) };
  const sortLink = (column: SessionSort, label: string, numeric: boolean) => {
    const active = sort === column;
    const next = active && dir === 'desc' ? 'asc' : 'desc';
    const ariaSort = active ? (dir === 'desc' ? 'descending' : 'ascending') : undefined;
    return html`<th scope="col"${numeric ? raw(' class="num"') : ''}${ariaSort ? html` aria-sort="${ariaSort}"` : ''}><a href="${href('/sessions', { ...state, sort: column, dir: next })}">${label}${active ? (dir === 'desc' ? ' ↓' : ' ↑') : ''}</a></th>`;
  };
  const pages = Math.max(1, Math.ceil(total / SESSIONS_PER_PAGE));
  const pageLink = (index: number) => href('/sessions', { ...state, sort, dir, page: index === 0 ? undefined : index });
  const body = html`
<form class="filters" method="get" action="/sessions" aria-label="Session filters">
  <label>From <input type="date" name="since" value="${filters.since ?? ''}"></label>
  <label>To <input type="date" name="until" value="${filters.until ?? ''}"></label>
  ${FILTERS.map((name) => html`<label>${name[0]!.toUpperCase() + name.slice(1)} <input name="${name}" value="${filters[name] ?? ''}" size="12"></label>`)}
  <label>First prompt contains <input type="search" name="q" value="${filters.text ?? ''}"></label>
  <input type="hidden" name="sort" value="${sort}"><input type="hidden" name="dir" value="${dir}">
  <button type="submit">Show</button>
</form>
<p id="session-count" data-total="${total}">${formatCount(total)} session${total === 1 ? '' : 's'}${filters.since || filters.until ? ' started in this period' : ''}; subagents are counted in their session.</p>
<div class="table-wrap"><table class="responsive" id="sessions"><thead><tr>
${sortLink('started', 'Started', false)}<th scope="col">Machine</th><th scope="col">Agent</th><th scope="col">Project</th><th scope="col">First prompt</th>
<th scope="col">Person</th>${sortLink('duration', 'Duration', true)}${sortLink('messages', 'Messages', true)}<th class="num" scope="col">Subagents</th>
${sortLink('tokens', 'Tokens', true)}${sortLink('cost', 'Cost', true)}</tr></thead>
<tbody>${rows.map((row) => html`<tr data-session="${row.sessionId}">
<td data-label="Started">${formatTime(row.startedAt)}</td><td data-label="Machine">${row.machine}</td><td data-label="Agent">${row.agent}</td>
<td data-label="Project">${truncate(row.project, 32)}</td>
<td data-label="First prompt"><a href="/sessions/${encodeURIComponent(row.sessionId)}">${truncate(row.firstPrompt, 80) || '(no prompt)'}</a></td>
<td data-label="Person">${row.person ?? ''}${row.team ? ` (${row.team})` : ''}</td>
<td class="num" data-label="Duration">${formatDuration(row.durationSeconds)}</td><td class="num" data-label="Messages">${formatCount(row.messages)}</td>
<td class="num" data-label="Subagents">${formatCount(row.subagents)}</td><td class="num" data-label="Tokens">${formatCount(row.totalTokens)}</td>
<td class="num" data-label="Cost">${formatCost(row.pricedCostUsd, row.unpricedResponses)}</td></tr>`)}</tbody></table></div>
<nav class="pager" aria-label="Pages of sessions">
${pageIndex > 0 ? html`<a href="${pageLink(pageIndex - 1)}" rel="prev">Previous</a>` : ''}
<span>Page ${pageIndex + 1} of ${pages}</span>
${pageIndex + 1 < pages ? html`<a href="${pageLink(pageIndex + 1)}" rel="next">Next</a>` : ''}
</nav>`;
  return { title: 'Sessions', active: '/sessions', body };
}
