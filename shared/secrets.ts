/**
 * The Lambdas' database connection string, fetched at cold start from SSM Parameter Store (a SecureString) or
 * Secrets Manager, so that it is never in the function's configuration or the CloudFormation template.
 * Endpoints follow the AWS SDK's own variables (AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from './config.js';

type Env = Record<string, string | undefined>;

/** Name of an SSM parameter (SecureString) holding a postgres:// URL. */
export const DATABASE_URL_PARAMETER = 'SESSIONLAKE_DATABASE_URL_PARAMETER';
/** ARN or name of a Secrets Manager secret: a postgres:// URL, or the RDS JSON form (username, password, …). */
export const DATABASE_SECRET_ID = 'SESSIONLAKE_DATABASE_SECRET_ID';

/**
 * The environment with DATABASE_URL filled in from the configured secret; unchanged when none is configured.
 * At most one source may be set: two would leave it unclear which database the function writes to.
 */
export async function resolveDatabaseUrl(env: Env = process.env): Promise<Env> {
  const parameter = optional(env, DATABASE_URL_PARAMETER);
  const secretId = optional(env, DATABASE_SECRET_ID);
  const given = [
    optional(env, 'DATABASE_URL') === undefined ? null : 'DATABASE_URL',
    parameter === undefined ? null : DATABASE_URL_PARAMETER,
    secretId === undefined ? null : DATABASE_SECRET_ID,
  ].filter((name) => name !== null);
  if (given.length > 1) throw new ConfigError(`set only one of ${given.join(', ')}: each names the database`);
  const region = optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1';
  if (parameter !== undefined) return { ...env, DATABASE_URL: await readParameter(parameter, region, DATABASE_URL_PARAMETER) };
  if (secretId !== undefined) return { ...env, DATABASE_URL: connectionStringFromSecret(await readSecret(secretId, region, DATABASE_SECRET_ID), env) };
  return env;
}

async function readParameter(name: string, region: string, label: string): Promise<string> {
  const client = new SSMClient({ region });
  try {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    if (Parameter?.Value === undefined || Parameter.Value.trim() === '') {
      throw new ConfigError(`${label}: the SSM parameter ${name} is empty`);
    }
    return Parameter.Value.trim();
  } catch (error) {
    throw fetchError(error, `${label}: reading the SSM parameter ${name}`);
  } finally {
    client.destroy();
  }
}

async function readSecret(secretId: string, region: string, label: string): Promise<string> {
  const client = new SecretsManagerClient({ region });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined || SecretString.trim() === '') {
      throw new ConfigError(`${label}: the secret ${secretId} has no SecretString`);
    }
    return SecretString.trim();
  } catch (error) {
    throw fetchError(error, `${label}: reading the secret ${secretId}`);
  } finally {
    client.destroy();
  }
}

/**
 * The text a reference names: `ssm:<parameter name>` (a SecureString) or `secretsmanager:<secret id or ARN>`.
 * `label` says in errors what it was for (never the value).
 */
export async function readSecretReference(reference: string, region: string, label: string): Promise<string> {
  const colon = reference.indexOf(':');
  const kind = reference.slice(0, colon);
  const name = reference.slice(colon + 1);
  if (colon < 0 || name === '' || (kind !== 'ssm' && kind !== 'secretsmanager')) {
    throw new ConfigError(`${label}: "${reference}" is not ssm:<parameter name> or secretsmanager:<secret id>`);
  }
  return kind === 'ssm' ? readParameter(name, region, label) : readSecret(name, region, label);
}

/**
 * A secret is either a connection string, or the JSON form RDS and RDS Proxy use: `username` and `password`,
 * and `host`, `port`, `dbname` when RDS wrote it. A secret without a host (one made for RDS Proxy, or an RDS
 * managed master password) takes the host from PGHOST, e.g. the proxy's endpoint, and the database from
 * PGDATABASE.
 */
export function connectionStringFromSecret(secret: string, env: Env): string {
  if (!secret.startsWith('{')) return secret;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(secret) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`${DATABASE_SECRET_ID}: the secret is neither a postgres:// URL nor valid JSON`);
  }
  const text = (name: string): string | undefined => {
    const value = fields[name];
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const username = text('username');
  const password = text('password');
  if (username === undefined || password === undefined) {
    throw new ConfigError(`${DATABASE_SECRET_ID}: the secret's JSON has no username or no password`);
  }
  const host = text('host') ?? optional(env, 'PGHOST');
  if (host === undefined) {
    throw new ConfigError(`${DATABASE_SECRET_ID}: the secret's JSON has no host; set PGHOST (the database's or RDS Proxy's endpoint)`);
  }
  const port = text('port') ?? optional(env, 'PGPORT') ?? '5432';
  const database = text('dbname') ?? optional(env, 'PGDATABASE') ?? 'postgres';
  return `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
}

/** Says what failed without the value (error messages end up in logs); a ConfigError passes through. */
function fetchError(error: unknown, what: string): ConfigError {
  if (error instanceof ConfigError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  return new ConfigError(`${what} failed: ${name}: ${(error as Error).message}`, { cause: error });
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
