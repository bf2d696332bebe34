import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadDirectory } from '../../../infra/local/upload-directory.js';
import { claudeProjectsDir } from '../../fixtures/claude/expectations.js';
import { codexSessionsDir } from '../../fixtures/codex/expectations.js';
import { qwenProjectsDir } from '../../fixtures/qwen/expectations.js';
import { copilotHomeDir } from '../../fixtures/copilot/expectations.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * Every statement in README.md's ```sql blocks, run against the sample sessions ingested through the real write
 * path (emulator, notifications, queue runner, batch handler), must return rows: an example query that shows
 * nothing on the samples teaches nothing. The SQL is read from README.md itself, so a later edit is covered.
 */

interface Statement {
  /** The comment line above it in the README. */
  title: string;
  sql: string;
}

function readmeStatements(): Statement[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split(/;[ \t]*$/m))
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .map((text) => {
      const title = /^--\s*(.+)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? text;
      return { title, sql: text };
    });
}

const statements = readmeStatements();

let stack: IngestStack;

beforeAll(async () => {
  stack = await startIngestStack({ runner: { functionTimeoutMs: 30_000, waitTimeSeconds: 1 } });
  for (const [localDir, keyPrefix] of [
    [claudeProjectsDir, 'sample/raw/claude/'],
    [codexSessionsDir, 'sample/raw/codex/'],
    [qwenProjectsDir, 'sample/raw/qwen/'],
    [copilotHomeDir, 'sample/raw/copilot/'],
  ] as const) {
    await uploadDirectory({ s3: stack.emulator.s3, bucket: stack.emulator.bucket, localDir, keyPrefix });
  }
  await stack.runner?.drain();
});

afterAll(async () => {
  await stack?.stop();
});

describe('README.md example SQL on the sample sessions', () => {
  it('finds the SQL blocks', () => {
    expect(statements.length).toBeGreaterThanOrEqual(5);
  });

  it.each(statements.map((statement) => [statement.title, statement.sql]))('%s', async (_title, sql) => {
    const result = await stack.pool.query(sql);

    expect(result.rows.length).toBeGreaterThanOrEqual(1);
  });
});
