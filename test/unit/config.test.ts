import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MAX_RECEIVE_COUNT, loadConfig } from '../../shared/config.js';

describe('loadConfig: S3 endpoint', () => {
  it('uses AWS S3 with virtual-hosted URLs when no endpoint is set', () => {
    expect(loadConfig({}).s3).toEqual({ endpoint: undefined, forcePathStyle: false, region: 'us-east-1' });
  });

  it('takes the AWS SDK variable AWS_ENDPOINT_URL_S3, with path-style URLs', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://localhost:4566' });

    expect(config.s3).toMatchObject({ endpoint: 'http://localhost:4566', forcePathStyle: true });
  });

  it('prefers AWS_ENDPOINT_URL_S3 to the all-services AWS_ENDPOINT_URL, and falls back to it', () => {
    expect(loadConfig({ AWS_ENDPOINT_URL_S3: 'http://s3.local:1', AWS_ENDPOINT_URL: 'http://all.local:2' }).s3.endpoint).toBe(
      'http://s3.local:1',
    );
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://all.local:2' }).s3.endpoint).toBe('http://all.local:2');
  });

  it('still honours SESSIONLAKE_S3_ENDPOINT, which wins when set', () => {
    const config = loadConfig({ SESSIONLAKE_S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL_S3: 'http://other:1' });

    expect(config.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
  });

  it('lets SESSIONLAKE_S3_FORCE_PATH_STYLE=false turn path style off for a custom endpoint', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'https://s3.example.com', SESSIONLAKE_S3_FORCE_PATH_STYLE: 'false' });

    expect(config.s3).toMatchObject({ endpoint: 'https://s3.example.com', forcePathStyle: false });
  });

  it('ignores the AWS endpoint variables under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, as the SDK does', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://localhost:4566', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' });

    expect(config.s3).toMatchObject({ endpoint: undefined, forcePathStyle: false });
  });

  it('names the variable when the endpoint is not an http(s) URL', () => {
    expect(() => loadConfig({ AWS_ENDPOINT_URL_S3: 'localhost:4566' })).toThrow(
      new ConfigError('AWS_ENDPOINT_URL_S3 must be an http:// or https:// URL such as http://localhost:4566, got "localhost:4566"'),
    );
  });
});

describe('loadConfig: DATABASE_URL', () => {
  it('accepts the forms node-postgres accepts', () => {
    for (const url of [
      'postgres://user:secret@db.example:5432/app',
      'postgresql://localhost/app?sslmode=require',
      'postgres://user@/app',
      '/var/run/postgresql app',
    ]) {
      expect(loadConfig({ DATABASE_URL: url }).database.connectionString).toBe(url);
    }
  });

  it('says what is wrong with one it would misread, without printing the password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'notaurl' })).toThrow(
      new ConfigError('DATABASE_URL: "notaurl" is not a URL (expected postgres://user:password@host:5432/database)'),
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://me:hunter2@db/app' })).toThrow(
      new ConfigError(
        'DATABASE_URL: "mysql://me:***@db/app" has the scheme "mysql:", not postgres:// or postgresql:// (expected postgres://user:password@host:5432/database)',
      ),
    );
  });
});

describe('loadConfig: maxReceiveCount', () => {
  it("defaults to serverless.yml's maxReceiveCount parameter, which sets both the queue's redrive and the function's variable", async () => {
    const template = await readFile(fileURLToPath(new URL('../../serverless.yml', import.meta.url)), 'utf8');
    const declared = /^ {4}maxReceiveCount: (\d+)$/m.exec(template);
    expect(declared?.[1]).toBe(String(DEFAULT_MAX_RECEIVE_COUNT));
    expect(loadConfig({}).ingest.maxReceiveCount).toBe(DEFAULT_MAX_RECEIVE_COUNT);
    expect(template).toContain('SESSIONLAKE_MAX_RECEIVE_COUNT: ${param:maxReceiveCount}');
    expect(template).toContain('maxReceiveCount: ${param:maxReceiveCount}');
    // No other literal receive count anywhere in the template.
    expect(template.match(/maxReceiveCount: \d+/g)).toEqual([`maxReceiveCount: ${DEFAULT_MAX_RECEIVE_COUNT}`]);
  });
});
