import type pg from 'pg';
import { sessionHeader, subagentsOf, toolCall, transcriptPage, type TranscriptMessage, type TranscriptToolCall } from '../../store/transcript.js';
import { escapeHtml, formatCost, formatCount, formatTime, href, html, raw, type Html } from '../html.js';
import { pageNumber } from '../params.js';
import type { PageResult } from './page-result.js';

/**
 * Session: the transcript as people read it, `MESSAGES_PER_PAGE` ordinals a page (`?page=`), so a long session is
 * never loaded whole. Three statements per page: header, subagents, messages with their tool calls and usage.
 */

export const MESSAGES_PER_PAGE = 200;
/** Characters of a text or tool output a transcript page carries; the rest is on the tool call's own page. */
const TEXT_LIMIT = 20_000;
/** Tool outputs longer than this are folded. */
const FOLD_AT = 600;
const FULL_CALL_LIMIT = 2_000_000;

const REDACTION = /\[REDACTED:[a-z0-9-]+:[0-9a-f]+\]/g;

/** Escaped text with every redaction marker shown as one. */
export function transcriptText(text: string): Html {
  return raw(escapeHtml(text).replace(REDACTION, (marker) => `<mark class="redacted" title="a secret was removed here at ingest">${marker}</mark>`));
}

export function sessionPath(sessionId: string, ordinal?: number): string {
  const path = `/sessions/${encodeURIComponent(sessionId)}`;
  if (ordinal === undefined) return path;
  const pageIndex = Math.floor(ordinal / MESSAGES_PER_PAGE);
  return `${href(path, { page: pageIndex === 0 ? undefined : pageIndex })}#m${ordinal}`;
}

export async function sessionPage(db: pg.PoolClient, url: URL, sessionId: string): Promise<PageResult | null> {
  const header = await sessionHeader(db, sessionId);
  if (header === null) return null;
  const pageIndex = pageNumber(url);
  const from = pageIndex * MESSAGES_PER_PAGE;
  const subagents = await subagentsOf(db, sessionId);
  const messages = await transcriptPage(db, sessionId, { from, to: from + MESSAGES_PER_PAGE }, TEXT_LIMIT);
  const pages = header.maxOrdinal === null ? 1 : Math.floor(header.maxOrdinal / MESSAGES_PER_PAGE) + 1;
  const path = `/sessions/${encodeURIComponent(sessionId)}`;
  const pager = pages <= 1 ? '' : html`<nav class="pager" aria-label="Pages of this transcript">
${pageIndex > 0 ? html`<a href="${href(path, { page: pageIndex - 1 || undefined })}" rel="prev">Previous messages</a>` : ''}
<span>Messages ${from}–${Math.min(from + MESSAGES_PER_PAGE, (header.maxOrdinal ?? 0) + 1) - 1} (page ${pageIndex + 1} of ${pages})</span>
${pageIndex + 1 < pages ? html`<a href="${href(path, { page: pageIndex + 1 })}" rel="next">Next messages</a>` : ''}</nav>`;
  const body = html`
<dl class="meta" id="session-meta">
  <dt>First prompt</dt><dd>${header.title === null ? '(none)' : transcriptText(header.title)}</dd>
  <dt>Machine</dt><dd>${header.machine}</dd><dt>Agent</dt><dd>${header.agent}${header.kind === 'subagent' ? ' (subagent)' : ''}</dd>
  <dt>Project</dt><dd>${header.project}${header.gitBranch ? ` · branch ${header.gitBranch}` : ''}</dd>
  <dt>Person</dt><dd>${header.person ?? '(unknown)'}${header.team ? ` · team ${header.team}` : ''}</dd>
  <dt>Model</dt><dd>${header.model ?? ''}</dd>
  <dt>Time</dt><dd>${formatTime(header.startedAt)} – ${formatTime(header.endedAt)}</dd>
  <dt>Messages</dt><dd>${formatCount(header.messages)} messages, ${formatCount(header.toolCalls)} tool calls</dd>
  <dt>Usage</dt><dd data-session-cost>${formatCount(header.totalTokens)} tokens, ${formatCost(header.pricedCostUsd, header.unpricedResponses)}${subagents.length > 0 ? ' (this session; subagents below)' : ''}</dd>
  <dt>Secrets redacted</dt><dd>${formatCount(header.secretsFound)}</dd>
  <dt>Raw object</dt><dd><code id="object-key">${header.objectUri}</code></dd>
  ${header.parentSessionId ? html`<dt>Parent</dt><dd><a href="${sessionPath(header.parentSessionId)}">the session that started this subagent</a></dd>` : ''}
</dl>
${subagents.length > 0 ? html`<h2>Subagents</h2><ul id="subagents">${subagents.map((sub) => html`<li><a href="${sessionPath(sub.sessionId)}">${sub.title ?? sub.sessionId}</a> <span class="note">${formatTime(sub.startedAt)}, ${formatCount(sub.messages)} messages</span></li>`)}</ul>` : ''}
<h2>Transcript</h2>
${pager}
${messages.length === 0 ? html`<p>No messages on this page.</p>` : messages.map((message) => messageBlock(sessionId, message))}
${pager}`;
  return { title: `Session ${header.title === null ? sessionId : truncateTitle(header.title)}`, active: '/sessions', body };
}

