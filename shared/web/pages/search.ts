import type pg from 'pg';
import { HIT_END, HIT_START, searchDocuments } from '../../store/search.js';
import { escapeHtml, formatTime, href, html, raw, truncate } from '../html.js';
import { pageNumber, text } from '../params.js';
import { sessionPath } from './session.js';
import type { PageResult } from './page-result.js';

/** Search: docs/queries.md's full-text search, each hit linking to its message in the transcript. */

const HITS_PER_PAGE = 50;
const REDACTION = /\[REDACTED:[a-z0-9-]+:[0-9a-f]+\]/g;

export async function searchPage(db: pg.PoolClient, url: URL): Promise<PageResult> {
  const query = text(url, 'q');
  const pageIndex = pageNumber(url);
  const hits = query === undefined ? [] : await searchDocuments(db, query, { limit: HITS_PER_PAGE + 1, offset: pageIndex * HITS_PER_PAGE });
  const more = hits.length > HITS_PER_PAGE;
  const shown = hits.slice(0, HITS_PER_PAGE);
  const excerpt = (value: string) =>
    raw(escapeHtml(value).replace(REDACTION, (marker) => `<mark class="redacted">${marker}</mark>`)
      .replaceAll(HIT_START, '<mark>').replaceAll(HIT_END, '</mark>'));
  const body = html`
<form class="filters" method="get" action="/search" role="search" aria-label="Search transcripts">
  <label>Words, "a phrase", -excluded, or <input type="search" name="q" value="${query ?? ''}" size="40"></label>
  <button type="submit">Search</button>
</form>
${query === undefined ? html`<p>Searches message text, thinking and tool calls (name, input and output), as written: no stemming.</p>`
    : shown.length === 0 ? html`<p id="no-hits">Nothing found for “${query}”.</p>`
    : html`<p>Hits ${pageIndex * HITS_PER_PAGE + 1}–${pageIndex * HITS_PER_PAGE + shown.length}, newest first.</p>
<ol class="hits" id="hits" start="${pageIndex * HITS_PER_PAGE + 1}">${shown.map((hit) => html`<li data-session="${hit.sessionId}">
<a href="${sessionPath(hit.sessionId, hit.messageOrdinal)}">${truncate(hit.title, 80) || hit.sessionId}</a>
<span class="note">${hit.kind === 'tool_call' ? `tool call ${hit.label ?? ''}` : `${hit.label ?? ''} message`} · ${hit.machine} · ${hit.agent} · ${formatTime(hit.timestamp)}</span>
<div class="text">${excerpt(hit.excerpt)}</div></li>`)}</ol>
<nav class="pager" aria-label="Pages of hits">
${pageIndex > 0 ? html`<a href="${href('/search', { q: query, page: pageIndex - 1 || undefined })}" rel="prev">Previous</a>` : ''}
${more ? html`<a href="${href('/search', { q: query, page: pageIndex + 1 })}" rel="next">Next</a>` : ''}</nav>`}`;
  return { title: 'Search', active: '/search', body };
}
