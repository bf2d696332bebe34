/**
 * The jq program docs/deploy.md gives for wiring an existing bucket, run on configurations such a bucket may
 * have: whatever else it notifies is kept, this stage's earlier entries are replaced, another stage's are kept, and
 * ours are the six rules serverless.yml writes on a bucket it creates (there without Ids, which AWS::S3::Bucket
 * does not take); and the teardown's program, which takes out this stage's only. Needs jq (skipped, saying so,
 * without it).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { notificationMergeProgram, notificationTeardownProgram } from '../../support/deploy-docs.js';

const run = promisify(execFile);
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:sessionlake-prod-IngestQueue-abc';

const jqVersion = await run('jq', ['--version']).then(({ stdout }) => stdout.trim(), () => null);
if (jqVersion === null) process.stderr.write('SKIPPED existing-bucket-notification: jq is not installed (apt-get install jq)\n');

const STAGE = 'prod';

interface Configuration {
  QueueConfigurations: QueueConfiguration[];
  [other: string]: unknown;
}

interface QueueConfiguration {
  Id?: string;
  QueueArn: string;
  Events: string[];
  Filter?: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
}

describe.skipIf(jqVersion === null)("the docs' merge of our notification into an existing bucket's", () => {
  let program: string;
  let removal: string;
  let work: string;

  beforeAll(async () => {
    program = await notificationMergeProgram();
    removal = await notificationTeardownProgram();
    work = await mkdtemp(path.join(tmpdir(), 'sessionlake-notification-'));
  });

  async function inFile(current: string): Promise<string> {
    const file = path.join(work, `current-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, current);
    return file;
  }

  async function merge(current: string, prefix = '', stage = STAGE, queue = QUEUE_ARN): Promise<Configuration> {
    const { stdout } = await run('jq', ['-n', '--arg', 'queue', queue, '--arg', 'prefix', prefix, '--arg', 'stage', stage, program, await inFile(current)]);
    return JSON.parse(stdout) as Configuration;
  }

  async function remove(current: string, stage: string, queue: string): Promise<Configuration> {
    const { stdout } = await run('jq', ['--arg', 'queue', queue, '--arg', 'stage', stage, removal, await inFile(current)]);
    return JSON.parse(stdout) as Configuration;
  }

  // The six rules of a stage: what serverless.yml writes on a bucket it creates (package.test.ts checks those),
  // here with ids that name the stage.
  const ours = (prefix: string, stage = STAGE, queue = QUEUE_ARN): QueueConfiguration[] =>
    [
      { name: 'sessions-created', event: 's3:ObjectCreated:*', suffix: '.jsonl' },
      { name: 'sessions-removed', event: 's3:ObjectRemoved:*', suffix: '.jsonl' },
      { name: 'sidecars-created', event: 's3:ObjectCreated:*', suffix: '.txt' },
      { name: 'sidecars-removed', event: 's3:ObjectRemoved:*', suffix: '.txt' },
      { name: 'documents-created', event: 's3:ObjectCreated:*', suffix: '.json' },
      { name: 'documents-removed', event: 's3:ObjectRemoved:*', suffix: '.json' },
    ].map(({ name, event, suffix }) => ({
      Id: `sessionlake-${stage}-${name}`,
      QueueArn: queue,
      Events: [event],
      Filter: { Key: { FilterRules: [...(prefix === '' ? [] : [{ Name: 'prefix', Value: prefix }]), { Name: 'suffix', Value: suffix }] } },
    }));

  it('writes our six rules into a bucket that has no configuration (the CLI prints nothing)', async () => {
    expect(await merge('')).toEqual({ QueueConfigurations: ours('') });
  });

  it("keeps the bucket's other notifications and replaces this stage's earlier entries", async () => {
    const lambda = {
      Id: 'thumbnails',
      LambdaFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs',
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'images/' }] } },
    };
    const otherQueue = { Id: 'audit', QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:audit', Events: ['s3:ObjectRemoved:*'] };
    const stale = { Id: `sessionlake-${STAGE}-sessions-created`, QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:old-queue', Events: ['s3:ObjectCreated:*'] };
    // What the earlier version of the page wrote: no stage in the id, but this stage's queue.
    const legacy = { Id: 'sessionlake-sessions-created', QueueArn: QUEUE_ARN, Events: ['s3:ObjectCreated:*'] };
    const current = { LambdaFunctionConfigurations: [lambda], QueueConfigurations: [otherQueue, stale, legacy], EventBridgeConfiguration: {} };

    const merged = await merge(JSON.stringify(current, null, 2), 'team-a/');

    expect(merged).toEqual({
      LambdaFunctionConfigurations: [lambda],
      EventBridgeConfiguration: {},
      QueueConfigurations: [otherQueue, ...ours('team-a/')],
    });
  });

  it("merging one stage leaves another stage's rules on the same bucket alone, also when one stage's name starts the other's", async () => {
    const queue = (stage: string) => `arn:aws:sqs:eu-west-1:123456789012:sessionlake-${stage}-IngestQueue-x`;
    const teamA = await merge('', 'team-a/', 'prod', queue('prod'));
    const both = await merge(JSON.stringify(teamA), 'team-b/', 'prod-eu', queue('prod-eu'));
    expect(both.QueueConfigurations).toEqual([...ours('team-a/', 'prod', queue('prod')), ...ours('team-b/', 'prod-eu', queue('prod-eu'))]);

    // prod redeployed: a new queue, and its rules updated in place of its old ones.
    const again = await merge(JSON.stringify(both), 'team-a/', 'prod', `${queue('prod')}2`);

    expect(again.QueueConfigurations).toEqual([...ours('team-b/', 'prod-eu', queue('prod-eu')), ...ours('team-a/', 'prod', `${queue('prod')}2`)]);
  });

  it("the teardown takes out this stage's rules only", async () => {
    const queue = (stage: string) => `arn:aws:sqs:eu-west-1:123456789012:sessionlake-${stage}-IngestQueue-x`;
    const otherQueue = { Id: 'audit', QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:audit', Events: ['s3:ObjectRemoved:*'] };
    const current = {
      QueueConfigurations: [otherQueue, ...ours('team-a/', 'prod', queue('prod')), ...ours('team-b/', 'prod-eu', queue('prod-eu'))],
    };

    expect(await remove(JSON.stringify(current), 'prod', queue('prod'))).toEqual({
      QueueConfigurations: [otherQueue, ...ours('team-b/', 'prod-eu', queue('prod-eu'))],
    });
  });
});
