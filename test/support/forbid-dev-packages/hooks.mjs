// Module resolution hook (see register.mjs): fails on any module resolved inside a dev-only package.
import { readFileSync } from 'node:fs';

const lockfile = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8'));
const devOnly = new Set(
  Object.entries(lockfile.packages)
    .filter(([location, entry]) => location !== '' && entry.dev === true)
    .map(([location]) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length)),
);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const packageName = packageOf(resolved.url);
  if (packageName !== null && devOnly.has(packageName)) {
    throw new Error(`dev-only package loaded: ${packageName} (import "${specifier}" from ${context.parentURL ?? 'the entry point'})`);
  }
  return resolved;
}

function packageOf(url) {
  const marker = '/node_modules/';
  const at = url.lastIndexOf(marker);
  if (at === -1) return null;
  const [first, second] = url.slice(at + marker.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? null);
}