function truncateTitle(title: string): string {
  const flat = title.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

function messageBlock(sessionId: string, message: TranscriptMessage): Html {
  const cut = (length: number) => (length > TEXT_LIMIT ? html`<p class="note">(first ${formatCount(TEXT_LIMIT)} of ${formatCount(length)} characters)</p>` : '');
  const usage = message.usage === null ? '' : html`<span data-usage>${formatCount(message.usage.tokens)} tokens (in ${formatCount(message.usage.inputTokens)}, out ${formatCount(message.usage.outputTokens)}, cache write ${formatCount(message.usage.cacheWriteTokens)}, cache read ${formatCount(message.usage.cacheReadTokens)}) · ${message.usage.costUsd === null ? html`<span class="unpriced">unpriced</span>` : `$${message.usage.costUsd.toFixed(4)}`}</span>`;
  const kind = message.role === 'user' || message.role === 'assistant' ? message.role : message.role === 'tool' ? 'tool' : 'system';
  return html`<article class="msg ${kind}" id="m${message.ordinal}" aria-label="${message.role} message ${message.ordinal}">
<header><span class="role">${message.role}</span>${message.isSidechain ? ' · sidechain' : ''}${message.isCompactBoundary ? ' · compaction' : ''}<span>${formatTime(message.timestamp)}</span>${message.model ? html`<span>${message.model}</span>` : ''}${usage}<a href="#m${message.ordinal}" aria-label="link to message ${message.ordinal}">#${message.ordinal}</a></header>
${message.thinking ? html`<details class="thinking"><summary>Thinking (${formatCount(message.thinkingLength)} characters)</summary><div class="text">${transcriptText(message.thinking)}</div>${cut(message.thinkingLength)}</details>` : ''}
${message.text ? html`<div class="text">${transcriptText(message.text)}</div>${cut(message.textLength)}` : ''}
${message.toolCalls.map((call) => toolCallBlock(sessionId, message.ordinal, call))}
${!message.text && !message.thinking && message.toolCalls.length === 0 ? html`<p class="note">(no text: tool results, shown with their calls above, or a record without words)</p>` : ''}
</article>`;
}

function toolCallBlock(sessionId: string, ordinal: number, call: TranscriptToolCall): Html {
  const long = call.resultLength > FOLD_AT || call.inputLength > FOLD_AT;
  const fullLink = `/sessions/${encodeURIComponent(sessionId)}/calls/${ordinal}/${call.index}`;
  const status = call.isError === true ? html` · <span class="tag-error">error</span>` : call.isError === null ? ' · no result yet' : '';
  const preview = (call.input ?? '').replace(/\s+/g, ' ').slice(0, 100);
  return html`<details class="call${call.isError === true ? ' error' : ''}" id="c${ordinal}-${call.index}"${long ? '' : raw(' open')}>
<summary>Tool call: <strong>${call.name}</strong>${status} <span class="note">${preview}</span></summary>
<p class="note">Input (${formatCount(call.inputLength)} characters)</p><pre>${transcriptText(call.input ?? '')}</pre>
${call.result === null ? '' : html`<p class="note">Output (${formatCount(call.resultLength)} characters)</p><pre class="output">${transcriptText(call.result)}</pre>`}
${call.resultLength > TEXT_LIMIT || call.inputLength > TEXT_LIMIT ? html`<p><a href="${fullLink}">Whole tool call</a></p>` : ''}
</details>`;
}

export async function toolCallPage(db: pg.PoolClient, sessionId: string, ordinal: number, index: number): Promise<PageResult | null> {
  const call = await toolCall(db, sessionId, ordinal, index, FULL_CALL_LIMIT);
  if (call === null) return null;
  const body = html`<p><a href="${sessionPath(sessionId, ordinal)}">Back to the transcript</a></p>
<h2>Input</h2><pre>${transcriptText(call.input ?? '')}</pre>
<h2>Output${call.isError === true ? ' (error)' : ''}</h2>
${call.result === null ? html`<p>No result yet.</p>` : html`<pre class="output">${transcriptText(call.result)}</pre>`}
${call.resultLength > FULL_CALL_LIMIT ? html`<p class="note">The first ${formatCount(FULL_CALL_LIMIT)} of ${formatCount(call.resultLength)} characters; the whole output is in the tool_calls table.</p>` : ''}`;
  return { title: `Tool call ${call.name}`, active: '/sessions', body };
}
