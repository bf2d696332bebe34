import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../infra/local/dev-stack.js';
import type { IngestSummary } from '../../../shared/store/reports.js';

const SUMMARY: IngestSummary = {
  sessions: 3,
  deletedSessions: 0,
  messages: 1234,
  toolCalls: 5,
  sessionsByAgent: [{ machine: 'laptop', agent: 'claude', sessions: 3 }],
  tokensByModel: [],
};

describe('formatSummary (npm start)', () => {
  it('prints what landed and no deleted line when nothing was deleted', () => {
    expect(formatSummary(SUMMARY)).toEqual(['landed: 3 sessions, 1,234 messages, 5 tool calls', '  laptop/claude: 3 sessions']);
  });

  it('says apart how many sessions were deleted from S3', () => {
    const lines = formatSummary({ ...SUMMARY, deletedSessions: 2 });

    expect(lines.slice(0, 2)).toEqual([
      'landed: 3 sessions, 1,234 messages, 5 tool calls',
      '  not counted: 2 sessions deleted from S3 (their rows are kept)',
    ]);
  });
});
