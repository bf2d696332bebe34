import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildS3NotificationRecord, S3EventName } from '../../../infra/local/s3-event.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/**
 * A duplicate S3 event (SQS delivers at least once) for an object already stored needs nothing, whatever the
 * stored outcome was: here objects at session keys whose content no parser reads (stored `skipped` with no
 * parser version). Through the real path: PutObject → notification → queue → handler, then the same event
 * delivered again.
 */

const CLAUDE_LINE = '{"type":"user","timestamp":"2026-03-01T09:00:00Z","message":{"content":"hello"}}\n';
const OBJECTS = {
  // A Claude line where a Codex rollout belongs: no parser takes it.
  claudeUnderCodex: { key: 'box/raw/codex/2026/03/01/rollout-2026-03-01T09-00-00-stray.jsonl', body: CLAUDE_LINE },
  empty: { key: 'box/raw/claude/-p/2f6d0a53-empty.jsonl', body: '' },
};

describe('a duplicate event for an object stored skipped without a parser version', () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startIngestStack({ runner: { functionTimeoutMs: 5_000, waitTimeSeconds: 1 } });
  });

  afterAll(() => stack?.stop());

  it('is answered from the stored row: no GetObject, the row untouched', async () => {
    // Prepare: both uploads are read once and stored skipped, with no parser version
    const { emulator, pool } = stack;
    for (const { key, body } of Object.values(OBJECTS)) {
      await emulator.s3.send(new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: Buffer.from(body) }));
    }
    await stack.runner?.drain();
    const keys = Object.values(OBJECTS).map((object) => object.key);
    const readRows = () =>
      pool.query<{ key: string; kind: string; state: string; parser_version: string | null; etag: string; sequencer: string; size: string; updated_at: Date }>(
        `SELECT key, kind, state, parser_version, etag, sequencer, size, updated_at FROM sessionlake.objects WHERE key = ANY($1) ORDER BY key`,
        [keys],
      );
    const before = (await readRows()).rows;
    expect(before.map(({ key, kind, state, parser_version }) => ({ key, kind, state, parser_version }))).toEqual(
      [
        { key: OBJECTS.claudeUnderCodex.key, kind: 'session', state: 'skipped', parser_version: null },
        { key: OBJECTS.empty.key, kind: 'session', state: 'skipped', parser_version: null },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect([...stack.getObjectKeys].sort()).toEqual([...keys].sort());
    stack.getObjectKeys.length = 0;

    // Act: SQS delivers each event once more (same ETag, same sequencer)
    for (const row of before) {
      const record = buildS3NotificationRecord({
        eventName: S3EventName.put,
        bucket: emulator.bucket,
        key: row.key,
        size: Number(row.size),
        eTag: row.etag,
        sequencer: row.sequencer,
        eventTime: new Date(),
        region: emulator.region,
      });
      await emulator.sqs.send(new SendMessageCommand({ QueueUrl: emulator.queueUrl, MessageBody: JSON.stringify({ Records: [record] }) }));
    }
    await stack.runner?.drain();

    // Assess
    expect(stack.getObjectKeys).toEqual([]);
    expect((await readRows()).rows).toEqual(before);
  });
});
