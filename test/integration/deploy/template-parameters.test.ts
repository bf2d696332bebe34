/**
 * The stack packaged with every optional setting used: an existing bucket under a key prefix encrypted with a
 * customer managed key, the database URL in Secrets Manager behind a customer managed key and RDS Proxy, a VPC, an
 * alarm topic, other queue sizing; and the topic the stack creates, with an address.
 * package.test.ts covers the defaults; the parameters are the `every-option` row of test/support/template-variants.ts.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
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
import { packageCopy } from '../../support/package-stack.js';
import { ALARM_EMAIL_PARAMS, EVERY_OPTION_PARAMS } from '../../support/template-variants.js';

const PARAMS = EVERY_OPTION_PARAMS;
const SECRET_ARN = PARAMS.databaseSecretArn;
const KEY_ARN = PARAMS.databaseKmsKeyArn;
const TOPIC_ARN = PARAMS.alarmTopicArn;
const BUCKET_KEY_ARN = PARAMS.rawBucketKmsKeyArn;

let template: Template;
let templateText: string;

beforeAll(async () => {
  const packaged = await packageCopy(PARAMS);
  const file = path.join(packaged.dir, 'cloudformation-template-update-stack.json');
  templateText = await readFile(file, 'utf8');
  template = await readAppliedTemplate(file);
}, 180_000);

const props = (id: string): Record<string, Json> => resource(template, id).Properties ?? {};
const envOf = (id: string): Record<string, Json> => (props(id)['Environment'] as { Variables: Record<string, Json> }).Variables;
const statementsWith = (roleId: string, action: string): PolicyStatement[] =>
  roleStatements(resource(template, roleId)).filter((s) => actionsOf(s).includes(action));

describe('an existing bucket under a key prefix', () => {
  it('creates no bucket (its notification is merged by hand) but lets that bucket send to the queue', () => {
    expect(resourcesOfType(template, 'AWS::S3::Bucket').map(([id]) => id)).toEqual(['ServerlessDeploymentBucket']);
    expect(templateText).toContain('acme-agent-logs');
    const statement = (props('IngestQueuePolicy')['PolicyDocument'] as unknown as { Statement: PolicyStatement[] }).Statement[0];
    expect(statement?.Condition).toEqual({
      ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-agent-logs' } },
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('reads objects under the prefix only, and the backfill lists under the prefix only', () => {
    for (const role of ['IngestRole', 'BackfillRole']) {
      expect(statementsWith(role, 's3:GetObject').map((s) => s.Resource)).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-agent-logs/team-a/*' }]);
    }
    expect(statementsWith('BackfillRole', 's3:ListBucket')).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-agent-logs' },
        Condition: { StringLike: { 's3:prefix': ['team-a/*'] } },
      }),
    ]);
    expect(envOf('BackfillLambdaFunction')['SESSIONLAKE_BACKFILL_PREFIXES']).toBe('s3://acme-agent-logs/team-a/');
  });
});

describe('the database secret in Secrets Manager, behind RDS Proxy', () => {
  it('gives the functions the secret ARN and the proxy endpoint, no SSM parameter', () => {
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction']) {
      expect(envOf(id)).toMatchObject({ SESSIONLAKE_DATABASE_SECRET_ID: SECRET_ARN, PGHOST: PARAMS.databaseHost, PGDATABASE: 'lake' });
      expect(envOf(id)['SESSIONLAKE_DATABASE_URL_PARAMETER']).toBeUndefined();
    }
  });

  it('may read that secret and decrypt with that key only', () => {
    for (const role of ['IngestRole', 'BackfillRole']) {
      expect(statementsWith(role, 'secretsmanager:GetSecretValue').map((s) => s.Resource)).toEqual([SECRET_ARN]);
      expect(statementsWith(role, 'kms:Decrypt').map((s) => s.Resource)).toEqual([BUCKET_KEY_ARN, KEY_ARN]);
      // Only the budgets' webhook URLs (budget alerts), never a database parameter.
      expect(statementsWith(role, 'ssm:GetParameter').map((s) => s.Resource)).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sessionlake/dev/budget-webhooks/*' },
      ]);
    }
  });

  it('leaves the migrate function on the owner\'s SSM parameter, straight to the database (not the proxy)', () => {
    const env = envOf('MigrateLambdaFunction');
    expect(env['SESSIONLAKE_DATABASE_URL_PARAMETER']).toBe('/sessionlake/dev/owner-database-url');
    expect(env['SESSIONLAKE_DATABASE_SECRET_ID']).toBeUndefined();
    expect(env['PGHOST']).toBeUndefined();
    expect(statementsWith('MigrateRole', 'kms:Decrypt').map((s) => s.Resource)).toEqual([KEY_ARN]);
    expect(statementsWith('MigrateRole', 'secretsmanager:GetSecretValue')).toEqual([]);
  });
});

describe('an existing bucket encrypted with a customer managed KMS key', () => {
  it('lets both functions decrypt with that key, only through S3', () => {
    for (const role of ['IngestRole', 'BackfillRole']) {
      const [statement] = statementsWith(role, 'kms:Decrypt').filter((s) => s.Resource === BUCKET_KEY_ARN);
      expect(statement).toEqual({
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: BUCKET_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } },
      });
    }
    expect(statementsWith('MigrateRole', 'kms:Decrypt').map((s) => s.Resource)).not.toContain(BUCKET_KEY_ARN);
  });
});

describe('a database in a VPC', () => {
  it('runs every function in the given subnets and security groups', () => {
    for (const id of ['IngestLambdaFunction', 'BackfillLambdaFunction', 'MigrateLambdaFunction']) {
      expect(props(id)['VpcConfig']).toEqual({
        SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60728'],
        SecurityGroupIds: ['sg-0c1d2e3f4a5b6c7d8'],
      });
    }
  });

  it('grants the network-interface actions, the one place Resource "*" appears (EC2 takes nothing narrower)', () => {
    for (const role of ['IngestRole', 'BackfillRole', 'MigrateRole']) {
      const anyResource = roleStatements(resource(template, role)).filter((s) => [s.Resource].flat().includes('*'));
      expect(anyResource.flatMap(actionsOf).sort()).toEqual([
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ]);
    }
  });
});

describe('sizing, schedule, alarms and logs from parameters', () => {
  it('sizes the event source and keeps ReportBatchItemFailures', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 30,
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('moves a message to the DLQ after the given receives, and tells the ingest that count', () => {
    // A --param value reaches the template as text; SQS reads the redrive policy's count either way.
    expect(String((props('IngestQueue')['RedrivePolicy'] as Record<string, Json>)['maxReceiveCount'])).toBe('3');
    expect(envOf('IngestLambdaFunction')['SESSIONLAKE_MAX_RECEIVE_COUNT']).toBe('3');
  });

  it('schedules the backfill at the given rate', () => {
    expect(resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => rule.Properties?.['ScheduleExpression'])).toEqual(['rate(1 hour)']);
  });

  it('notifies the SNS topic from every alarm, on alarm and on recovery', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) {
      expect(alarm['AlarmActions']).toEqual([TOPIC_ARN]);
      expect(alarm['OKActions']).toEqual([TOPIC_ARN]);
    }
    // A --param arrives as a string; CloudFormation reads "900" for a number as it reads a Ref to a parameter.
    expect(alarms.find((alarm) => alarm['MetricName'] === 'ApproximateAgeOfOldestMessage')?.['Threshold']).toBe('900');
  });

  it('creates no topic of its own when one is given, and names the given one in the outputs', () => {
    expect(resourcesOfType(template, 'AWS::SNS::Topic')).toEqual([]);
    expect(template.Outputs?.['AlarmTopicArn']).toMatchObject({ Value: TOPIC_ARN });
  });

  it('keeps logs the given number of days', () => {
    for (const [, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) expect(group.Properties?.['RetentionInDays']).toBe(7);
  });
});

describe('the alarm topic the stack creates, with an address to mail', () => {
  it('subscribes the address to the topic by email', async () => {
    const packaged = await packageCopy(ALARM_EMAIL_PARAMS);
    const withEmail = await readAppliedTemplate(path.join(packaged.dir, 'cloudformation-template-update-stack.json'));
    expect(resource(withEmail, 'AlarmTopic').Properties?.['Subscription']).toEqual([{ Protocol: 'email', Endpoint: ALARM_EMAIL_PARAMS.alarmEmail }]);
  }, 180_000);
});
