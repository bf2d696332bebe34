import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { handleObject } from '../../shared/ingest/handle-object.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';

/** Runs the write path on named objects, exactly as the ingest Lambda would for their events. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Ingest the given S3 objects now (skips any already stored at their current ETag)',
  arguments: [{ name: 's3://bucket/key', description: 'an object to ingest (key as stored, not URL-encoded)', repeatable: true }],
  options: {},
  notes: [
    [
      'Environment:',
      '  DATABASE_URL                     Postgres to write to (or the PG* variables)',
      '  AWS_ENDPOINT_URL_S3              another S3 endpoint: an emulator, LocalStack, MinIO (AWS_ENDPOINT_URL also works)',
      '  SESSIONLAKE_S3_FORCE_PATH_STYLE  path-style URLs; on by default with a custom endpoint, false turns it off',
      '  AWS_REGION, AWS_PROFILE, …       region and credentials, as for any AWS SDK tool',
    ].join('\n'),
    'Example, against the emulator `npm start` runs:\n' +
      '  AWS_ENDPOINT_URL_S3=http://localhost:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\\n' +
      '    sessionlake ingest s3://sessionlake-raw/laptop/raw/claude/-home-me-app/<session>.jsonl',
  ],
  async run(input) {
    const config = loadConfig();
    const log = createLogger(config.logLevel, { command: 'ingest' }, (line) => process.stderr.write(`${line}\n`));
    const { deps, pool } = createIngestDependencies(config, log);
    let failures = 0;
    try {
      for (const uri of input.positionals) {
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
        if (match === null) {
          process.stderr.write(`not an s3://bucket/key URI: ${uri}\n`);
          failures += 1;
          continue;
        }
        const [, bucket = '', key = ''] = match;
        try {
          const outcome = await handleObject(
            { bucket, key, change: 'created', source: 'request', etag: null, sequencer: null, size: null },
            deps,
          );
          if (outcome.status === 'missing') {
            process.stderr.write(`${uri}\tnot found: ${outcome.reason}\n`);
            failures += 1;
            continue;
          }
          process.stdout.write(`${uri}\t${JSON.stringify(outcome)}\n`);
        } catch (error) {
          process.stderr.write(`${uri}\tfailed: ${(error as Error).message}\n`);
          failures += 1;
        }
      }
    } finally {
      await pool.end();
    }
    return failures === 0 ? 0 : 1;
  },
};
