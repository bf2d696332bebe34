import { notificationSuffixes } from '../shared/agents/registry.js';

/**
 * The raw bucket's notification rules in the CloudFormation template (serverless.yml, `RawBucket`
 * `NotificationConfiguration.QueueConfigurations`): for every agent's notify suffix, in registry order, a created
 * and a removed rule sending the key to the ingest queue, below the key prefix when one is set. S3 filters are a
 * literal prefix and suffix; the ingest records any other key below the prefix as skipped.
 */
export function rawBucketQueueConfigurations(): unknown[] {
  const keyPrefix = { 'Fn::If': ['HasKeyPrefix', { Name: 'prefix', Value: { Ref: 'keyPrefix' } }, { Ref: 'AWS::NoValue' }] };
  return notificationSuffixes().flatMap((suffix) =>
    ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'].map((event) => ({
      Event: event,
      Queue: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
      Filter: { S3Key: { Rules: [keyPrefix, { Name: 'suffix', Value: suffix }] } },
    })),
  );
}
