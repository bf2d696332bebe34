/**
 * The database the analytics tests query: every sample session (test/fixtures/claude, test/fixtures/codex) and the
 * usage fixtures (test/fixtures/usage) uploaded to the emulator under one machine and ingested through the real
 * write path (notifications, queue runner, batch handler), as `npm start` would.
 */
import { fileURLToPath } from 'node:url';
import { uploadDirectory } from '../../infra/local/upload-directory.js';
import { claudeProjectsDir } from '../fixtures/claude/expectations.js';
import { codexSessionsDir } from '../fixtures/codex/expectations.js';
import { startIngestStack, type IngestStack } from './ingest-stack.js';

export const SAMPLE_MACHINE = 'sample';
export const usageClaudeProjectsDir = fileURLToPath(new URL('../fixtures/usage/claude/projects/', import.meta.url));

/** The local folders uploaded, and the key prefix each one lands under. */
export const ANALYTICS_UPLOADS: ReadonlyArray<readonly [localDir: string, keyPrefix: string]> = [
  [claudeProjectsDir, `${SAMPLE_MACHINE}/raw/claude/`],
  [usageClaudeProjectsDir, `${SAMPLE_MACHINE}/raw/claude/`],
  [codexSessionsDir, `${SAMPLE_MACHINE}/raw/codex/`],
];

export async function startAnalyticsStack(uploads = ANALYTICS_UPLOADS): Promise<IngestStack> {
  const stack = await startIngestStack({ runner: { functionTimeoutMs: 30_000, waitTimeSeconds: 1 } });
  for (const [localDir, keyPrefix] of uploads) {
    await uploadDirectory({ s3: stack.emulator.s3, bucket: stack.emulator.bucket, localDir, keyPrefix });
  }
  await stack.runner?.drain();
  return stack;
}
