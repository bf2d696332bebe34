import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillHarness } from '../../support/backfill.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';

/** `sessionlake status` against a database the real pipeline wrote: states, problems, DLQ reasons, runs. */

const CLI = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
let stack: IngestStack;

function status(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'status', ...args], { env: { ...process.env, DATABASE_URL: stack.database.url } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startIngestStack({
    emulator: { maxReceiveCount: 2 },
    runner: { functionTimeoutMs: 1_000, visibilityTimeoutSeconds: 1, waitTimeSeconds: 1 },
    timeReserveMs: 100,
  });
});

afterAll(() => stack?.stop());

describe('sessionlake status', () => {
  it('says OK and exits 0 for a healthy pipeline, with the objects by state and the backfill runs', async () => {
    const put = (key: string, body: string) => stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
    await put('box/raw/claude/-p/good.jsonl', '{"type":"user","message":{"content":"hello"}}\n');
    await put('box/raw/claude/-p/empty.jsonl', '');
    await stack.runner?.drain();
    // good.jsonl as if stored before byte ranges were recorded: the backfill reads it once more to check it.
    await stack.pool.query('DELETE FROM sessionlake.ingested_ranges');
    await backfillHarness(stack).run({ verifyQuietMs: 0 });

    const text = await status([]);
    const json = await status(['--json']);

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^objects: 2 \(ingested 1, skipped 1, deleted 0, failed 0, pending 0\) · live sessions 1$/m);
    expect(text.stdout).toContain('lag: 0 s (nothing pending or failed)');
    expect(text.stdout).toMatch(/skipped\s+claude\s+session\s+1/);
    expect(text.stdout).toMatch(/s3:\/\/test-raw-\w+\/\s+finished/);
    expect(text.stdout).toMatch(/^\s*run\s+prefix\s+status\s+started\s+listed\s+to do\s+ingested\s+enqueued\s+verified\s+deleted\s+failed\s*$/m);
    expect(text.stdout).toMatch(/\nstatus: OK\n$/);
    const parsed = JSON.parse(json.stdout) as { healthy: boolean; totals: { objects: number; liveSessions: number }; backfillRuns: unknown[] };
    expect(parsed).toMatchObject({ healthy: true, totals: { objects: 2, liveSessions: 1 } });
    expect(parsed.backfillRuns).toEqual([expect.objectContaining({ listed: 2, verified: 1 })]);
  });

  it('reports a failed object and a DLQ reason, exits 1, and honours --max-lag', async () => {
    await stack.pool.query(
      `INSERT INTO sessionlake.objects (uri, bucket, key, kind, state, error, attempts, updated_at)
       VALUES ('s3://b/box/raw/claude/-p/broken.jsonl', 'b', 'box/raw/claude/-p/broken.jsonl', 'session', 'failed', 'TransientS3Error: SlowDown', 5, now() - interval '1 hour')`,
    );
    await stack.emulator.sqs.send(new SendMessageCommand({ QueueUrl: stack.emulator.queueUrl, MessageBody: 'not an S3 notification' }));
    await stack.runner?.drain();

    const text = await status([]);
    const lagOk = await status(['--json', '--max-lag', '7200']);
    const lagHigh = await status(['--json', '--max-lag', '60']);

    expect(text.code).toBe(1);
    expect(text.stdout).toContain('s3://b/box/raw/claude/-p/broken.jsonl (attempts 5): TransientS3Error: SlowDown');
    expect(text.stdout).toContain('invalid message: message body is not JSON');
    expect(text.stdout).toMatch(/status: PROBLEM — 1 failed object\n$/);
    const lag = JSON.parse(lagOk.stdout) as { totals: { lagSeconds: number }; problems: string[] };
    expect(lag.totals.lagSeconds).toBeGreaterThanOrEqual(3600);
    expect(lag.problems).toEqual(['1 failed object']);
    expect((JSON.parse(lagHigh.stdout) as { problems: string[] }).problems).toEqual(['1 failed object', expect.stringMatching(/^lag \d+ s above 60 s$/)]);
  });
});
