// Module resolution hook (see register.mjs): fails on any module resolved inside a dev-only package.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const lockfile = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8'));
// By install location, not by name: a dev tool's own nested copy of a package (osls brings its own
// @aws-sdk/client-s3 under node_modules/osls/node_modules/) does not make the hoisted production copy dev-only.
const devOnly = new Set(
  Object.entries(lockfile.packages)
    .filter(([location, entry]) => location !== '' && entry.dev === true)
    .map(([location]) => location),
);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const location = packageLocation(resolved.url);
  if (location !== null && devOnly.has(location)) {
    const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    throw new Error(`dev-only package loaded: ${name} (import "${specifier}" from ${context.parentURL ?? 'the entry point'})`);
  }
  return resolved;
}

/** `node_modules/a/node_modules/@s/b` for a file inside that package under the repository, else null. */
function packageLocation(url) {
  if (!url.startsWith('file:')) return null;
  const file = fileURLToPath(url);
  if (!file.startsWith(root)) return null;
  const relative = file.slice(root.length).split('\\').join('/');
  const marker = 'node_modules/';
  const at = relative.lastIndexOf(marker);
  if (at === -1) return null;
  const [first, second] = relative.slice(at + marker.length).split('/');
  const name = first?.startsWith('@') ? `${first}/${second}` : first;
  return name === undefined ? null : `${relative.slice(0, at + marker.length)}${name}`;
}
