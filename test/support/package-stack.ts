/**
 * Runs the packaging the way a user does, with no AWS credentials or config: the AWS_* variables removed and
 * HOME an empty folder (no ~/.aws). `packageInRepository` is `npm run package` itself; `packageCopy` packages
 * a copy of serverless.yml (with the repository's infra/ it reads) with other parameters in a folder of its own, so it can run beside the first. The
 * copy is for reading its template only: its zips hold placeholders, not bundles. `deployableCopy` is a copy of
 * what `npm run deploy` builds and packages from, for running it beside the others.
 */
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Packaged {
  /** The folder holding cloudformation-template-update-stack.json and the function zips. */
  dir: string;
  stdout: string;
}

/**
 * Whether commands can be run with no network at all (`unshare -n`: a network namespace with only a loopback that
 * is down; needs root or user namespaces). Where it cannot, packaging runs with the machine's network.
 */
export async function canRunWithoutNetwork(): Promise<boolean> {
  try {
    await run('unshare', ['-n', 'true']);
    return true;
  } catch {
    return false;
  }
}

export async function packageInRepository(extraEnv: Record<string, string> = {}, options: { withoutNetwork: boolean }): Promise<Packaged> {
  const [command, args] = options.withoutNetwork ? ['unshare', ['-n', 'npm', 'run', 'package']] : ['npm', ['run', 'package']];
  const { stdout } = await run(command as string, args as string[], {
    cwd: repositoryRoot,
    env: { ...(await credentialFreeEnv()), ...extraEnv },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { dir: path.join(repositoryRoot, '.serverless'), stdout };
}

export async function packageCopy(params: Record<string, string>): Promise<Packaged> {
  const serviceDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-package-'));
  await copyFile(path.join(repositoryRoot, 'serverless.yml'), path.join(serviceDir, 'serverless.yml'));
  // The bucket's notification rules are read from infra/notification-rules.cjs, which loads the agent registry.
  await symlink(path.join(repositoryRoot, 'infra'), path.join(serviceDir, 'infra'), 'dir');
  for (const entry of await readdir(path.join(repositoryRoot, 'functions'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    await mkdir(path.join(serviceDir, 'dist', entry.name), { recursive: true });
    await writeFile(path.join(serviceDir, 'dist', entry.name, 'index.mjs'), '// placeholder: only the template is read\n');
  }
  const osls = path.join(repositoryRoot, 'node_modules', '.bin', 'osls');
  const args = ['package', ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`)];
  const { stdout } = await run(osls, args, { cwd: serviceDir, env: await credentialFreeEnv(), maxBuffer: 16 * 1024 * 1024 });
  return { dir: path.join(serviceDir, '.serverless'), stdout };
}

/**
 * The repository's sources, serverless.yml and package.json in a folder of its own, node_modules linked: `npm run
 * deploy` there builds dist/ and writes .serverless/ without touching the repository's (which package.test.ts
 * writes at the same time).
 */
export async function deployableCopy(): Promise<string> {
  const copy = await mkdtemp(path.join(tmpdir(), 'sessionlake-deploy-'));
  for (const file of ['package.json', 'serverless.yml', 'tsconfig.json']) await copyFile(path.join(repositoryRoot, file), path.join(copy, file));
  for (const dir of ['functions', 'shared', 'infra']) await cp(path.join(repositoryRoot, dir), path.join(copy, dir), { recursive: true });
  await symlink(path.join(repositoryRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/** The environment with nothing of the user's AWS configuration: no AWS_* variables, an empty HOME. */
export async function credentialFreeEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('AWS_')) env[name] = value;
  }
  env['HOME'] = await mkdtemp(path.join(tmpdir(), 'sessionlake-empty-home-'));
  env['SLS_TELEMETRY_DISABLED'] = '1';
  env['SLS_NOTIFICATIONS_MODE'] = 'off';
  return env;
}
