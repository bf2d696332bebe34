/**
 * Bundles each Lambda under functions/<name>/handler.ts into dist/<name>/index.mjs (ESM, Node 24: the Lambda runtime nodejs24.x).
 * The AWS SDK is bundled too (`npm run bench:bundles` measures the alternative): the deployed code runs the SDK
 * version the tests ran, the zip needs nothing from the runtime, and it loaded no slower than the runtime's
 * SDK resolved file by file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BuiltFunction {
  name: string;
  outfile: string;
  bytes: number;
  gzipBytes: number;
}

export interface BuildOptions {
  /** Leave `@aws-sdk/*` out of the bundle, to be taken from the Lambda runtime (only for measuring). */
  externalSdk?: boolean;
}

export async function buildFunctions(outDir = path.join(root, 'dist'), options: BuildOptions = {}): Promise<BuiltFunction[]> {
  const functionsDir = path.join(root, 'functions');
  const names = (await readdir(functionsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const built: BuiltFunction[] = [];
  for (const name of names.sort()) {
    const outfile = path.join(outDir, name, 'index.mjs');
    await build({
      entryPoints: [path.join(functionsDir, name, 'handler.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      minify: true,
      sourcemap: 'linked',
      legalComments: 'none',
      // pg and the SDK still call require() for Node built-ins; ESM output needs a require to give them.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      // pg's optional native binding is never used.
      external: ['pg-native', ...(options.externalSdk === true ? ['@aws-sdk/*'] : [])],
      logLevel: 'warning',
    });
    built.push({
      name,
      outfile,
      bytes: (await stat(outfile)).size,
      gzipBytes: gzipSync(await readFile(outfile)).length,
    });
  }
  return built;
}

export function formatBundleSize(fn: BuiltFunction): string {
  const where = fn.outfile.startsWith(root) ? path.relative(root, fn.outfile) : fn.outfile;
  return `${fn.name}: ${where} ${(fn.bytes / 1024).toFixed(0)} KiB (${(fn.gzipBytes / 1024).toFixed(0)} KiB gzipped)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const fn of await buildFunctions()) process.stdout.write(`${formatBundleSize(fn)}\n`);
}
