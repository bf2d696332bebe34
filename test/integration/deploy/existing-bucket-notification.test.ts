/**
 * The jq program docs/deploy.md gives for wiring an existing bucket, run on configurations such a bucket may
 * have: whatever else it notifies is kept, earlier sessionlake entries are replaced, and ours are the four rules
 * serverless.yml writes on a bucket it creates. Needs jq (skipped, saying so, without it).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { notificationMergeProgram } from '../../support/deploy-docs.js';

const run = promisify(execFile);
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:sessionlake-prod-IngestQueue-abc';

const jqVersion = await run('jq', ['--version']).then(({ stdout }) => stdout.trim(), () => null);
if (jqVersion === null) process.stderr.write('SKIPPED existing-bucket-notification: jq is not installed (apt-get install jq)\n');

interface QueueConfiguration {
  Id?: string;
  QueueArn: string;
  Events: string[];
  Filter?: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
}

describe.skipIf(jqVersion === null)("the docs' merge of our notification into an existing bucket's", () => {
  let program: string;
  let work: string;

  beforeAll(async () => {
    program = await notificationMergeProgram();
    work = await mkdtemp(path.join(tmpdir(), 'sessionlake-notification-'));
  });

  async function merge(current: string, prefix = ''): Promise<{ QueueConfigurations: QueueConfiguration[]; [other: string]: unknown }> {
    const file = path.join(work, `current-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, current);
    const { stdout } = await run('jq', ['-n', '--arg', 'queue', QUEUE_ARN, '--arg', 'prefix', prefix, program, file]);
    return JSON.parse(stdout) as { QueueConfigurations: QueueConfiguration[] };
  }

  // The four rules serverless.yml writes on a bucket it creates (package.test.ts checks those).
  const ours = (prefix: string): QueueConfiguration[] =>
    [
      { Id: 'sessionlake-sessions-created', event: 's3:ObjectCreated:*', suffix: '.jsonl' },
      { Id: 'sessionlake-sessions-removed', event: 's3:ObjectRemoved:*', suffix: '.jsonl' },
      { Id: 'sessionlake-sidecars-created', event: 's3:ObjectCreated:*', suffix: '.txt' },
      { Id: 'sessionlake-sidecars-removed', event: 's3:ObjectRemoved:*', suffix: '.txt' },
    ].map(({ Id, event, suffix }) => ({
      Id,
      QueueArn: QUEUE_ARN,
      Events: [event],
      Filter: { Key: { FilterRules: [...(prefix === '' ? [] : [{ Name: 'prefix', Value: prefix }]), { Name: 'suffix', Value: suffix }] } },
    }));

  it('writes our four rules into a bucket that has no configuration (the CLI prints nothing)', async () => {
    expect(await merge('')).toEqual({ QueueConfigurations: ours('') });
  });

  it("keeps the bucket's other notifications and replaces an earlier sessionlake entry", async () => {
    const lambda = {
      Id: 'thumbnails',
      LambdaFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs',
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'images/' }] } },
    };
    const otherQueue = { Id: 'audit', QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:audit', Events: ['s3:ObjectRemoved:*'] };
    const stale = { Id: 'sessionlake-sessions-created', QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:old-queue', Events: ['s3:ObjectCreated:*'] };
    const current = { LambdaFunctionConfigurations: [lambda], QueueConfigurations: [otherQueue, stale], EventBridgeConfiguration: {} };

    const merged = await merge(JSON.stringify(current, null, 2), 'team-a/');

    expect(merged).toEqual({
      LambdaFunctionConfigurations: [lambda],
      EventBridgeConfiguration: {},
      QueueConfigurations: [otherQueue, ...ours('team-a/')],
    });
  });
});
