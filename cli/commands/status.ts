import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { createPool } from '../../shared/store/pool.js';
import { readPipelineStatus, type PipelineStatus } from '../../shared/store/status.js';
import { integerOption, stringOption, type Command } from '../command.js';

/** The pipeline's health without writing SQL: states, recent problems, DLQ reasons, lag, backfill runs. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the pipeline\'s health: objects by state, recent errors, DLQ reasons, lag, backfill runs',
  arguments: [],
  options: {
    json: { type: 'boolean', description: 'print one JSON object (for monitoring)' },
    'max-lag': { type: 'string', description: 'exit 1 when the oldest unfinished object has waited longer (seconds)' },
    limit: { type: 'string', description: 'rows per list (default 10)' },
  },
  notes: [
    'Exit code 1 when any object is failed, the last backfill of a prefix failed, or the lag is above --max-lag.\n' +
      'The same figures are views: sessionlake.pipeline_status, status_objects, status_errors, status_dlq_reasons.',
  ],
  async run(input) {
    const maxLagRaw = stringOption(input, 'max-lag');
    const maxLag = maxLagRaw === undefined ? null : integerOption(input, 'max-lag', 0);
    const limit = Math.max(1, integerOption(input, 'limit', 10));
    const config = loadConfig();
    const pool = createPool({ connectionString: config.database.connectionString, max: 5 }, createLogger('error'));
    try {
      const status = await readPipelineStatus(pool, { limit });
      const problems = findProblems(status, maxLag);
      if (input.values['json'] === true) {
        process.stdout.write(`${JSON.stringify({ healthy: problems.length === 0, problems, ...status }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatStatus(status, problems).join('\n')}\n`);
      }
      return problems.length === 0 ? 0 : 1;
    } finally {
      await pool.end();
    }
  },
};

export function findProblems(status: PipelineStatus, maxLagSeconds: number | null): string[] {
  const problems: string[] = [];
  const { totals } = status;
  if (totals.failed > 0) problems.push(`${totals.failed} failed object${totals.failed === 1 ? '' : 's'}`);
  if (totals.failedBackfillPrefixes > 0) problems.push(`last backfill failed on ${totals.failedBackfillPrefixes} prefix(es)`);
  if (maxLagSeconds !== null && totals.lagSeconds > maxLagSeconds) problems.push(`lag ${totals.lagSeconds} s above ${maxLagSeconds} s`);
  return problems;
}

export function formatStatus(status: PipelineStatus, problems: string[]): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  const { totals } = status;
  const lines = [
    `objects: ${n(totals.objects)} (ingested ${n(totals.ingested)}, skipped ${n(totals.skipped)}, deleted ${n(totals.deleted)}, ` +
      `failed ${n(totals.failed)}, pending ${n(totals.pending)}) · live sessions ${n(totals.liveSessions)}`,
    totals.oldestWaitingSince === null
      ? 'lag: 0 s (nothing pending or failed)'
      : `lag: ${n(totals.lagSeconds)} s (oldest unfinished object since ${totals.oldestWaitingSince})`,
    `failed SQS messages: ${n(totals.failedMessages)} · last backfill finished: ${totals.lastBackfillFinishedAt ?? 'never'}`,
    '',
    'objects by state:',
    ...table(['state', 'agent', 'kind', 'objects'], status.byState.map((row) => [row.state, row.agent, row.kind, n(row.objects)])),
  ];
  if (status.recentErrors.length > 0) {
    lines.push('', 'recent problems:');
    for (const row of status.recentErrors) {
      lines.push(`  ${row.updatedAt}  ${row.state.padEnd(10)} ${row.uri} (attempts ${row.attempts}): ${row.error ?? '-'}`);
    }
  }
  if (status.dlqReasons.length > 0) {
    lines.push('', 'failed SQS messages, by reason:');
    for (const row of status.dlqReasons) lines.push(`  ${n(row.messages)} message(s), last ${row.lastFailedAt}: ${row.reason}`);
  }
  if (status.backfillRuns.length > 0) {
    lines.push('', 'backfill runs:');
    lines.push(
      ...table(
        ['run', 'prefix', 'status', 'started', 'listed', 'to do', 'ingested', 'enqueued', 'verified', 'deleted', 'failed'],
        status.backfillRuns.map((run) => [
          `#${run.id}`, run.prefix, run.status, run.startedAt, n(run.listed), n(run.changed), n(run.ingested), n(run.enqueued), n(run.verified), n(run.deleted), n(run.failed),
        ]),
      ),
    );
  }
  lines.push('', problems.length === 0 ? 'status: OK' : `status: PROBLEM — ${problems.join('; ')}`);
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}`);
}
