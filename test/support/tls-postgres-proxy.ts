/**
 * A Postgres endpoint that speaks TLS with a certificate of our own CA, as RDS does with the RDS CAs: it answers
 * the client's SSLRequest with 'S', completes the TLS handshake with the given certificate, then relays the
 * decrypted stream to a plain Postgres. Lets a test check that a client given the CA (and only then) connects.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

export interface TestCertificates {
  /** PEM file of the CA that signed the server's certificate (our stand-in for RDS's global-bundle.pem). */
  caFile: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sessionlake-tls-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sessionlake test CA');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { caFile: at('ca.pem'), key: await readFile(at('server.key'), 'utf8'), cert: await readFile(at('server.pem'), 'utf8') };
}

export interface TlsPostgresProxy {
  port: number;
  /** TLS handshakes completed so far. */
  handshakes: number;
  stop(): Promise<void>;
}

export async function startTlsPostgresProxy(target: { host: string; port: number }, certificates: TestCertificates): Promise<TlsPostgresProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TlsPostgresProxy = { port: 0, handshakes: 0, stop: async () => {} };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    const negotiate = (chunk: Buffer): void => {
      const code = chunk.length >= 8 ? chunk.readInt32BE(4) : 0;
      if (code === GSSENC_REQUEST) {
        client.write('N');
        client.once('data', negotiate);
        return;
      }
      if (code !== SSL_REQUEST) {
        client.destroy();
        return;
      }
      client.write('S');
      const secure = new tls.TLSSocket(client, { isServer: true, key: certificates.key, cert: certificates.cert });
      secure.on('error', () => client.destroy());
      secure.once('secure', () => {
        proxy.handshakes += 1;
        const upstream = net.connect(target.port, target.host);
        sockets.add(upstream);
        upstream.on('error', () => secure.destroy());
        upstream.on('close', () => {
          sockets.delete(upstream);
          secure.destroy();
        });
        secure.on('close', () => upstream.destroy());
        secure.pipe(upstream).pipe(secure);
      });
    };
    client.once('data', negotiate);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
