import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeFixtureExpectations, claudeProjectsDir } from '../../fixtures/claude/expectations.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * `sessionlake ingest` as a user runs it: a child process pointed at the emulator only through the AWS SDK's
 * standard AWS_ENDPOINT_URL_S3, with a `localhost` endpoint (which only works with path-style URLs), writing
 * into a migrated database. On Node 20 the SDK would also print its NodeVersionSupportWarning there.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = claudeFixtureExpectations.find((session) => session.path.startsWith('-Users-dev-project-alpha/'));
if (fixture === undefined) throw new Error('fixture -Users-dev-project-alpha is gone');
const key = `laptop/raw/claude/${fixture.path}`;

let stack: IngestStack;
let run: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  stack = await startIngestStack();
  await stack.emulator.s3.send(
    new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: await readFile(path.join(claudeProjectsDir, fixture.path)) }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: stack.database.url,
    AWS_ENDPOINT_URL_S3: `http://localhost:${new URL(stack.emulator.endpoint).port}`,
    AWS_REGION: stack.emulator.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  // The command must manage without them: no project-specific endpoint, and no warning switch from this runner.
  for (const name of ['SESSIONLAKE_S3_ENDPOINT', 'SESSIONLAKE_S3_FORCE_PATH_STYLE', 'AWS_ENDPOINT_URL', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) {
    delete env[name];
  }
  run = await new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/sessionlake.js', 'ingest', `s3://${stack.emulator.bucket}/${key}`],
      { cwd: root, env },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    );
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('sessionlake ingest', () => {
  it('reads the object from the endpoint in AWS_ENDPOINT_URL_S3 and lands the session', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`s3://${stack.emulator.bucket}/${key}\t`);
    const sessions = await stack.pool.query<{ message_count: number }>(
      'SELECT message_count FROM sessionlake.sessions WHERE id = $1',
      [key.slice(0, -'.jsonl'.length)],
    );
    expect(sessions.rows).toEqual([{ message_count: fixture.messages }]);
  });

  it('prints no AWS SDK NodeVersionSupportWarning', () => {
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
