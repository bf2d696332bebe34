import { createLogger } from '../../shared/log.js';
import { parseRetentionAge } from '../../shared/retention/age.js';
import { runRetention, type MonthVerdict } from '../../shared/retention/run.js';
import { createPool } from '../../shared/store/pool.js';
import { droppedMonths, transcriptMonths } from '../../shared/store/retention.js';
import { integerOption, stringOption, type Command } from '../command.js';
import { databaseUrlOption } from '../database-option.js';

/** Transcript partitions by month (migration 027): create the coming months' partitions, and drop old months. */
export const retentionCommand: Command = {
  name: 'retention',
  summary: 'Create the coming months\' transcript partitions; with --transcripts AGE, drop older months\' transcripts',
  arguments: [],
  options: {
    transcripts: {
      type: 'string',
      description: 'drop the messages, tool calls and search rows of months entirely older than AGE (540d, 18mo, 2y)',
    },
    'dry-run': { type: 'boolean', description: 'print what would be dropped (and what may not be); change nothing' },
    ahead: { type: 'string', description: 'months of partitions to create ahead of this one (default 2)' },
    list: { type: 'boolean', description: 'list the months with partitions and the months dropped, and exit' },
    'database-url': { type: 'string', description: 'Postgres URL (default: DATABASE_URL / PG* variables)' },
  },
  notes: [
    [
      'What stays forever: sessions, billed responses, the usage rollups (daily_usage, usage, session_overview\'s',
      'costs) and budgets. What goes: the month\'s partitions of messages, tool_calls and tool_call_search (a',
      'month is the UTC month a session started in; a session\'s rows are never split). A month whose billing is',
      'not settled into the rollups (rows loaded with triggers off and never decided) is refused and kept.',
      'Bring a month back from the bucket with: sessionlake backfill --restore-month YYYY-MM s3://BUCKET',
      'Exit code 1 when a month due was refused or failed.',
    ].join('\n'),
    'Examples:\n  sessionlake retention --transcripts 18mo --dry-run\n  sessionlake retention --transcripts 18mo\n  sessionlake retention --list',
  ],
  async run(input) {
    const rawAge = stringOption(input, 'transcripts');
    const age = rawAge === undefined ? null : parseRetentionAge(rawAge);
    const dryRun = input.values['dry-run'] === true;
    const monthsAhead = integerOption(input, 'ahead', 2);
    const pool = createPool({ connectionString: databaseUrlOption(input), max: 1 });
    const log = createLogger('error', { command: 'retention' }, (line) => process.stderr.write(`${line}\n`));
    try {
      if (input.values['list'] === true) {
        const months = await transcriptMonths(pool);
        process.stdout.write(`month\tsessions\tMB\n${months.map((m) => `${m.month.slice(0, 7)}\t${m.sessions}\t${mb(m.bytes)}`).join('\n')}\n`);
        const dropped = await droppedMonths(pool);
        if (dropped.length > 0) {
          process.stdout.write(`\ndropped\tsessions\tmessages\ttool calls\tMB\twhen\trestored\n${dropped
            .map((d) => `${d.month.slice(0, 7)}\t${d.sessions}\t${d.messages}\t${d.toolCalls}\t${mb(d.bytes)}\t${d.droppedAt.toISOString()}\t${d.restoredAt?.toISOString() ?? ''}`)
            .join('\n')}\n`);
        }
        return 0;
      }
      const report = await runRetention(pool, { age, now: new Date(), dryRun, monthsAhead }, log);
      if (report.created.length > 0) process.stdout.write(`partitions created: ${report.created.map((m) => m.slice(0, 7)).join(', ')}\n`);
      if (age === null) {
        if (report.created.length === 0) process.stdout.write('partitions up to date; nothing dropped (no --transcripts)\n');
        return 0;
      }
      if (report.months.length === 0) process.stdout.write(`no month older than ${age.text}${dryRun ? ' (dry run)' : ''}\n`);
      else process.stdout.write(`${verdictTable(report.months)}\n`);
      return report.months.some((m) => m.outcome === 'refused' || m.outcome === 'failed') ? 1 : 0;
    } finally {
      await pool.end();
    }
  },
};

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function verdictTable(months: MonthVerdict[]): string {
  const lines = months.map((m) => `${m.month.slice(0, 7)}\t${m.outcome}\t${m.sessions}\t${mb(m.bytes)}${m.reason === null ? '' : `\t${m.reason}`}`);
  return ['month\toutcome\tsessions\tMB', ...lines].join('\n');
}
