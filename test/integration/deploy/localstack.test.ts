/**
 * Opt-in, where a Docker engine runs (SESSIONLAKE_LOCALSTACK=1): the notification rules of the packaged
 * template applied to a LocalStack bucket, so S3's own events (not our local bridge's) reach an SQS queue, and
 * the ingest bundle run on them with its database URL in LocalStack's SSM. Skipped, saying why, elsewhere.
 */
import path from 'node:path';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  type QueueConfiguration,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { zipSync } from 'fflate';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../../infra/build.js';
import { toSqsRecord } from '../../../infra/local/queue-runner.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { createPool } from '../../../shared/store/pool.js';
import { bucketQueueConfigurations, readAppliedTemplate } from '../../support/cloudformation.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { packageCopy } from '../../support/package-stack.js';
import { unpackFunction, type PackagedFunction } from '../../support/packaged-lambda.js';

const LOCALSTACK_IMAGE = 'localstack/localstack:3.8';
const optedIn = process.env['SESSIONLAKE_LOCALSTACK'] === '1';
const dockerProblem = optedIn ? await findDockerProblem() : null;
const runs = optedIn && dockerProblem === null;

if (!optedIn) {
  process.stderr.write('SKIPPED localstack: opt-in end-to-end test; set SESSIONLAKE_LOCALSTACK=1 where a Docker engine runs\n');
} else if (dockerProblem !== null) {
  process.stderr.write(`SKIPPED localstack: no Docker engine reachable (${dockerProblem})\n`);
}

async function findDockerProblem(): Promise<string | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe.skipIf(!runs)('against LocalStack: S3 notifications from the template into the packaged ingest', () => {
  const FIXTURE = fileURLToPath(new URL('../../fixtures/claude/projects/-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl', import.meta.url));
  const SESSION_KEY = 'laptop/raw/claude/-tmp/79884cdc-3688-47b0-817b-e651751e068c.jsonl';
  const SIDECAR_KEY = 'laptop/raw/claude/-tmp/79884cdc-3688-47b0-817b-e651751e068c/tool-results/toolu_x.txt';
  const OTHER_KEY = 'laptop/raw/claude/-tmp/notes.md';
  const BUCKET = 'sessionlake-localstack';
  const PARAMETER = '/sessionlake/localstack/database-url';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  let container: { getConnectionUri(): string; stop(): Promise<unknown> };
  let endpoint: string;
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;
  let database: FreshDatabase;
  let pool: pg.Pool;
  let ingest: PackagedFunction;

  beforeAll(async () => {
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    container = await new LocalstackContainer(LOCALSTACK_IMAGE).start();
    endpoint = container.getConnectionUri();
    const clientConfig = { endpoint, region: 'us-east-1', credentials };
    s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    sqs = new SQSClient(clientConfig);
    database = await freshDatabase();
    await runMigrations(database.url);
    pool = createPool({ connectionString: database.url, max: 1 });
    await new SSMClient(clientConfig).send(new PutParameterCommand({ Name: PARAMETER, Type: 'SecureString', Value: database.url }));

    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sessionlake-ingest' }))).QueueUrl ?? '';
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'] ?? '';
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: BUCKET,
        NotificationConfiguration: { QueueConfigurations: await templateQueueConfigurations(queueArn) },
      }),
    );

    const work = await mkdtemp(path.join(tmpdir(), 'sessionlake-localstack-'));
    const [built] = (await buildFunctions(path.join(work, 'dist'))).filter((fn) => fn.name === 'ingest');
    const zip = path.join(work, 'ingest.zip');
    await writeFile(zip, zipSync({ 'dist/ingest/index.mjs': await readFile(built?.outfile ?? '') }));
    ingest = await unpackFunction(zip, 'dist/ingest/index.handler', 'sessionlake-localstack-ingest');
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    await container?.stop();
  });

  /** The bucket's notification as the packaged template writes it, in the S3 API's shape. */
  async function templateQueueConfigurations(arn: string): Promise<QueueConfiguration[]> {
    const packaged = await packageCopy({ rawBucket: BUCKET });
    const template = await readAppliedTemplate(path.join(packaged.dir, 'cloudformation-template-update-stack.json'));
    return bucketQueueConfigurations(template, 'RawBucket', arn) as QueueConfiguration[];
  }

  async function receiveAll(expected: number): Promise<Message[]> {
    const messages: Message[] = [];
    for (let attempt = 0; attempt < 10 && messages.length < expected; attempt += 1) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
      for (const message of Messages) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        if (!(message.Body ?? '').includes('s3:TestEvent')) messages.push(message);
      }
    }
    return messages;
  }

  const keysOf = (messages: Message[]): string[] =>
    messages
      .flatMap((m) => (JSON.parse(m.Body ?? '{}') as { Records?: Array<{ s3: { object: { key: string } } }> }).Records ?? [])
      .map((record) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')))
      .sort();

  const lambdaEnv = (): Record<string, string> => ({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SESSIONLAKE_DATABASE_URL_PARAMETER: PARAMETER,
    SESSIONLAKE_TIME_RESERVE_MS: '1000',
  });

  const stateOf = async (key: string): Promise<string | undefined> =>
    (await pool.query<{ state: string }>('SELECT state FROM sessionlake.objects WHERE uri = $1', [`s3://${BUCKET}/${key}`])).rows[0]?.state;

  it('notifies sessions and sidecars only, and the ingest bundle loads them', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: SESSION_KEY, Body: await readFile(FIXTURE) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: SIDECAR_KEY, Body: 'full output\n' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: OTHER_KEY, Body: '# notes\n' }));

    const messages = await receiveAll(2);

    expect(keysOf(messages)).toEqual([SESSION_KEY, SIDECAR_KEY].sort());
    const { result } = await ingest.invoke({ Records: messages.map((m) => toSqsRecord(m, queueArn, 'us-east-1')) }, lambdaEnv());
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await stateOf(SESSION_KEY)).toBe('ingested');
  });

  it('notifies a removed session, which the ingest bundle marks deleted', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: SESSION_KEY }));

    const messages = await receiveAll(1);

    expect(keysOf(messages)).toEqual([SESSION_KEY]);
    const { result } = await ingest.invoke({ Records: messages.map((m) => toSqsRecord(m, queueArn, 'us-east-1')) }, lambdaEnv());
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await stateOf(SESSION_KEY)).toBe('deleted');
  });
});
