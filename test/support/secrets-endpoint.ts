/**
 * SSM Parameter Store and Secrets Manager over HTTP, for tests: no emulator on npm serves them (LocalStack needs
 * Docker), so this speaks the two operations the Lambdas call in the services' JSON 1.1 protocol, as the AWS API
 * reference gives them. The real SDK clients reach it through AWS_ENDPOINT_URL_SSM and
 * AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsEndpoint {
  url: string;
  /** SecureString parameters by name. */
  parameters: Map<string, string>;
  /** SecretString values by secret id (name or ARN). */
  secrets: Map<string, string>;
  /** Every call received: operation (X-Amz-Target) and JSON body. */
  calls: Array<{ target: string; body: Record<string, unknown> }>;
  /** The environment that points the AWS SDK's SSM and Secrets Manager clients here. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startSecretsEndpoint(): Promise<SecretsEndpoint> {
  const parameters = new Map<string, string>();
  const secrets = new Map<string, string>();
  const calls: SecretsEndpoint['calls'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ target, body });
      const [status, answer] = answerFor(target, body, parameters, secrets);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    parameters,
    secrets,
    calls,
    env: {
      AWS_ENDPOINT_URL_SSM: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function answerFor(
  target: string,
  body: Record<string, unknown>,
  parameters: Map<string, string>,
  secrets: Map<string, string>,
): [number, Record<string, unknown>] {
  if (target === 'AmazonSSM.GetParameter') {
    const name = String(body['Name']);
    const value = parameters.get(name);
    if (value === undefined) return [400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` }];
    // Without WithDecryption, SSM answers a SecureString with its ciphertext.
    const shown = body['WithDecryption'] === true ? value : Buffer.from(`ciphertext:${name}`).toString('base64');
    return [200, { Parameter: { Name: name, Type: 'SecureString', Value: shown, Version: 1 } }];
  }
  if (target === 'secretsmanager.GetSecretValue') {
    const id = String(body['SecretId']);
    const value = secrets.get(id);
    if (value === undefined) {
      return [400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." }];
    }
    return [200, { ARN: id, Name: id, SecretString: value, VersionId: 'v1' }];
  }
  return [400, { __type: 'UnknownOperationException', message: `not served here: ${target}` }];
}
