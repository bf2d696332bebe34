/**
 * Peak RSS of one ingest process: `sessionlake ingest` (the same write path as the Lambda) run as a child on one
 * large object, its high-water mark (VmHWM) read from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LOCAL_CREDENTIALS } from '../infra/local/emulator.js';
import type { BenchStack } from './ingest-bench.js';

const CLI = fileURLToPath(new URL('../bin/sessionlake.js', import.meta.url));

async function highWaterMarkKb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

export async function ingestInChild(stack: BenchStack, key: string): Promise<{ ms: number; peakRssMb: number; outcome: string }> {
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, 'ingest', `s3://${stack.emulator.bucket}/${key}`], {
    env: {
      ...process.env,
      DATABASE_URL: stack.databaseUrl,
      AWS_ENDPOINT_URL_S3: stack.emulator.endpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_REGION: stack.emulator.region,
      SESSIONLAKE_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peakKb = 0;
  const pid = child.pid ?? 0;
  const sampler = setInterval(() => {
    void highWaterMarkKb(pid).then((kb) => {
      if (kb !== null) peakKb = Math.max(peakKb, kb);
    });
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`sessionlake ingest exited ${code}: ${stderr.trim()}`);
  return { ms: performance.now() - start, peakRssMb: peakKb / 1024, outcome: stdout.trim().split('\t')[1] ?? '' };
}
