import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevStack } from '../../../infra/local/dev-stack.js';
import { decodeObjectKey } from '../../../shared/events/s3-event.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

let database: FreshDatabase;
let root: string;

beforeAll(async () => {
  database = await freshDatabase();
  root = await mkdtemp(path.join(tmpdir(), 'sessionlake-devstack-'));
});

afterAll(async () => {
  await database.drop();
  await rm(root, { recursive: true, force: true });
});

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

describe('runDevStack', () => {
  it('uploads the samples and the home folders under their prefixes, drains the queue, prints ready, and stops on abort', async () => {
    const samples = path.join(root, 'fixtures');
    const home = path.join(root, 'home-claude');
    await put(path.join(samples, 'claude/projects/-home-u-proj/aaaaaaaa-0000-4000-8000-000000000001.jsonl'), '{}\n');
    await put(path.join(samples, 'claude/projects/-home-u-proj/aaaaaaaa-0000-4000-8000-000000000001/subagents/agent-x.jsonl'), '{}\n');
    await put(path.join(samples, 'claude/projects/-home-u-proj/notes.md'), 'not a session\n');
    await put(path.join(samples, 'codex/sessions/2026/01/02/rollout-2026-01-02T03-04-05-cccccccc-0000-4000-8000-000000000003.jsonl'), '{}\n');
    await put(path.join(home, '-home-me-my proj/bbbbbbbb-0000-4000-8000-000000000002.jsonl'), '{}\n');
    const geminiHome = path.join(root, 'home-gemini');
    await put(path.join(samples, 'gemini/tmp/p/chats/session-2026-01-02T03-04-eeeeeeee.json'), '{}\n');
    await put(path.join(geminiHome, 'my-proj/chats/session-2026-01-02T03-04-ffffffff.jsonl'), '{}\n');
    const qwenHome = path.join(root, 'home-qwen');
    await put(path.join(qwenHome, '-home-me-app/chats/eeeeeeee-0000-4000-8000-000000000006.jsonl'), '{}\n');
    const copilotHome = path.join(root, 'home-copilot');
    await put(path.join(copilotHome, 'session-state/dddddddd-0000-4000-8000-000000000007/events.jsonl'), '{"type":"session.start"}\n');
    await put(path.join(copilotHome, 'session-state/dddddddd-0000-4000-8000-000000000007/workspace.yaml'), 'id: d\n');
    // ~/.copilot holds the CLI's settings and logs beside the sessions: only what the pipeline reads is copied.
    await put(path.join(copilotHome, 'config.json'), '{"github_token":"gho_planted-in-copilot-config"}\n');
    const handledKeys: string[] = [];
    const handler = async (event: SQSEvent) => {
      for (const record of event.Records) {
        const body = JSON.parse(record.body) as { Records: Array<{ s3: { object: { key: string } } }> };
        handledKeys.push(...body.Records.map((s3) => decodeObjectKey(s3.s3.object.key)));
      }
    };
    const lines: string[] = [];
    const controller = new AbortController();
    const endpointBefore = process.env.SESSIONLAKE_S3_ENDPOINT;

    const running = runDevStack(
      {
        s3Port: 0, webPort: 0,
        databaseUrl: database.url,
        stateDir: path.join(root, 'state'),
        bucket: 'dev-test',
        machine: 'testbox',
        samplesDir: samples,
        homeDirs: { claude: home, codex: path.join(root, 'no-such-dir'), gemini: geminiHome, qwen: qwenHome, copilot: copilotHome },
        loadHandler: async () => handler,
      },
      {
        log: (line) => {
          lines.push(line);
          if (line.startsWith('ready:')) controller.abort();
        },
        signal: controller.signal,
      },
    );
    await running;

    expect(handledKeys.sort()).toEqual([
      'sample/raw/claude/-home-u-proj/aaaaaaaa-0000-4000-8000-000000000001.jsonl',
      'sample/raw/claude/-home-u-proj/aaaaaaaa-0000-4000-8000-000000000001/subagents/agent-x.jsonl',
      'sample/raw/codex/2026/01/02/rollout-2026-01-02T03-04-05-cccccccc-0000-4000-8000-000000000003.jsonl',
      'sample/raw/gemini/p/chats/session-2026-01-02T03-04-eeeeeeee.json',
      'testbox/raw/claude/-home-me-my proj/bbbbbbbb-0000-4000-8000-000000000002.jsonl',
      'testbox/raw/copilot/session-state/dddddddd-0000-4000-8000-000000000007/events.jsonl',
      'testbox/raw/gemini/my-proj/chats/session-2026-01-02T03-04-ffffffff.jsonl',
      'testbox/raw/qwen/-home-me-app/chats/eeeeeeee-0000-4000-8000-000000000006.jsonl',
    ]);
    const ready = lines.filter((line) => line.startsWith('ready:'));
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatch(new RegExp(`^ready: s3=http://127\\.0\\.0\\.1:\\d+ bucket=dev-test postgres=postgres://\\S+/${database.name} web=http://127\\.0\\.0\\.1:\\d+/$`));
    expect(lines).toContain('landed: 0 sessions, 0 messages, 0 tool calls');
    // Progress counts SQS messages (one per uploaded object), not chat messages.
    const progress = lines.filter((line) => /^ingest: \d+ .*done/.test(line));
    expect(progress).not.toHaveLength(0);
    for (const line of progress) {
      expect(line).toMatch(/^ingest: \d+ queue messages done, \d+ retried so far/);
    }
    expect(lines.some((line) => line.startsWith('query it:   psql'))).toBe(true);
    expect(lines.some((line) => line.includes('s3 sync ~/.claude/projects s3://dev-test/testbox/raw/claude/'))).toBe(true);
    expect(lines.at(-1)).toBe('stopped');
    expect(process.env.SESSIONLAKE_S3_ENDPOINT).toBe(endpointBefore);
    // The local bucket keeps its objects under the state dir: the home folders' other files are not among them.
    const stored = await storedBytes(path.join(root, 'state'));
    expect(stored).toContain('{"type":"session.start"}');
    expect(stored).not.toContain('gho_planted-in-copilot-config');
  });

  it('with notifications off, uploads land in the bucket but reach no handler, and the output says how to load the bucket', async () => {
    const samples = path.join(root, 'fixtures-quiet');
    await put(path.join(samples, 'claude/projects/-p/dddddddd-0000-4000-8000-000000000004.jsonl'), '{}\n');
    let handled = 0;
    const lines: string[] = [];
    const linesWhenReconciled: string[] = [];
    const controller = new AbortController();
    let endpoint = '';

    await runDevStack(
      {
        s3Port: 0, webPort: 0,
        databaseUrl: database.url,
        stateDir: path.join(root, 'state-quiet'),
        bucket: 'dev-quiet',
        includeHome: false,
        samplesDir: samples,
        notifications: false,
        loadHandler: async () => async () => {
          handled += 1;
        },
        reconcile: async () => {
          linesWhenReconciled.push(...lines);
        },
      },
      {
        log: (line) => {
          lines.push(line);
          const ready = /^ready: s3=(\S+)/.exec(line);
          if (ready) {
            endpoint = ready[1] ?? '';
            controller.abort();
          }
        },
        signal: controller.signal,
      },
    );

    expect(handled).toBe(0);
    expect(lines).toContain('notifications: off — uploads land in s3://dev-quiet but no event reaches the queue, so nothing is ingested on its own');
    expect(lines.some((line) => line.startsWith('load it:') && line.includes(`AWS_ENDPOINT_URL_S3=${endpoint} `) && line.includes('npx sessionlake backfill s3://dev-quiet'))).toBe(true);
    // The reconcile hook runs after the queue runner started and before the first upload.
    expect(linesWhenReconciled.at(-1)).toBe('ingest: reconciling the bucket with the database…');
    expect(linesWhenReconciled.some((line) => line.startsWith('ingest: queue runner started'))).toBe(true);
    expect(linesWhenReconciled.some((line) => line.startsWith('upload:'))).toBe(false);
    expect(lines.some((line) => line.startsWith('upload: 1/1 files'))).toBe(true);
  });

  it('after a restart, ingests what the bucket kept but the lost queue never delivered (start-up backfill pass)', async () => {
    const samples = path.join(root, 'fixtures-restart');
    const sessionKey = 'sample/raw/claude/-home-u-proj/dddddddd-0000-4000-8000-000000000004.jsonl';
    await put(
      path.join(samples, 'claude/projects/-home-u-proj/dddddddd-0000-4000-8000-000000000004.jsonl'),
      '{"type":"user","timestamp":"2026-01-01T00:00:00Z","message":{"content":"kept across the restart"}}\n',
    );
    const stateDir = path.join(root, 'state-restart');
    const startOnce = async (options: { notifications: boolean; samplesDir: string }): Promise<string[]> => {
      const lines: string[] = [];
      const controller = new AbortController();
      await runDevStack(
        { s3Port: 0, webPort: 0, databaseUrl: database.url, stateDir, bucket: 'dev-restart', includeHome: false, ...options },
        {
          log: (line) => {
            lines.push(line);
            if (line.startsWith('ready:')) controller.abort();
          },
          signal: controller.signal,
        },
      );
      return lines;
    };
    // First run: the upload lands in the bucket, but no notification is delivered (as if the queue was lost).
    await startOnce({ notifications: false, samplesDir: samples });
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const before = await client.query('SELECT 1 FROM sessionlake.sessions WHERE object_uri = $1', [`s3://dev-restart/${sessionKey}`]);
      expect(before.rowCount).toBe(0);

      const lines = await startOnce({ notifications: true, samplesDir: path.join(root, 'no-samples') });

      expect(lines).toContain('reconcile: 1 objects in s3://dev-restart, 1 ingested, 0 marked deleted');
      const after = await client.query('SELECT title FROM sessionlake.sessions WHERE object_uri = $1', [`s3://dev-restart/${sessionKey}`]);
      expect(after.rows).toEqual([{ title: 'kept across the restart' }]);
    } finally {
      await client.end();
    }
  });
});

/** Every file's bytes below `dir`, as one string. */
async function storedBytes(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'latin1')))).join('\n');
}
