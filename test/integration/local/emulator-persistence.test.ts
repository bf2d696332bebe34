import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';

let dataRoot: string;
const running: RunningEmulator[] = [];

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'sessionlake-s3-files-'));
});

afterEach(async () => {
  for (const emulator of running.splice(0)) await emulator.stop();
});

afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

async function started(emulator: Promise<RunningEmulator>): Promise<RunningEmulator> {
  const value = await emulator;
  running.push(value);
  return value;
}

interface ListedObject {
  key: string;
  eTag: string;
  size: number;
  lastModified: string;
  md5: string;
}

async function everything(emulator: RunningEmulator): Promise<ListedObject[]> {
  const listed = await emulator.s3.send(new ListObjectsV2Command({ Bucket: emulator.bucket }));
  const objects: ListedObject[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await emulator.s3.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: object.Key }));
    const bytes = Buffer.from(await got.Body?.transformToByteArray() ?? []);
    objects.push({
      key: object.Key ?? '',
      eTag: object.ETag ?? '',
      size: object.Size ?? -1,
      lastModified: object.LastModified?.toISOString() ?? '',
      md5: createHash('md5').update(bytes).digest('hex'),
    });
  }
  return objects;
}

describe('local S3 with a data dir', () => {
  it('keeps the bucket across a restart: the same keys, bytes, sizes, ETags and times, and deletions stay deleted', async () => {
    const s3DataDir = path.join(dataRoot, 'restart');
    const options = { bucket: 'kept-raw', queueName: 'kept-ingest', s3DataDir };
    const first = await started(startTestEmulator(options));
    const put = (key: string, body: string | Buffer) => first.s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: key, Body: body }));
    await put('m/raw/claude/-home-me-p ✓/a.jsonl', '{"type":"user"}\n');
    await put('m/raw/claude/p/empty.jsonl', '');
    await put('m/raw/claude/p/overwritten.jsonl', 'old\n');
    await put('m/raw/claude/p/overwritten.jsonl', 'new\n');
    await put('m/raw/claude/p/deleted.jsonl', 'gone\n');
    await first.s3.send(new DeleteObjectCommand({ Bucket: first.bucket, Key: 'm/raw/claude/p/deleted.jsonl' }));
    const bigKey = 'm/raw/claude/p/big.jsonl';
    const { UploadId } = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: first.bucket, Key: bigKey }));
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('tail\n')];
    const etags: string[] = [];
    for (const [index, body] of parts.entries()) {
      const uploaded = await first.s3.send(new UploadPartCommand({ Bucket: first.bucket, Key: bigKey, UploadId, PartNumber: index + 1, Body: body }));
      etags.push(uploaded.ETag ?? '');
    }
    await first.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: first.bucket,
        Key: bigKey,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) },
      }),
    );
    const before = await everything(first);
    await first.stop();
    running.splice(0);

    const second = await started(startTestEmulator(options));
    const after = await everything(second);

    expect(before.map((object) => object.key)).toEqual([
      'm/raw/claude/-home-me-p ✓/a.jsonl',
      'm/raw/claude/p/big.jsonl',
      'm/raw/claude/p/empty.jsonl',
      'm/raw/claude/p/overwritten.jsonl',
    ]);
    expect(before.find((object) => object.key === bigKey)?.eTag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(before.find((object) => object.key.endsWith('overwritten.jsonl'))?.md5).toBe(createHash('md5').update('new\n').digest('hex'));
    expect(after).toEqual(before);
  });

  it('starts with an empty bucket without a data dir (in memory, as before)', async () => {
    const options = { bucket: 'memory-raw', queueName: 'memory-ingest' };
    const first = await started(startTestEmulator(options));
    await first.s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'm/raw/claude/p/a.jsonl', Body: 'x' }));
    await first.stop();
    running.splice(0);

    const second = await started(startTestEmulator(options));

    expect(await everything(second)).toEqual([]);
  });
});

describe('local S3 with notifications off', () => {
  it('stores an upload but sends nothing to the queue', async () => {
    const emulator = await started(startTestEmulator({ notifications: false }));

    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: 'm/raw/claude/p/a.jsonl', Body: '{}\n' }));
    await emulator.bridge.idle();
    const received = await emulator.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulator.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const depth = await emulator.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: emulator.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );

    expect((await everything(emulator)).map((object) => object.key)).toEqual(['m/raw/claude/p/a.jsonl']);
    expect(received.Messages ?? []).toEqual([]);
    expect(depth.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(emulator.bridge.delivered).toBe(0);
  });
});
