/**
 * `npm run package` with no AWS credentials and, where `unshare -n` works (root here and in CI), no network at
 * all; then the CloudFormation it leaves in .serverless/, read as
 * CloudFormation would apply it with the default parameters (template-parameters.test.ts covers the others).
 * The expectations are the and AWS's rules, not a copy of serverless.yml. Then the zips it made, run
 * outside the repository by plain Node against the local S3/SQS and Postgres.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSqsRecord } from '../../../infra/local/queue-runner.js';
import { DEFAULT_FILTERS } from '../../../infra/local/notification-bridge.js';
import {
  actionsOf,
  readAppliedTemplate,
  resource,
  resourcesOfType,
  roleStatements,
  type Json,
  type PolicyStatement,
  type Template,
} from '../../support/cloudformation.js';
import { loadMigrations, runMigrations } from '../../../shared/store/migrate.js';
import { REQUIRED_SCHEMA_VERSION } from '../../../shared/store/schema-version.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';
import { migrationsUpTo } from '../../support/migrations.js';
import { unpackFunction, type PackagedFunction } from '../../support/packaged-lambda.js';
import { canRunWithoutNetwork, packageInRepository, type Packaged } from '../../support/package-stack.js';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../support/secrets-endpoint.js';

// A DATABASE_URL in the packaging environment must not find its way into the template.
const SENTINEL_PASSWORD = 'sentinel-password-5d1f';
const SENTINEL_URL = `postgres://writer:${SENTINEL_PASSWORD}@db.example:5432/sessionlake`;

const withoutNetwork = await canRunWithoutNetwork();
if (!withoutNetwork) process.stderr.write('package.test: unshare -n is not available here, so npm run package runs with the network\n');

let packaged: Packaged;
let template: Template;
let templateText: string;

beforeAll(async () => {
  packaged = await packageInRepository({ DATABASE_URL: SENTINEL_URL }, { withoutNetwork });
  const file = path.join(packaged.dir, 'cloudformation-template-update-stack.json');
  templateText = await readFile(file, 'utf8');
  template = await readAppliedTemplate(file);
}, 180_000);

const queueArn = { 'Fn::GetAtt': ['IngestQueue', 'Arn'] };
const props = (id: string): Record<string, Json> => resource(template, id).Properties ?? {};

describe('npm run package', () => {
  it('prints the size of each bundle', () => {
    expect(packaged.stdout).toMatch(/^ingest: dist\/ingest\/index\.mjs \d+ KiB \(\d+ KiB gzipped\)$/m);
    expect(packaged.stdout).toMatch(/^backfill: dist\/backfill\/index\.mjs \d+ KiB \(\d+ KiB gzipped\)$/m);
    expect(packaged.stdout).toMatch(/^migrate: dist\/migrate\/index\.mjs \d+ KiB \(\d+ KiB gzipped\)$/m);
  });

  it('runs every function with source maps enabled, so stack traces name the TypeScript sources', () => {
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction', 'MigrateLambdaFunction']) {
      expect((props(id)['Environment'] as { Variables: Record<string, Json> }).Variables['NODE_OPTIONS']).toBe('--enable-source-maps');
    }
  });

  it('deploys the three functions from their bundles as ESM on nodejs24.x, arm64', () => {
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction', 'MigrateLambdaFunction']) {
      const fn = props(id);
      expect(fn['Runtime']).toBe('nodejs24.x');
      expect(fn['Architectures']).toEqual(['arm64']);
      expect(fn['Handler']).toMatch(/^dist\/(ingest|backfill|migrate)\/index\.handler$/);
    }
  });
});

describe('the bucket the stack creates', () => {
  it('is kept when the stack is deleted, but not when its first create fails (so the create can be retried)', () => {
    const bucket = resource(template, 'RawBucket') as unknown as Record<string, Json>;
    expect(bucket['DeletionPolicy']).toBe('RetainExceptOnCreate');
    expect(bucket['UpdateReplacePolicy']).toBe('Retain');
  });

  it('keeps earlier versions of an object (the only long history), expiring them after 90 days', () => {
    expect(props('RawBucket')['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(props('RawBucket')['LifecycleConfiguration']).toEqual({
      Rules: [
        expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
      ],
    });
  });
});

describe('the stack outputs', () => {
  it('name what an operator looks for: functions, log groups, bucket, queues, topic', () => {
    expect(template.Outputs).toMatchObject({
      RawBucketName: { Value: 'sessionlake-raw' },
      IngestQueueArn: { Value: queueArn },
      IngestQueueUrl: { Value: { Ref: 'IngestQueue' } },
      IngestDeadLetterQueueUrl: { Value: { Ref: 'IngestDeadLetterQueue' } },
      IngestDeadLetterQueueArn: { Value: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] } },
      IngestFunctionName: { Value: { Ref: 'IngestLambdaFunction' } },
      BackfillFunctionName: { Value: { Ref: 'BackfillLambdaFunction' } },
      MigrateFunctionName: { Value: { Ref: 'MigrateLambdaFunction' } },
      IngestLogGroupName: { Value: { Ref: 'IngestLogGroup' } },
      BackfillLogGroupName: { Value: { Ref: 'BackfillLogGroup' } },
      MigrateLogGroupName: { Value: { Ref: 'MigrateLogGroup' } },
      AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
    });
  });
});

describe('the bucket notification', () => {
  it('sends created and removed sessions (.jsonl, .json) and sidecars to the ingest queue, the rules the local stack uses', () => {
    const configurations = (props('RawBucket')['NotificationConfiguration'] as { QueueConfigurations: Json[] }).QueueConfigurations;
    const rules = configurations.map((c) => {
      const { Event, Queue, Filter } = c as { Event: string; Queue: Json; Filter: { S3Key: { Rules: Array<{ Name: string; Value: string }> } } };
      expect(Queue).toEqual(queueArn);
      return { Event, rules: Filter.S3Key.Rules };
    });

    expect(rules).toEqual(
      expect.arrayContaining([
        { Event: 's3:ObjectCreated:*', rules: [{ Name: 'suffix', Value: '.jsonl' }] },
        { Event: 's3:ObjectRemoved:*', rules: [{ Name: 'suffix', Value: '.jsonl' }] },
        { Event: 's3:ObjectCreated:*', rules: [{ Name: 'suffix', Value: '.txt' }] },
        { Event: 's3:ObjectRemoved:*', rules: [{ Name: 'suffix', Value: '.txt' }] },
        { Event: 's3:ObjectCreated:*', rules: [{ Name: 'suffix', Value: '.json' }] },
        { Event: 's3:ObjectRemoved:*', rules: [{ Name: 'suffix', Value: '.json' }] },
      ]),
    );
    expect(rules).toHaveLength(6);
    // The deployed filters and the local notification bridge's must not drift apart.
    const deployedSuffixes = new Set(rules.map((r) => r.rules.find((rule) => rule.Name === 'suffix')?.Value));
    expect(deployedSuffixes).toEqual(new Set(DEFAULT_FILTERS.map((filter) => filter.suffix)));
  });

  it('is written after the queue policy that lets S3 send (S3 checks the destination when it is written)', () => {
    expect([resource(template, 'RawBucket').DependsOn].flat()).toContain('IngestQueuePolicy');
  });

  it('lets only S3, for this bucket and this account, send to the queue', () => {
    const statements = (props('IngestQueuePolicy')['PolicyDocument'] as unknown as { Statement: PolicyStatement[] }).Statement;
    expect(props('IngestQueuePolicy')['Queues']).toEqual([{ Ref: 'IngestQueue' }]);
    expect(statements).toEqual([
      {
        Sid: expect.any(String),
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::sessionlake-raw' } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
  });
});

describe('the ingest queue and its event source', () => {
  it('keeps a message invisible for at least 6 × the function timeout', () => {
    const timeout = props('IngestLambdaFunction')['Timeout'] as number;
    expect(timeout).toBeGreaterThan(0);
    expect(props('IngestQueue')['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('moves a message to the DLQ after 5 receives, the count the function is told, and keeps it 14 days', () => {
    expect(props('IngestQueue')['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    const env = (props('IngestLambdaFunction')['Environment'] as { Variables: Record<string, Json> }).Variables;
    expect(env['SESSIONLAKE_MAX_RECEIVE_COUNT']).toBe('5');
    expect(props('IngestDeadLetterQueue')['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
  });

  it('reports batch item failures, with batch size, batching window and maximum concurrency set', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      EventSourceArn: queueArn,
      FunctionName: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });
});

describe('the scheduled backfill', () => {
  it('runs on its rate, one at a time, over the bucket, sending work to the ingest queue', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1].Properties ?? {};
    expect(rule['ScheduleExpression']).toBe('rate(6 hours)');
    expect(rule['Targets']).toEqual([{ Arn: { 'Fn::GetAtt': ['BackfillLambdaFunction', 'Arn'] }, Id: expect.any(String) }]);
    const fn = props('BackfillLambdaFunction');
    // No reserved concurrency (a new account may have none to spare); the lease keeps two runs apart.
    expect(fn['ReservedConcurrentExecutions']).toBeUndefined();
    expect(fn['Timeout']).toBe(900);
    expect((fn['Environment'] as { Variables: Record<string, Json> }).Variables).toMatchObject({
      SESSIONLAKE_BACKFILL_PREFIXES: 's3://sessionlake-raw/',
      SESSIONLAKE_INGEST_QUEUE_URL: { Ref: 'IngestQueue' },
      SESSIONLAKE_BACKFILL_LEASE_MS: '900000',
      SESSIONLAKE_BACKFILL_VERIFY_QUIET_MS: '3600000',
      // Budget alerts go to the stack's alarm topic (README "Budgets and alerts").
      SESSIONLAKE_BUDGET_TOPIC_ARN: { Ref: 'AlarmTopic' },
    });
  });

  it('may be invoked by EventBridge from that rule only', () => {
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': ['BackfillLambdaFunction', 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [resourcesOfType(template, 'AWS::Events::Rule')[0]?.[0], 'Arn'] },
      }),
    ]);
  });
});

describe('alarms and logs', () => {
  const alarms = (): Array<Record<string, Json>> => resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
  const alarmOn = (metric: string, dimension: Json): Record<string, Json> | undefined =>
    alarms().find((a) => a['MetricName'] === metric && JSON.stringify(a['Dimensions']) === JSON.stringify([dimension]));

  it('alarms when the DLQ holds any message', () => {
    const alarm = alarmOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'QueueName'] } });
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms when the oldest queued message gets old', () => {
    const alarm = alarmOn('ApproximateAgeOfOldestMessage', { Name: 'QueueName', Value: { 'Fn::GetAtt': ['IngestQueue', 'QueueName'] } });
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 3600, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms on errors of each function', () => {
    for (const fn of ['IngestLambdaFunction', 'BackfillLambdaFunction']) {
      const alarm = alarmOn('Errors', { Name: 'FunctionName', Value: { Ref: fn } });
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('creates an SNS topic when none is given, which every alarm notifies on alarm and on recovery', () => {
    expect(resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['AlarmTopic']);
    // No address given: no subscription (someone subscribes to the topic in its own way).
    expect(props('AlarmTopic')['Subscription']).toBeUndefined();
    expect(alarms()).toHaveLength(4);
    for (const alarm of alarms()) {
      expect(alarm['AlarmActions']).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm['OKActions']).toEqual([{ Ref: 'AlarmTopic' }]);
    }
    const policy = (props('AlarmTopicPolicy')['PolicyDocument'] as unknown as { Statement: PolicyStatement[] }).Statement;
    expect(policy).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'AlarmTopic' } }),
    ]);
    expect(template.Outputs?.['AlarmTopicArn']).toMatchObject({ Value: { Ref: 'AlarmTopic' } });
  });

  it('logs JSON, kept 30 days', () => {
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction', 'MigrateLambdaFunction']) {
      expect(props(id)['LoggingConfig']).toEqual({ LogFormat: 'JSON' });
    }
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.map(([id]) => id).sort()).toEqual(['BackfillLogGroup', 'IngestLogGroup', 'MigrateLogGroup']);
    for (const [, group] of groups) expect(group.Properties?.['RetentionInDays']).toBe(30);
  });
});

describe('the database secret', () => {
  it('is never in the template: the functions get the name of the SSM parameter, not the URL', () => {
    expect(templateText).not.toContain(SENTINEL_PASSWORD);
    expect(templateText).not.toMatch(/postgres(ql)?:\/\//);
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction']) {
      const env = (props(id)['Environment'] as { Variables: Record<string, Json> }).Variables;
      expect(env['DATABASE_URL']).toBeUndefined();
      expect(env['SESSIONLAKE_DATABASE_URL_PARAMETER']).toBe('/sessionlake/dev/database-url');
      expect(env['SESSIONLAKE_DATABASE_SECRET_ID']).toBeUndefined();
    }
  });

  it('is not in the state file osls keeps beside the template either', async () => {
    expect(await readFile(path.join(packaged.dir, 'serverless-state.json'), 'utf8')).not.toContain(SENTINEL_PASSWORD);
  });
});

describe('IAM, least privilege', () => {
  const statementsOf = (roleId: string): PolicyStatement[] => roleStatements(resource(template, roleId));
  const byAction = (statements: PolicyStatement[]): Record<string, Json[]> => {
    const out: Record<string, Json[]> = {};
    for (const s of statements) for (const action of actionsOf(s)) (out[action] ??= []).push(s.Resource);
    return out;
  };
  const bucketArn = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::sessionlake-raw' };
  const objectsArn = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::sessionlake-raw/*' };
  const parameterArn = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sessionlake/dev/database-url' };

  it('gives each function a role of its own and no shared role', () => {
    // The role's ARN, written as a Sub (serverless.yml says why).
    expect(props('IngestLambdaFunction')['Role']).toEqual({ 'Fn::Sub': '${IngestRole.Arn}' });
    expect(props('BackfillLambdaFunction')['Role']).toEqual({ 'Fn::Sub': '${BackfillRole.Arn}' });
    expect(props('MigrateLambdaFunction')['Role']).toEqual({ 'Fn::Sub': '${MigrateRole.Arn}' });
    expect(resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id).sort()).toEqual(['BackfillRole', 'IngestRole', 'MigrateRole']);
    expect(resourcesOfType(template, 'AWS::IAM::Policy')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);
    for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) expect(role.Properties?.['ManagedPolicyArns']).toBeUndefined();
  });

  it('ingest: reads objects, receives/deletes/changes visibility on its own queue, reads its parameter, writes its logs, alerts on budgets', () => {
    expect(byAction(statementsOf('IngestRole'))).toEqual({
      'logs:CreateLogStream': [{ 'Fn::GetAtt': ['IngestLogGroup', 'Arn'] }],
      'logs:PutLogEvents': [{ 'Fn::GetAtt': ['IngestLogGroup', 'Arn'] }],
      's3:GetObject': [objectsArn],
      // A 404 rather than a 403 for a missing key needs it (see serverless.yml).
      's3:ListBucket': [bucketArn],
      'sqs:ReceiveMessage': [queueArn],
      'sqs:DeleteMessage': [queueArn],
      'sqs:ChangeMessageVisibility': [queueArn],
      'sqs:GetQueueAttributes': [queueArn],
      // Budget alerts from the ingest path (README "Budgets and alerts"): the alarm topic and the webhook URLs.
      'sns:Publish': [{ Ref: 'AlarmTopic' }],
      'ssm:GetParameter': [
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sessionlake/dev/budget-webhooks/*' },
        parameterArn,
      ],
    });
    const env = (props('IngestLambdaFunction')['Environment'] as { Variables: Record<string, Json> }).Variables;
    expect(env).toMatchObject({ SESSIONLAKE_BUDGET_TOPIC_ARN: { Ref: 'AlarmTopic' }, SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS: '300000' });
  });

  it('backfill: lists the bucket, reads objects, sends to the ingest queue, reads its parameter, writes its logs, alerts on budgets', () => {
    expect(byAction(statementsOf('BackfillRole'))).toEqual({
      'logs:CreateLogStream': [{ 'Fn::GetAtt': ['BackfillLogGroup', 'Arn'] }],
      'logs:PutLogEvents': [{ 'Fn::GetAtt': ['BackfillLogGroup', 'Arn'] }],
      's3:ListBucket': [bucketArn],
      's3:GetObject': [objectsArn],
      'sqs:SendMessage': [queueArn],
      // Budget alerts: the stack's alarm topic, and the webhook URLs under their SSM path.
      'sns:Publish': [{ Ref: 'AlarmTopic' }],
      'ssm:GetParameter': [
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sessionlake/dev/budget-webhooks/*' },
        parameterArn,
      ],
    });
  });

  it('migrate: reads the owner\'s URL parameter (not the writer\'s), writes its logs, nothing else', () => {
    expect(byAction(statementsOf('MigrateRole'))).toEqual({
      'logs:CreateLogStream': [{ 'Fn::GetAtt': ['MigrateLogGroup', 'Arn'] }],
      'logs:PutLogEvents': [{ 'Fn::GetAtt': ['MigrateLogGroup', 'Arn'] }],
      'ssm:GetParameter': [
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sessionlake/dev/owner-database-url' },
      ],
    });
    const env = (props('MigrateLambdaFunction')['Environment'] as { Variables: Record<string, Json> }).Variables;
    expect(env['SESSIONLAKE_DATABASE_URL_PARAMETER']).toBe('/sessionlake/dev/owner-database-url');
    expect(env['SESSIONLAKE_DATABASE_SECRET_ID']).toBeUndefined();
    expect(resourcesOfType(template, 'AWS::Lambda::Permission').map(([, p]) => p.Properties?.['FunctionName'])).not.toContainEqual({
      'Fn::GetAtt': ['MigrateLambdaFunction', 'Arn'],
    });
  });

  it('has no wildcard action and no Resource "*" anywhere', () => {
    const statements = [...statementsOf('IngestRole'), ...statementsOf('BackfillRole'), ...statementsOf('MigrateRole')];
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      for (const target of [statement.Resource].flat()) expect(target).not.toBe('*');
    }
  });
});

describe('the packaged bundles, run as the Lambda runtime runs them', () => {
  const FIXTURES = fileURLToPath(new URL('../../fixtures/claude/projects/', import.meta.url));
  const FIRST = { fixture: '-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl', key: 'laptop/raw/claude/-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl' };
  const SECOND = {
    fixture: '-Users-dev-project-alpha/2774dd33-dd96-41cc-827b-13ea916c86d1.jsonl',
    key: 'gpu-01/raw/claude/-Users-dev-project-alpha/2774dd33-dd96-41cc-827b-13ea916c86d1.jsonl',
  };
  const PARAMETER = '/sessionlake/test/database-url';
  let stack: IngestStack;
  let secrets: SecretsEndpoint;
  let ingest: PackagedFunction;
  let backfill: PackagedFunction;
  let migrate: PackagedFunction;
  let lambdaEnv: Record<string, string>;

  beforeAll(async () => {
    [stack, secrets] = await Promise.all([startIngestStack(), startSecretsEndpoint()]);
    secrets.parameters.set(PARAMETER, stack.database.url);
    ingest = await unpackFunction(path.join(packaged.dir, 'ingest.zip'), 'dist/ingest/index.handler', 'sessionlake-test-ingest');
    backfill = await unpackFunction(path.join(packaged.dir, 'backfill.zip'), 'dist/backfill/index.handler', 'sessionlake-test-backfill');
    migrate = await unpackFunction(path.join(packaged.dir, 'migrate.zip'), 'dist/migrate/index.handler', 'sessionlake-test-migrate');
    // What the template gives the functions, with the endpoints pointed at the local stack: the database URL only by
    // the SSM parameter's name.
    lambdaEnv = {
      ...secrets.env,
      AWS_REGION: stack.emulator.region,
      AWS_ENDPOINT_URL_S3: stack.emulator.endpoint,
      AWS_ENDPOINT_URL_SQS: stack.emulator.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SESSIONLAKE_DATABASE_URL_PARAMETER: PARAMETER,
      SESSIONLAKE_TIME_RESERVE_MS: '1000',
      SESSIONLAKE_BACKFILL_PREFIXES: `s3://${stack.emulator.bucket}/`,
      SESSIONLAKE_INGEST_QUEUE_URL: stack.emulator.queueUrl,
    };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([stack?.stop(), secrets?.stop()]);
  });

  async function upload(fixture: string, key: string): Promise<string> {
    const put = await stack.emulator.s3.send(
      new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: await readFile(path.join(FIXTURES, fixture)) }),
    );
    await stack.emulator.bridge.idle();
    return (put.ETag ?? '').replaceAll('"', '');
  }

  /** Every message now on the ingest queue, removed from it, as the records of one SQS event. */
  async function takeQueuedEvent(): Promise<{ Records: ReturnType<typeof toSqsRecord>[] }> {
    const { Messages = [] } = await stack.emulator.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.emulator.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
    );
    for (const message of Messages) {
      await stack.emulator.sqs.send(new DeleteMessageCommand({ QueueUrl: stack.emulator.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    return { Records: Messages.map((message) => toSqsRecord(message, stack.emulator.queueArn, stack.emulator.region)) };
  }

  const objectRow = async (key: string) =>
    (
      await stack.pool.query<{ state: string; etag: string }>('SELECT state, etag FROM sessionlake.objects WHERE uri = $1', [
        `s3://${stack.emulator.bucket}/${key}`,
      ])
    ).rows[0];

  const sessionIdOf = async (fixture: string): Promise<string> =>
    (JSON.parse((await readFile(path.join(FIXTURES, fixture), 'utf8')).split('\n')[0] ?? '{}') as { sessionId: string }).sessionId;

  it('hold nothing but their bundle and its source map (migrate: and the migrations)', async () => {
    expect(ingest.files).toEqual(['dist/ingest/index.mjs', 'dist/ingest/index.mjs.map']);
    expect(backfill.files).toEqual(['dist/backfill/index.mjs', 'dist/backfill/index.mjs.map']);
    const migrations = (await loadMigrations()).map((m) => `infra/migrations/${String(m.version).padStart(3, '0')}_${m.name}.sql`);
    expect(migrate.files).toEqual(['dist/migrate/index.mjs', 'dist/migrate/index.mjs.map', ...migrations]);
    expect(ingest.taskRoot.startsWith(path.resolve(fileURLToPath(new URL('../../..', import.meta.url))))).toBe(false);
  });

  it('ingest: reads DATABASE_URL from SSM at cold start and ingests the object of a real S3 notification', async () => {
    const etag = await upload(FIRST.fixture, FIRST.key);
    const event = await takeQueuedEvent();
    expect(event.Records).toHaveLength(1);
    secrets.calls.length = 0;

    const { result } = await ingest.invoke(event, lambdaEnv);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(secrets.calls).toEqual([{ target: 'AmazonSSM.GetParameter', body: { Name: PARAMETER, WithDecryption: true } }]);
    expect(await objectRow(FIRST.key)).toEqual({ state: 'ingested', etag });
    const session = await stack.pool.query<{ source_session_id: string; messages: string }>(
      `SELECT s.source_session_id, (SELECT count(*) FROM sessionlake.messages m WHERE m.session_id = s.id) AS messages
         FROM sessionlake.sessions s WHERE s.object_uri = $1`,
      [`s3://${stack.emulator.bucket}/${FIRST.key}`],
    );
    expect(session.rows).toEqual([{ source_session_id: await sessionIdOf(FIRST.fixture), messages: expect.not.stringMatching(/^0$/) }]);
  });

  it('backfill: on a scheduled event, marks a vanished object deleted and queues a missed one, which ingest then loads', async () => {
    // Both events are lost: the new upload's and the deletion's.
    await upload(SECOND.fixture, SECOND.key);
    await stack.emulator.s3.send(new DeleteObjectCommand({ Bucket: stack.emulator.bucket, Key: FIRST.key }));
    await stack.emulator.bridge.idle();
    await takeQueuedEvent();
    const scheduled = {
      version: '0',
      id: 'c2a7b5d2-5d6b-4c7e-9f8a-1a2b3c4d5e6f',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: new Date().toISOString(),
      region: stack.emulator.region,
      resources: ['arn:aws:events:us-east-1:123456789012:rule/sessionlake-backfill'],
      detail: {},
    };

    const { result } = await backfill.invoke(scheduled, lambdaEnv);

    expect(result).toMatchObject({
      results: [{ prefix: `s3://${stack.emulator.bucket}/`, result: { status: 'finished', counts: { listed: 1, new: 1, deleted: 1, enqueued: 1 } } }],
    });
    expect((await objectRow(FIRST.key))?.state).toBe('deleted');
    const queued = await takeQueuedEvent();
    expect(queued.Records.map((record) => (JSON.parse(record.body) as { Records: Array<{ s3: { object: { key: string } } }> }).Records[0]?.s3.object.key)).toEqual([
      SECOND.key,
    ]);

    const { result: ingested } = await ingest.invoke(queued, lambdaEnv);

    expect(ingested).toEqual({ batchItemFailures: [] });
    expect((await objectRow(SECOND.key))?.state).toBe('ingested');
  });

  describe('migrate, invoked after a deploy', () => {
    const OWNER_PARAMETER = '/sessionlake/test/owner-database-url';
    const databases: FreshDatabase[] = [];
    afterAll(async () => {
      await Promise.all(databases.map((database) => database.drop()));
    });
    const migrateEnv = () => ({ ...lambdaEnv, SESSIONLAKE_DATABASE_URL_PARAMETER: OWNER_PARAMETER });

    it('applies every bundled migration to a new database, twice at once without harm, then nothing', async () => {
      const database = await freshDatabase('sessionlake_migrate_fn');
      databases.push(database);
      secrets.parameters.set(OWNER_PARAMETER, database.url);
      const all = (await loadMigrations()).map((migration) => migration.version);

      const [first, second] = await Promise.all([migrate.invoke({}, migrateEnv()), migrate.invoke({}, migrateEnv())]);
      const applied = [first, second].flatMap(({ result }) => (result as { applied: number[] }).applied);
      expect(applied.sort((a, b) => a - b)).toEqual(all);
      expect(first.result).toMatchObject({ schemaVersion: REQUIRED_SCHEMA_VERSION });

      const { result: again } = await migrate.invoke({}, migrateEnv());
      expect(again).toEqual({ applied: [], schemaVersion: REQUIRED_SCHEMA_VERSION });
    });

    it('until it has run, ingest refuses an older schema: the invocation fails with a log line naming the versions', async () => {
      const database = await freshDatabase('sessionlake_old_schema');
      databases.push(database);
      // The schema one migration behind the code (migration numbers may skip: the one before, not REQUIRED - 1).
      const previous = Math.max(...(await loadMigrations()).map((migration) => migration.version).filter((version) => version < REQUIRED_SCHEMA_VERSION));
      await runMigrations(database.url, await migrationsUpTo(previous));
      const OLD_PARAMETER = '/sessionlake/test/old-database-url';
      secrets.parameters.set(OLD_PARAMETER, database.url);
      // The template's NODE_OPTIONS, so the stack trace shows what a deployed function logs.
      const nodeOptions = (props('IngestLambdaFunction')['Environment'] as { Variables: Record<string, string> }).Variables['NODE_OPTIONS'] ?? '';
      const env = { ...lambdaEnv, SESSIONLAKE_DATABASE_URL_PARAMETER: OLD_PARAMETER, NODE_OPTIONS: nodeOptions };

      const failure = (await ingest.invoke({ Records: [] }, env).then(
        () => null,
        (error: unknown) => error,
      )) as { stdout: string; stderr: string } | null;

      expect(failure).not.toBeNull();
      const logged = (failure?.stdout ?? '').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: 'error',
          function: 'ingest',
          message: 'refusing to run: database schema too old',
          schemaVersion: previous,
          requiredSchemaVersion: REQUIRED_SCHEMA_VERSION,
        }),
      );
      expect(failure?.stderr).toContain('SchemaTooOldError');
      // Source maps on: the trace names the TypeScript file, not only the minified bundle.
      expect(failure?.stderr).toMatch(/shared\/store\/schema-version\.ts:\d+/);
    });
  });
});
