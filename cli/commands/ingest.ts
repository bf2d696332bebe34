import { loadConfig } from '../../shared/config.js';
import { createIngestDependencies } from '../../shared/ingest/dependencies.js';
import { handleObject } from '../../shared/ingest/handle-object.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';

/** Runs the write path on named objects, exactly as the ingest Lambda would for their events. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Ingest the given S3 objects now (skips any already stored at their current ETag)',
  usage: 's3://bucket/key...',
  options: {},
  async run(input) {
    if (input.positionals.length === 0) throw new Error('give at least one s3://bucket/key');
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
