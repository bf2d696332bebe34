/**
 * The local S3 + SQS: fauxqs 1.9.2 in this process, with the raw bucket, the ingest queue, its DLQ
 * (redrive after maxReceiveCount receives) and the S3 → SQS notification bridge.
 */
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../shared/config.js';
import { createFauxqsStores } from './fauxqs-stores.js';
import { attachNotificationBridge, type FauxqsApp, type NotificationBridge } from './notification-bridge.js';
import type { KeyFilter } from './s3-event.js';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  bucket?: string;
  queueName?: string;
  dlqName?: string;
  /** Receives before SQS moves a message to the DLQ (default: the deployed queue's, DEFAULT_MAX_RECEIVE_COUNT). */
  maxReceiveCount?: number;
  /** The queue's default visibility timeout (default 30 s); the queue runner sets its own per receive. */
  visibilityTimeoutSeconds?: number;
  /** Keys that produce notifications (default: the bridge's DEFAULT_FILTERS, every agent's suffixes). */
  filter?: KeyFilter | KeyFilter[];
  /** Send S3 notifications to the queue (default true); off, uploads only land in the bucket. */
  notifications?: boolean;
  /** Keep the buckets' objects in files here, so they survive a restart (default: in memory only). */
  s3DataDir?: string | undefined;
  log?: (line: string) => void;
}

/** What SDK clients need to reach the emulator. */
export interface EmulatorClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

export interface RunningEmulator {
  endpoint: string;
  region: string;
  bucket: string;
  /** Exactly as CreateQueue returned it: fauxqs finds queues by the URL string. */
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  clientConfig: EmulatorClientConfig;
  s3: S3Client;
  sqs: SQSClient;
  bridge: NotificationBridge;
  /** Test seam for bulk data: puts objects into the bucket's store directly (no HTTP, no notification). */
  seedObjects(objects: Iterable<{ key: string; body: string | Uint8Array }>): void;
  stop(): Promise<void>;
}

const NO_NOTIFICATIONS: NotificationBridge = { idle: async () => {}, delivered: 0 };

export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const bucket = options.bucket ?? 'sessionlake-raw';
  const queueName = options.queueName ?? 'sessionlake-ingest';
  const dlqName = options.dlqName ?? `${queueName}-dlq`;
  const log = options.log ?? (() => {});

  let deliver: (body: string) => Promise<void> = async () => {
    throw new Error('the ingest queue does not exist yet');
  };
  let s3: S3Client | undefined;
  const stores = await createFauxqsStores({ s3DataDir: options.s3DataDir });
  const app = buildApp({ logger: false, defaultRegion: region, stores });
  acceptEmptyUploads(app);
  const bridge = (options.notifications ?? true) ? attachNotificationBridge(app, {
    region,
    ...(options.filter ? { filter: options.filter } : {}),
    deliver: (body) => deliver(JSON.stringify(body)),
    headObject: async (headBucket, key) => {
      if (!s3) throw new Error('emulator not started');
      const head = await s3.send(new HeadObjectCommand({ Bucket: headBucket, Key: key }));
      return { size: head.ContentLength ?? 0, eTag: head.ETag ?? '' };
    },
    onError: (error) => log(`s3 notification bridge: ${error instanceof Error ? error.message : String(error)}`),
  }) : NO_NOTIFICATIONS;

  try {
    await app.listen({ port: options.port ?? 0, host });
  } catch (error) {
    await app.close().catch(() => {});
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new Error(
      inUse
        ? `Port ${options.port} on ${host} is already in use (another sessionlake stack, or LocalStack?); choose another S3 port.`
        : `The S3/SQS emulator did not start: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const endpoint = `http://${host}:${port}`;
  const clientConfig: EmulatorClientConfig = { endpoint, region, credentials: { ...LOCAL_CREDENTIALS }, forcePathStyle: true };
  s3 = new S3Client(clientConfig);
  const sqs = new SQSClient(clientConfig);

  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const dlq = await createQueue(sqs, dlqName, {});
    const queue = await createQueue(sqs, queueName, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT }),
    });
    deliver = async (body) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    };
    const s3Client = s3;
    return {
      endpoint,
      region,
      bucket,
      queueUrl: queue.url,
      queueArn: queue.arn,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      clientConfig,
      s3: s3Client,
      sqs,
      bridge,
      seedObjects(objects) {
        // Bulk test data: straight into the emulator's store, no HTTP request, no notification.
        const store = stores.s3Store as unknown as { putObject(bucket: string, key: string, body: Buffer): unknown };
        for (const object of objects) store.putObject(bucket, object.key, Buffer.from(object.body));
      },
      async stop() {
        await bridge.idle();
        s3Client.destroy();
        sqs.destroy();
        await app.close();
      },
    };
  } catch (error) {
    s3.destroy();
    sqs.destroy();
    await app.close().catch(() => {});
    throw error;
  }
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl;
  if (!url) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const described = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${name} returned no QueueArn`);
  return { url, arn };
}

/**
 * fauxqs 1.9.2 answers 500 (`Buffer.from(undefined)`) to a PUT with an empty body and no Content-Type, which is
 * how the AWS CLI uploads an empty file: Fastify leaves the body undefined when there is nothing to parse.
 */
function acceptEmptyUploads(app: FauxqsApp): void {
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method === 'PUT' && request.body === undefined) request.body = Buffer.alloc(0);
    done();
  });
}
