/**
 * Bundles each Lambda under functions/<name>/handler.ts into dist/<name>/index.mjs (ESM, Node 22).
 * The AWS SDK is bundled too, so the deployed code runs the SDK version the tests ran.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BuiltFunction {
  name: string;
  outfile: string;
  bytes: number;
}

export async function buildFunctions(outDir = path.join(root, 'dist')): Promise<BuiltFunction[]> {
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
      target: 'node22',
      format: 'esm',
      minify: true,
      sourcemap: 'linked',
      legalComments: 'none',
      // pg and the SDK still call require() for Node built-ins; ESM output needs a require to give them.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      // pg's optional native binding is never used.
      external: ['pg-native'],
      logLevel: 'warning',
    });
    built.push({ name, outfile, bytes: (await stat(outfile)).size });
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const fn of await buildFunctions()) {
    process.stdout.write(`${fn.name}: ${path.relative(root, fn.outfile)} ${(fn.bytes / 1024).toFixed(0)} KiB\n`);
  }
}
