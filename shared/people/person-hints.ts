/**
 * Who a session belongs to when no binding says (README "Set up your org"): the person named by the S3 key's
 * machine segment (`alice@gpu-box`), else the OS user whose home directory the session ran in. Only what the key
 * or the log spells out is read; a session neither names has no hint (nothing is guessed).
 */

export type PersonSource = 'binding' | 'key' | 'logs';

export interface PersonHint {
  person: string;
  source: Exclude<PersonSource, 'binding'>;
}

/** A user name as `whoami` prints it on Linux, macOS and Windows (no separators, no spaces). */
const USER_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;

/** `alice` from the machine segment `alice@gpu-box`; null for a plain host name or anything ambiguous. */
export function personFromMachine(machine: string): string | null {
  const at = machine.indexOf('@');
  if (at <= 0 || at !== machine.lastIndexOf('@') || at === machine.length - 1) return null;
  const user = machine.slice(0, at);
  return USER_NAME.test(user) && user !== '.' && user !== '..' ? user : null;
}

/** Folders under the homes' parent that are no one's home. */
const NOT_A_HOME = new Set(['shared', 'public', 'default', 'default user', 'all users', 'guest']);

const POSIX_HOME = /^\/(?:Users|home)\/([^/]+)(?:\/|$)/;
const ROOT_HOME = /^\/root(?:\/|$)/;
const WINDOWS_HOME = /^[A-Za-z]:[\\/]Users[\\/]([^\\/]+)(?:[\\/]|$)/i;

/** The OS user whose home directory `cwd` is in (`/home/bob/src` → `bob`), or null when it is in none. */
export function personFromCwd(cwd: string | null | undefined): string | null {
  if (!cwd) return null;
  if (ROOT_HOME.test(cwd)) return 'root';
  const user = POSIX_HOME.exec(cwd)?.[1] ?? WINDOWS_HOME.exec(cwd)?.[1];
  if (user === undefined || NOT_A_HOME.has(user.toLowerCase())) return null;
  return USER_NAME.test(user) && user !== '.' && user !== '..' ? user : null;
}

/** The key's person first (the machine was pushed by that person), then the log's. */
export function personHint(machine: string, cwd: string | null | undefined): PersonHint | null {
  const fromKey = personFromMachine(machine);
  if (fromKey !== null) return { person: fromKey, source: 'key' };
  const fromLogs = personFromCwd(cwd);
  return fromLogs === null ? null : { person: fromLogs, source: 'logs' };
}
