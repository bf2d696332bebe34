import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { AccessError, asViewer } from './access.js';
import { escapeHtml, html, page } from './html.js';
import { budgetsPage } from './pages/budgets.js';
import type { PageResult } from './pages/page-result.js';
import { pipelinePage } from './pages/pipeline.js';
import { searchPage } from './pages/search.js';
import { sessionPage, toolCallPage } from './pages/session.js';
import { sessionsPage } from './pages/sessions.js';
import { usagePage } from './pages/usage.js';
import { BadRequest } from './params.js';
import { DASHBOARD_CSS } from './styles.js';

/**
 * `sessionlake serve`: a read-only dashboard over the analysts' views, on node:http (a handful of GET routes need
 * no framework). Each page is rendered on the server from shared/store queries, inside one read-only transaction
 * that runs as the viewer's role (access.ts). Nothing is fetched from elsewhere: the stylesheet is served from here.
 */

export interface DashboardOptions {
  pool: pg.Pool;
  /** A trusted header naming the viewer by e-mail (set by the proxy in front); unset: every request reads as the login. */
  identityHeader?: string | undefined;
  /** Test seam: "today" for the period presets (default: the UTC date now). */
  today?: () => string;
  onError?: (error: unknown) => void;
}

type Route = (db: pg.PoolClient, url: URL, match: RegExpExecArray) => Promise<PageResult | null>;

function routes(today: () => string): Array<[RegExp, Route]> {
  return [
    [/^\/usage$/, (db, url) => usagePage(db, url, today())],
    [/^\/sessions$/, (db, url) => sessionsPage(db, url)],
    [/^\/sessions\/([^/]+)$/, (db, url, match) => sessionPage(db, url, decodeURIComponent(match[1]!))],
    [/^\/sessions\/([^/]+)\/calls\/(\d+)\/(\d+)$/, (db, _url, match) => toolCallPage(db, decodeURIComponent(match[1]!), Number(match[2]), Number(match[3]))],
    [/^\/search$/, (db, url) => searchPage(db, url)],
    [/^\/pipeline$/, (db) => pipelinePage(db)],
    [/^\/budgets$/, (db) => budgetsPage(db)],
  ];
}

export function createDashboardServer(options: DashboardOptions): Server {
  const today = options.today ?? (() => new Date().toISOString().slice(0, 10));
  const table = routes(today);
  return createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) send(response, 500, errorPage('Something went wrong', 'The page could not be read from the database. The server log has the reason.'));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(response, 405, errorPage('Read-only', 'This dashboard only reads.'));
    }
    if (url.pathname === '/') {
      response.writeHead(302, { location: '/usage' }).end();
      return;
    }
    if (url.pathname === '/healthz') return send(response, 200, 'ok\n', 'text/plain; charset=utf-8');
    if (url.pathname === '/assets/dashboard.css') return send(response, 200, DASHBOARD_CSS, 'text/css; charset=utf-8', 'public, max-age=3600');
    const found = table.map(([pattern, route]) => [pattern.exec(url.pathname), route] as const).find(([match]) => match !== null);
    if (found === undefined) return send(response, 404, errorPage('Not found', `Nothing at ${url.pathname}.`));
    const [match, route] = found;
    try {
      const result = await asViewer(options.pool, request.headers, options.identityHeader, async (db, viewer) => {
        const rendered = await route(db, url, match!);
        return rendered === null ? null : page({ ...rendered, viewer: viewer.label });
      });
      if (result === null) return send(response, 404, errorPage('Not found', 'No such session or tool call, or not one this viewer may see.'));
      send(response, 200, result);
    } catch (error) {
      if (error instanceof AccessError) return send(response, error.status, errorPage(error.status === 401 ? 'Not signed in' : 'Forbidden', error.message));
      if (error instanceof BadRequest) return send(response, 400, errorPage('Bad request', error.message));
      // websearch_to_tsquery and date casts reject some input; say so instead of a 500.
      if (isInputError(error)) return send(response, 400, errorPage('Bad request', (error as Error).message));
      throw error;
    }
  }
}

function isInputError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code === '42704');
}

function send(response: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', cache = 'no-store'): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    // No script runs, nothing loads from elsewhere.
    'content-security-policy': "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
  response.end(body);
}

function errorPage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sessionlake</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><main id="main">${html`<h1>${title}</h1><p class="problem">${message}</p><p><a href="/usage">Usage</a></p>`.value}</main></body></html>`;
}

/** Listens and resolves with the URL people open. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}/`;
}
