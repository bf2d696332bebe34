import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnalyticsStack } from '../../support/analytics.js';
import type { IngestStack } from '../../support/ingest-stack.js';

/**
 * Every statement of docs/queries.md's ```sql blocks runs against the ingested sample sessions and returns rows:
 * an answer that shows nothing on the samples teaches nothing. Read from the file itself, so later edits are
 * covered. The price update example (infra/prices/example-update.sql) is applied too and changes what it says.
 */

interface Statement {
  title: string;
  sql: string;
}

function docStatements(): Statement[] {
  const doc = readFileSync(new URL('../../../docs/queries.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split(/;[ \t]*$/m))
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .map((text) => ({ title: /^--\s*(.+)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? text, sql: text }));
}

const statements = docStatements();
let stack: IngestStack;

beforeAll(async () => {
  stack = await startAnalyticsStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('docs/queries.md on the sample sessions', () => {
  it('answers at least twelve questions', () => {
    expect(statements.length).toBeGreaterThanOrEqual(12);
  });

  it.each(statements.map((statement) => [statement.title, statement.sql]))('%s', async (_title, sql) => {
    const result = await stack.pool.query(sql);

    expect(result.rows.length).toBeGreaterThanOrEqual(1);
  });
});

describe('infra/prices/example-update.sql', () => {
  it('prices a model that had none, and bills later usage at a new price and earlier usage at the old one', async () => {
    // Prepare: claude-opus-5 (17f0522f…jsonl): input 10, output 5. claude-sonnet-4 before 2026-06-01 only in the
    // samples: the pricing fixture's long-context line (2026-03-02) keeps its price.
    const sql = readFileSync(new URL('../../../infra/prices/example-update.sql', import.meta.url), 'utf8');
    const client = await stack.pool.connect();
    try {
      await client.query('BEGIN');
      const before = await client.query(`SELECT cost_usd FROM sessionlake.usage WHERE model = 'claude-sonnet-4-20250514' AND is_long_context`);

      // Act
      await client.query(sql);
      const opus5 = await client.query(`SELECT cost_usd FROM sessionlake.usage WHERE model = 'claude-opus-5'`);
      const after = await client.query(`SELECT cost_usd FROM sessionlake.usage WHERE model = 'claude-sonnet-4-20250514' AND is_long_context`);
      const unpriced = await client.query(`SELECT 1 FROM sessionlake.unpriced_usage WHERE model = 'claude-opus-5'`);
      const newer = await client.query(
        `SELECT sessionlake.response_cost(sessionlake.price_at('claude-sonnet-4-20250514', '2026-07-01'), 100000, 100000, 0, 0, 0, false) AS cost`,
      );

      // Assess: (10 × 5 + 5 × 25) / 10⁶; the 2026-03-02 line unchanged; from June, 100k in + 100k out = 0.25 + 1.25
      expect(Number(opus5.rows[0]?.cost_usd)).toBeCloseTo((10 * 5 + 5 * 25) / 1e6, 12);
      expect(unpriced.rows).toEqual([]);
      expect(after.rows).toEqual(before.rows);
      expect(Number(newer.rows[0]?.cost)).toBeCloseTo(1.5, 9);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
