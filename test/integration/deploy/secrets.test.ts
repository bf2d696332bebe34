import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../shared/config.js';
import { DATABASE_SECRET_ID, DATABASE_URL_PARAMETER, resolveDatabaseUrl } from '../../../shared/secrets.js';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../support/secrets-endpoint.js';

describe('resolveDatabaseUrl: the database URL from SSM or Secrets Manager at cold start', () => {
  let endpoint: SecretsEndpoint;
  beforeAll(async () => {
    endpoint = await startSecretsEndpoint();
    // The SDK reads its endpoint and credentials from the process environment, as it does in Lambda.
    for (const [name, value] of Object.entries(endpoint.env)) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await endpoint.stop();
  });

  it('reads a SecureString parameter, asking SSM to decrypt it', async () => {
    endpoint.parameters.set('/sessionlake/prod/database-url', 'postgres://writer:s3cret@db.internal:5432/sessionlake');
    endpoint.calls.length = 0;

    const env = await resolveDatabaseUrl({ [DATABASE_URL_PARAMETER]: '/sessionlake/prod/database-url', AWS_REGION: 'eu-west-1' });

    expect(env['DATABASE_URL']).toBe('postgres://writer:s3cret@db.internal:5432/sessionlake');
    expect(endpoint.calls).toEqual([
      { target: 'AmazonSSM.GetParameter', body: { Name: '/sessionlake/prod/database-url', WithDecryption: true } },
    ]);
  });

  it('reads a Secrets Manager secret holding a connection string', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sessionlake/db-AbCdEf';
    endpoint.secrets.set(arn, 'postgres://writer:pw@proxy.example:5432/sessionlake?sslmode=verify-full');

    const env = await resolveDatabaseUrl({ [DATABASE_SECRET_ID]: arn });

    expect(env['DATABASE_URL']).toBe('postgres://writer:pw@proxy.example:5432/sessionlake?sslmode=verify-full');
  });

  it('builds the URL from the JSON secret RDS writes, with a password node-postgres reads back unchanged', async () => {
    const password = 'p@ss:w/rd%?#&+ é';
    endpoint.secrets.set(
      'rds-secret',
      JSON.stringify({ engine: 'postgres', username: 'sessionlake_writer', password, host: 'db.cluster.example', port: 6543, dbname: 'lake' }),
    );

    const env = await resolveDatabaseUrl({ [DATABASE_SECRET_ID]: 'rds-secret' });

    const client = new pg.Client({ connectionString: env['DATABASE_URL'] });
    expect({ user: client.user, password: client.password, host: client.host, port: client.port, database: client.database }).toEqual({
      user: 'sessionlake_writer',
      password,
      host: 'db.cluster.example',
      port: 6543,
      database: 'lake',
    });
  });

  it('takes the host and database from PGHOST and PGDATABASE when the secret has none (an RDS Proxy secret)', async () => {
    endpoint.secrets.set('proxy-secret', JSON.stringify({ username: 'writer', password: 'pw' }));

    const env = await resolveDatabaseUrl({ [DATABASE_SECRET_ID]: 'proxy-secret', PGHOST: 'sessionlake.proxy-abc.us-east-1.rds.amazonaws.com', PGDATABASE: 'lake' });

    expect(env['DATABASE_URL']).toBe('postgres://writer:pw@sessionlake.proxy-abc.us-east-1.rds.amazonaws.com:5432/lake');
  });

  it('refuses a JSON secret without a host when PGHOST is not set either', async () => {
    endpoint.secrets.set('hostless', JSON.stringify({ username: 'writer', password: 'pw' }));

    await expect(resolveDatabaseUrl({ [DATABASE_SECRET_ID]: 'hostless' })).rejects.toThrow(/no host; set PGHOST/);
  });

  it('refuses two sources at once without fetching either', async () => {
    endpoint.calls.length = 0;

    const both = resolveDatabaseUrl({ DATABASE_URL: 'postgres://a@b/c', [DATABASE_URL_PARAMETER]: '/p' });

    await expect(both).rejects.toThrow(ConfigError);
    await expect(both).rejects.toThrow(`set only one of DATABASE_URL, ${DATABASE_URL_PARAMETER}`);
    expect(endpoint.calls).toEqual([]);
  });

  it('names a missing parameter in a ConfigError', async () => {
    const missing = resolveDatabaseUrl({ [DATABASE_URL_PARAMETER]: '/sessionlake/absent' });

    await expect(missing).rejects.toThrow(ConfigError);
    await expect(missing).rejects.toThrow(/SSM parameter \/sessionlake\/absent failed: ParameterNotFound/);
  });

  it('leaves the environment as it is when no secret is configured', async () => {
    const given = { DATABASE_URL: 'postgres://local@127.0.0.1/db', OTHER: 'x' };
    endpoint.calls.length = 0;

    expect(await resolveDatabaseUrl(given)).toEqual(given);
    expect(endpoint.calls).toEqual([]);
  });
});
