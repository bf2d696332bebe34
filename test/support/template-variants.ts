/**
 * Every template `npm run package` can produce that the tests check, one row each: the `--param` values that make
 * it. cfn-lint.test.ts lints every row; template-parameters.test.ts reads `every-option` in detail. A new
 * parameter that switches part of the stack on or off gets a row here (or a value in `every-option`).
 */
export interface TemplateVariant {
  name: string;
  /** `--param name=value` pairs; the rest keep serverless.yml's defaults. */
  params: Record<string, string>;
}

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sessionlake/writer-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:sessionlake-alarms';
const BUCKET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/9876fedc-98fe-76dc-54ba-0987654321fe';
const PROXY_HOST = 'sessionlake.proxy-abc.eu-west-1.rds.amazonaws.com';

/** The database secret in Secrets Manager behind a customer managed key and RDS Proxy, in a VPC. */
const PRIVATE_DATABASE_PARAMS = {
  databaseSecretArn: SECRET_ARN,
  databaseKmsKeyArn: KEY_ARN,
  databaseHost: PROXY_HOST,
  databaseName: 'lake',
  subnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0b1c2d3e4f5a60728',
  securityGroupIds: 'sg-0c1d2e3f4a5b6c7d8',
} as const;

/** An existing bucket, encrypted with a customer managed KMS key (SSE-KMS). */
const EXISTING_KMS_BUCKET_PARAMS = {
  rawBucket: 'acme-agent-logs',
  createBucket: 'false',
  rawBucketKmsKeyArn: BUCKET_KEY_ARN,
} as const;

/** The alarm topic the stack creates (no alarmTopicArn), with an address subscribed to it. */
export const ALARM_EMAIL_PARAMS = { alarmEmail: 'oncall@example.com' } as const;

/** Every optional setting used at once: an existing bucket under a prefix encrypted with a customer key, the secret
 * behind a customer key and RDS Proxy, a VPC, an alarm topic of the operator's, other sizing and schedule. */
export const EVERY_OPTION_PARAMS = {
  ...EXISTING_KMS_BUCKET_PARAMS,
  keyPrefix: 'team-a/',
  ...PRIVATE_DATABASE_PARAMS,
  batchSize: '25',
  batchingWindowSeconds: '30',
  maxConcurrency: '3',
  backfillRate: 'rate(1 hour)',
  alarmTopicArn: TOPIC_ARN,
  queueAgeAlarmSeconds: '900',
  maxReceiveCount: '3',
  logRetentionDays: '7',
} as const;

export const TEMPLATE_VARIANTS = [
  // A bucket created versioned with its lifecycle rule, an alarm topic created with no subscription, the migrate
  // function with its role.
  { name: 'defaults', params: {} },
  { name: 'alarm topic created, mailing an address', params: ALARM_EMAIL_PARAMS },
  { name: 'existing bucket encrypted with a customer KMS key', params: EXISTING_KMS_BUCKET_PARAMS },
  // The migrate function in the VPC too, on the owner's SSM parameter while the others read the secret.
  { name: 'VPC, Secrets Manager and RDS Proxy', params: PRIVATE_DATABASE_PARAMS },
  // No topic created: every alarm notifies the given one.
  { name: 'key prefix and an existing alarm topic', params: { keyPrefix: 'team-a/', alarmTopicArn: TOPIC_ARN } },
  { name: 'every-option', params: EVERY_OPTION_PARAMS },
] as const satisfies readonly TemplateVariant[];
