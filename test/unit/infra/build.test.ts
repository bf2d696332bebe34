import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, type BuiltFunction } from '../../../infra/build.js';

describe('buildFunctions', () => {
  let outDir: string;
  let built: BuiltFunction[];
  // One build for both tests: each bundles every function.
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-build-'));
    built = await buildFunctions(outDir);
  }, 120_000);
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('bundles the ingest Lambda into one ESM file that loads and exports handler', async () => {
    const ingest = built.find((fn) => fn.name === 'ingest');
    expect(ingest?.outfile).toBe(path.join(outDir, 'ingest', 'index.mjs'));
    // Loading the bundle runs its module scope (config, pool, S3 client) without connecting anywhere.
    const loaded = (await import(pathToFileURL(ingest?.outfile ?? '').href)) as { handler?: unknown };
    expect(typeof loaded.handler).toBe('function');
  });

  it('bundles the backfill Lambda, which loads with its settings in the environment and exports handler', async () => {
    const backfill = built.find((fn) => fn.name === 'backfill');
    const saved = { prefixes: process.env.SESSIONLAKE_BACKFILL_PREFIXES, queue: process.env.SESSIONLAKE_INGEST_QUEUE_URL };
    process.env.SESSIONLAKE_BACKFILL_PREFIXES = 's3://bucket/laptop/ s3://bucket/gpu/';
    process.env.SESSIONLAKE_INGEST_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest';
    try {
      const loaded = (await import(pathToFileURL(backfill?.outfile ?? '').href)) as { handler?: unknown };
      expect(typeof loaded.handler).toBe('function');
    } finally {
      if (saved.prefixes === undefined) delete process.env.SESSIONLAKE_BACKFILL_PREFIXES;
      else process.env.SESSIONLAKE_BACKFILL_PREFIXES = saved.prefixes;
      if (saved.queue === undefined) delete process.env.SESSIONLAKE_INGEST_QUEUE_URL;
      else process.env.SESSIONLAKE_INGEST_QUEUE_URL = saved.queue;
    }
  });
});
