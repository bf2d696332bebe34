/**
 * docs/deploy.md, step 1: with `sslmode=verify-full&sslrootcert=<CA bundle>` in the URL, both `psql` and the
 * `sessionlake` commands (node-postgres reads sslrootcert from the URL) check the server's certificate against that
 * bundle, and refuse a server they cannot verify without it; in Lambda, `NODE_EXTRA_CA_CERTS` does the same for a
 * URL that carries `sslmode` only. Our own CA and a TLS endpoint in front of the test Postgres stand in for RDS and
 * its global-bundle.pem (the real handshake is a real-account check).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { makeCertificates, startTlsPostgresProxy, type TestCertificates, type TlsPostgresProxy } from '../../support/tls-postgres-proxy.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));

const tools = await Promise.all([
  run('openssl', ['version']).then(() => true, () => false),
  run('psql', ['--version']).then(() => true, () => false),
]);
if (!tools.every(Boolean)) process.stderr.write('SKIPPED rds-ca: needs openssl and psql\n');

describe.skipIf(!tools.every(Boolean))('the RDS CA bundle, as docs/deploy.md sets it up', () => {
  let database: FreshDatabase;
  let certificates: TestCertificates;
  let proxy: TlsPostgresProxy;
  /** The test database's URL through the TLS endpoint, with the given query string. */
  let through: (query: string) => string;

  beforeAll(async () => {
    [database, certificates] = await Promise.all([freshDatabase('sessionlake_rds_ca'), makeCertificates()]);
    const direct = new URL(database.url);
    proxy = await startTlsPostgresProxy({ host: direct.hostname, port: Number(direct.port || 5432) }, certificates);
    through = (query) => {
      const url = new URL(database.url);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      return `${url.toString()}?${query}`;
    };
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await database?.drop();
  });

  const sessionlake = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stderr?: string }) => ({ ok: false, output: error.stderr ?? '' }),
    );
  const psql = (url: string) =>
    run('psql', [url, '-Atc', 'SELECT 41 + 1'], { env: { ...process.env, PGSSLROOTCERT: '', HOME: '/nonexistent' }, timeout: 30_000 }).then(
      ({ stdout }) => ({ ok: true, output: stdout.trim() }),
      (error: { stderr?: string }) => ({ ok: false, output: error.stderr ?? '' }),
    );

  it('sessionlake migrate connects with sslmode=verify-full&sslrootcert=<bundle>, over TLS', async () => {
    const before = proxy.handshakes;
    const result = await sessionlake(['migrate', '--database-url', through(`sslmode=verify-full&sslrootcert=${certificates.caFile}`)]);
    expect(result).toEqual({ ok: true, output: expect.stringMatching(/^applied migrations 1, 2/) });
    expect(proxy.handshakes).toBeGreaterThan(before);
  }, 90_000);

  it('and refuses the server without the bundle', async () => {
    const result = await sessionlake(['migrate', '--database-url', through('sslmode=verify-full')]);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/self[- ]signed certificate|unable to (get local issuer|verify)/i);
  }, 60_000);

  it('in Lambda\'s way, NODE_EXTRA_CA_CERTS trusts the bundle for a URL that carries sslmode only', async () => {
    const result = await sessionlake(['migrate', '--database-url', through('sslmode=verify-full')], { NODE_EXTRA_CA_CERTS: certificates.caFile });
    expect(result).toEqual({ ok: true, output: 'schema is up to date\n' });
  }, 60_000);

  it('psql takes the same URL, and refuses the server without the bundle', async () => {
    expect(await psql(through(`sslmode=verify-full&sslrootcert=${certificates.caFile}`))).toEqual({ ok: true, output: '42' });
    const refused = await psql(through('sslmode=verify-full'));
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/root certificate|certificate verify failed/i);
  }, 60_000);
});
