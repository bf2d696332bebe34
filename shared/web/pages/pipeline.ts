import type pg from 'pg';
import { readPipelineStatus } from '../../store/status.js';
import { formatCount, formatTime, html } from '../html.js';
import type { PageResult } from './page-result.js';

/** Pipeline: what `sessionlake status` prints, from the same store function (the status views of migration 004). */
export async function pipelinePage(db: pg.PoolClient): Promise<PageResult> {
  const status = await readPipelineStatus(db, { limit: 20 });
  const t = status.totals;
  const iso = (value: string | null) => (value === null ? '' : formatTime(value.replace(/\.\d+Z$/, 'Z')));
  const body = html`
<ul class="totals" aria-label="Objects">
  <li><span class="label">Objects</span><span class="value" data-total="objects">${formatCount(t.objects)}</span></li>
  <li><span class="label">Ingested</span><span class="value" data-total="ingested">${formatCount(t.ingested)}</span></li>
  <li><span class="label">Skipped</span><span class="value">${formatCount(t.skipped)}</span></li>
  <li><span class="label">Deleted</span><span class="value">${formatCount(t.deleted)}</span></li>
  <li><span class="label">Failed</span><span class="value${t.failed > 0 ? ' problem' : ''}" data-total="failed">${formatCount(t.failed)}</span></li>
  <li><span class="label">Pending</span><span class="value">${formatCount(t.pending)}</span></li>
  <li><span class="label">Live sessions</span><span class="value" data-total="sessions">${formatCount(t.liveSessions)}</span></li>
  <li><span class="label">Lag</span><span class="value">${formatCount(t.lagSeconds)} s</span></li>
</ul>
<p>Oldest object waiting since: ${iso(t.oldestWaitingSince) || 'nothing waiting'}. Last backfill finished: ${iso(t.lastBackfillFinishedAt) || 'never (or not visible to this role)'}.</p>
<h2>Objects by state</h2>
<div class="table-wrap"><table class="responsive" id="states"><thead><tr><th scope="col">State</th><th scope="col">Agent</th><th scope="col">Kind</th><th class="num" scope="col">Objects</th></tr></thead>
<tbody>${status.byState.map((row) => html`<tr><td data-label="State">${row.state}</td><td data-label="Agent">${row.agent}</td><td data-label="Kind">${row.kind}</td><td class="num" data-label="Objects">${formatCount(row.objects)}</td></tr>`)}</tbody></table></div>
<h2>Recent problems</h2>
${status.recentErrors.length === 0 ? html`<p>None.</p>` : html`<div class="table-wrap"><table class="responsive"><thead><tr><th scope="col">Object</th><th scope="col">State</th><th class="num" scope="col">Attempts</th><th scope="col">When</th><th scope="col">Reason</th></tr></thead>
<tbody>${status.recentErrors.map((row) => html`<tr><td data-label="Object"><code>${row.uri}</code></td><td data-label="State">${row.state}</td><td class="num" data-label="Attempts">${row.attempts}</td><td data-label="When">${iso(row.updatedAt)}</td><td data-label="Reason">${row.error ?? ''}</td></tr>`)}</tbody></table></div>`}
<h2>Why queue messages failed (DLQ)</h2>
${status.dlqReasons.length === 0 ? html`<p>None${t.failedMessages === 0 ? '' : ' visible to this role'}.</p>` : html`<div class="table-wrap"><table class="responsive"><thead><tr><th scope="col">Reason</th><th class="num" scope="col">Messages</th><th class="num" scope="col">Failures</th><th scope="col">Last</th></tr></thead>
<tbody>${status.dlqReasons.map((row) => html`<tr><td data-label="Reason">${row.reason}</td><td class="num" data-label="Messages">${formatCount(row.messages)}</td><td class="num" data-label="Failures">${formatCount(row.failures)}</td><td data-label="Last">${iso(row.lastFailedAt)}</td></tr>`)}</tbody></table></div>`}
<h2>Backfill runs</h2>
${status.backfillRuns.length === 0 ? html`<p>None (operators only: a team role sees no runs).</p>` : html`<div class="table-wrap"><table class="responsive"><thead><tr><th scope="col">Prefix</th><th scope="col">Status</th><th scope="col">Started</th><th class="num" scope="col">Listed</th><th class="num" scope="col">Changed</th><th class="num" scope="col">Ingested</th><th class="num" scope="col">Verified</th><th class="num" scope="col">Failed</th></tr></thead>
<tbody>${status.backfillRuns.map((run) => html`<tr><td data-label="Prefix"><code>${run.prefix}</code></td><td data-label="Status">${run.status}</td><td data-label="Started">${iso(run.startedAt)}</td><td class="num" data-label="Listed">${formatCount(run.listed)}</td><td class="num" data-label="Changed">${formatCount(run.changed)}</td><td class="num" data-label="Ingested">${formatCount(run.ingested)}</td><td class="num" data-label="Verified">${formatCount(run.verified)}</td><td class="num" data-label="Failed">${formatCount(run.failed)}</td></tr>`)}</tbody></table></div>`}`;
  return { title: 'Pipeline', active: '/pipeline', body };
}
