/**
 * `npm run bench:bundles`: the Lambda bundles with the AWS SDK bundled (what `npm run build` ships) and with
 * `@aws-sdk/*` left to the runtime, their sizes, and how long a fresh Node process takes to import each (the
 * module scope a cold start runs; no network). The external variant resolves the SDK from this repository's
 * node_modules the way the runtime's own copy would be found: file by file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildFunctions, formatBundleSize } from '../infra/build.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(path.join(tmpdir(), 'sessionlake-bundles-'));

try {
  for (const externalSdk of [false, true]) {
    const outDir = path.join(work, externalSdk ? 'sdk-from-runtime' : 'sdk-bundled');
    const built = await buildFunctions(outDir, { externalSdk });
    if (externalSdk) await symlink(path.join(root, 'node_modules'), path.join(outDir, 'node_modules'));
    process.stdout.write(`${externalSdk ? '@aws-sdk/* from the runtime' : '@aws-sdk/* bundled'}\n`);
    for (const fn of built) {
      const times = Array.from({ length: runs }, () => importMilliseconds(fn.outfile)).sort((a, b) => a - b);
      process.stdout.write(`  ${formatBundleSize(fn)}, import median ${times[Math.floor(runs / 2)]?.toFixed(0)} ms (${runs} runs)\n`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

function importMilliseconds(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SESSIONLAKE_BACKFILL_PREFIXES: 's3://bench-bucket',
      SESSIONLAKE_INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
    },
  });
  if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
  return Number(child.stdout);
}
