import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  ListObjectsV2Command,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3NotificationRecord } from '../../../infra/local/s3-event.js';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

/** Every notification now on the queue (each message holds one record), removed from it. */
async function takeNotifications(): Promise<S3NotificationRecord[]> {
  await emulator.bridge.idle();
  const records: S3NotificationRecord[] = [];
  for (;;) {
    const received = await emulator.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulator.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return records;
    for (const message of messages) {
      const body = JSON.parse(message.Body ?? '{}') as { Records: S3NotificationRecord[] };
      records.push(...body.Records);
      await emulator.sqs.send(new DeleteMessageCommand({ QueueUrl: emulator.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

async function headETag(key: string): Promise<string> {
  const head = await emulator.s3.send(new HeadObjectCommand({ Bucket: emulator.bucket, Key: key }));
  return head.ETag ?? '';
}

describe('S3 → SQS notification bridge', () => {
  it('sends one AWS-shaped ObjectCreated:Put per upload, key form-encoded and eTag unquoted', async () => {
    const key = 'laptop/raw/claude/-home-me-my project/c++ notes ünï ✓.jsonl';
    const body = '{"type":"user"}\n';

    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: body }));
    const records = await takeNotifications();

    expect(records).toHaveLength(1);
    const [record] = records as [S3NotificationRecord];
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: emulator.bucket, arn: `arn:aws:s3:::${emulator.bucket}` },
        object: {
          // space → +, + → %2B, ü ï ✓ as UTF-8 bytes, / kept
          key: 'laptop/raw/claude/-home-me-my+project/c%2B%2B+notes+%C3%BCn%C3%AF+%E2%9C%93.jsonl',
          size: 16,
          eTag: createHash('md5').update(body).digest('hex'),
        },
      },
    });
    expect(record.s3.object.eTag).toBe((await headETag(key)).replaceAll('"', ''));
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(Number.isNaN(Date.parse(record.eventTime))).toBe(false);
  });

  it('sends ObjectCreated:CompleteMultipartUpload with the -N ETag and the summed part sizes for a multipart upload', async () => {
    const key = 'laptop/raw/claude/p/big.jsonl';
    const first = Buffer.alloc(5 * 1024 * 1024, 'a');
    const second = Buffer.alloc(1024, 'b');
    const { UploadId } = await emulator.s3.send(new CreateMultipartUploadCommand({ Bucket: emulator.bucket, Key: key }));
    const part1 = await emulator.s3.send(new UploadPartCommand({ Bucket: emulator.bucket, Key: key, UploadId, PartNumber: 1, Body: first }));
    const part2 = await emulator.s3.send(new UploadPartCommand({ Bucket: emulator.bucket, Key: key, UploadId, PartNumber: 2, Body: second }));

    await emulator.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: emulator.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.ETag }] },
      }),
    );
    const records = await takeNotifications();

    expect(records.map((record) => record.eventName)).toEqual(['ObjectCreated:CompleteMultipartUpload']);
    const object = records[0]?.s3.object;
    expect(object?.eTag).toMatch(/^[0-9a-f]{32}-2$/);
    expect(object?.eTag).toBe((await headETag(key)).replaceAll('"', ''));
    expect(object?.size).toBe(5 * 1024 * 1024 + 1024);
  });

  it('sends events for sessions and tool-result sidecars only, as the deployed notification rules do', async () => {
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: 'laptop/raw/claude/p/notes.md', Body: 'x' }));
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: 'laptop/raw/claude/p/s.jsonl.tmp', Body: 'x' }));
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: 'laptop/raw/claude/p/s.jsonl', Body: 'x' }));
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: 'laptop/raw/claude/p/s/tool-results/toolu_1.txt', Body: 'x' }));

    const records = await takeNotifications();

    expect(records.map((record) => record.s3.object.key).sort()).toEqual([
      'laptop/raw/claude/p/s.jsonl',
      'laptop/raw/claude/p/s/tool-results/toolu_1.txt',
    ]);
  });

  it('numbers the events of one key in upload order and reports a delete as ObjectRemoved:Delete', async () => {
    const key = 'laptop/raw/claude/p/again.jsonl';

    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: 'one\n' }));
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: 'one\ntwo\n' }));
    await emulator.s3.send(new DeleteObjectCommand({ Bucket: emulator.bucket, Key: key }));
    const records = await takeNotifications();

    const bySequencer = [...records].sort((a, b) => (a.s3.object.sequencer < b.s3.object.sequencer ? -1 : 1));
    expect(bySequencer.map((record) => [record.eventName, record.s3.object.size])).toEqual([
      ['ObjectCreated:Put', 4],
      ['ObjectCreated:Put', 8],
      ['ObjectRemoved:Delete', undefined],
    ]);
    expect(bySequencer[2]?.s3.object.eTag).toBeUndefined();
  });

  it('accepts an empty object (Claude Code leaves empty session files), lists it with size 0 and notifies', async () => {
    const key = 'laptop/raw/claude/p/eeeeeeee-0000-4000-8000-000000000000.jsonl';

    // As the AWS CLI sends it: no Content-Type, Content-Length 0 (the SDK adds a Content-Type, which hid the bug).
    const put = await fetch(`${emulator.endpoint}/${emulator.bucket}/${key}`, { method: 'PUT', body: new Uint8Array(0) });
    const records = await takeNotifications();
    const listed = await emulator.s3.send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: key }));

    const emptyMd5 = createHash('md5').update('').digest('hex');
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(`"${emptyMd5}"`);
    expect(listed.Contents?.map((object) => [object.Key, object.Size])).toEqual([[key, 0]]);
    expect(records.map((record) => [record.eventName, record.s3.object.size, record.s3.object.eTag])).toEqual([
      ['ObjectCreated:Put', 0, emptyMd5],
    ]);
  });
});
