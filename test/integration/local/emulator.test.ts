import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type RunningEmulator } from '../../support/emulator.js';

let emulator: RunningEmulator;
// Byte order: '-' 0x2D, 'U' 0x55, 't' 0x74, 'Z' 0x5A, 'a' 0x61, 'é' 0xC3 0xA9 (locale order would put '-Users' after '-tmp').
const KEYS_IN_BYTE_ORDER = ['-Users-x/b.jsonl', '-Users-x/c/d.jsonl', '-tmp/a.jsonl', 'Z.jsonl', 'a.jsonl', 'é.jsonl'];

beforeAll(async () => {
  emulator = await startTestEmulator();
  for (const key of [...KEYS_IN_BYTE_ORDER].reverse()) {
    await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: 'x' }));
  }
});

afterAll(async () => {
  await emulator.stop();
});

describe('local S3 listing', () => {
  it('lists keys in UTF-8 byte order, as S3 does and as aws s3 sync relies on', async () => {
    const listed = await emulator.s3.send(new ListObjectsV2Command({ Bucket: emulator.bucket }));

    expect(listed.Contents?.map((object) => object.Key)).toEqual(KEYS_IN_BYTE_ORDER);
  });

  it('pages through the same order with continuation tokens', async () => {
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await emulator.s3.send(new ListObjectsV2Command({ Bucket: emulator.bucket, MaxKeys: 4, ContinuationToken: token }));
      pages.push((page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);

    expect(pages).toEqual([KEYS_IN_BYTE_ORDER.slice(0, 4), KEYS_IN_BYTE_ORDER.slice(4)]);
  });

  it('groups keys under common prefixes with a delimiter', async () => {
    const listed = await emulator.s3.send(new ListObjectsV2Command({ Bucket: emulator.bucket, Prefix: '-Users-x/', Delimiter: '/' }));

    expect(listed.Contents?.map((object) => object.Key)).toEqual(['-Users-x/b.jsonl']);
    expect(listed.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['-Users-x/c/']);
  });

  it('answers NoSuchBucket for a bucket that does not exist', async () => {
    const listing = emulator.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }));

    await expect(listing).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});
