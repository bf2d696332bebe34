import { createPool } from '../../shared/store/pool.js';
import { createDashboardServer, listen } from '../../shared/web/server.js';
import { integerOption, stringOption, type Command } from '../command.js';
import { databaseUrlOption } from '../database-option.js';

/** The read-only web dashboard (README "Dashboard", docs/security.md "The dashboard"), until Ctrl-C. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the read-only web dashboard (usage, sessions, transcripts, search, pipeline, budgets)',
  arguments: [],
  options: {
    port: { type: 'string', description: 'port to listen on (default 8787; 0 picks a free one)' },
    host: { type: 'string', description: 'address to listen on (default 127.0.0.1; 0.0.0.0 behind a proxy)' },
    'identity-header': {
      type: 'string',
      description: 'trusted header with the viewer\'s e-mail, set by the proxy in front (e.g. X-Forwarded-Email); each request then reads as that person\'s team role',
    },
    'pool-size': { type: 'string', description: 'database connections (default 5)' },
    'database-url': { type: 'string', description: 'Postgres URL of an analyst login (default: DATABASE_URL / PG* variables)' },
  },
  notes: [
    [
      'Without --identity-header every request reads as the login of the database URL, and an identity header a',
      'browser sends is ignored. With it, requests without the header get 401 and unknown e-mails 403; only run it',
      'so behind a proxy that sets the header itself and strips it from what clients send (docs/security.md).',
    ].join('\n'),
  ],
  async run(input) {
    const pool = createPool({ connectionString: databaseUrlOption(input), max: Math.max(1, integerOption(input, 'pool-size', 5)) });
    const identityHeader = stringOption(input, 'identity-header');
    const server = createDashboardServer({
      pool,
      identityHeader,
      onError: (error) => process.stderr.write(`sessionlake serve: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`),
    });
    const url = await listen(server, integerOption(input, 'port', 8787), stringOption(input, 'host') ?? '127.0.0.1');
    process.stdout.write(`dashboard: ${url} (${identityHeader === undefined ? 'every request reads as the database login' : `viewer from the ${identityHeader} header`}; Ctrl-C stops)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
    return 0;
  },
};
