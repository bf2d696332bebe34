/**
 * Before the embedded Postgres starts on a data dir and port: a server still running on that data dir is either
 * in use by a live sessionlake process (an error naming both pids) or an orphan of one that was killed (stopped
 * here, so its data dir and port are free again); a port taken by another program is an error naming the port.
 * Without these checks the postmaster exits at once and the caller used to wait for it forever.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const OWNER_FILE = 'sessionlake-owner.pid';
const ORPHAN_STOP_GRACE_MS = 30_000;

/** Stops an orphaned server on `dataDir`, or throws when a live process still uses it. */
export async function freeDataDir(dataDir: string, log: (line: string) => void): Promise<void> {
  const postmasterPid = await pidFrom(path.join(dataDir, 'postmaster.pid'));
  if (postmasterPid === undefined || !isAlive(postmasterPid)) return;
  const name = await processName(postmasterPid);
  if (name !== undefined && !name.includes('postgres')) {
    // The pid was reused by an unrelated process; Postgres would take the stale lock file for a live server.
    await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
    return;
  }
  const owner = await pidFrom(path.join(dataDir, OWNER_FILE));
  const orphaned = owner !== undefined ? !isAlive(owner) : (await parentPid(postmasterPid)) === 1;
  if (!orphaned) {
    const by = owner !== undefined ? ` started by sessionlake process ${owner}` : '';
    throw new Error(
      `Data dir ${dataDir} is in use by Postgres pid ${postmasterPid}${by} (another npm start or test run?): ` +
        `stop ${owner ?? postmasterPid} first, or use another data dir (--data-dir).`,
    );
  }
  log(`postgres: stopping Postgres pid ${postmasterPid}, left running on ${dataDir} by a run that ended without stopping it`);
  await stopProcess(postmasterPid);
}

/** Records this process as the user of the server on `dataDir` (read by `freeDataDir` of later runs). */
export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, OWNER_FILE);
  await writeFile(file, `${process.pid}\n`);
  return () => rm(file, { force: true });
}

export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} on ${host} is already in use by another program, so the embedded Postgres cannot listen there: ` +
                'stop that program, choose another port (--pg-port; 0 picks a free one), or set DATABASE_URL to use a running server.',
            )
          : error,
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

async function stopProcess(pid: number): Promise<void> {
  const signals: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', ORPHAN_STOP_GRACE_MS], // fast shutdown
    ['SIGQUIT', 10_000], // immediate shutdown
  ];
  for (const [signal, graceMs] of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    for (let waited = 0; waited < graceMs; waited += 100) {
      if (!isAlive(pid)) return;
      await sleep(100);
    }
  }
  throw new Error(`Postgres pid ${pid} did not stop; stop it by hand (kill -9 ${pid}) and start again.`);
}

async function pidFrom(file: string): Promise<number | undefined> {
  const firstLine = (await readFile(file, 'utf8').catch(() => '')).split('\n')[0]?.trim() ?? '';
  const pid = Number(firstLine);
  return /^\d+$/.test(firstLine) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux only (/proc); undefined elsewhere, which the callers treat as "cannot tell". */
async function processName(pid: number): Promise<string | undefined> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined))?.trim();
}

async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields after the parenthesised command name: state, ppid, …
  const ppid = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  return ppid === undefined ? undefined : Number(ppid);
}
