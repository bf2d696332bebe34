import type { Server } from 'node:http';
import type pg from 'pg';
import { createDashboardServer, listen } from '../../shared/web/server.js';

/** `sessionlake serve`'s server on a free loopback port, for a test file. */
export interface RunningDashboard {
  url: string;
  server: Server;
  errors: unknown[];
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startDashboard(pool: pg.Pool, identityHeader?: string): Promise<RunningDashboard> {
  const errors: unknown[] = [];
  const server = createDashboardServer({ pool, identityHeader, onError: (error) => errors.push(error) });
  const url = await listen(server, 0, '127.0.0.1');
  return {
    url,
    server,
    errors,
    async get(path, headers = {}) {
      const response = await fetch(new URL(path, url), { headers, redirect: 'manual' });
      return { status: response.status, body: await response.text() };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every value of `data-<name>="…"` in a page, in order. */
export function dataValues(body: string, name: string): string[] {
  return [...body.matchAll(new RegExp(`data-${name}="([^"]*)"`, 'g'))].map((match) => decodeEntities(match[1] ?? ''));
}

/** The text of the element carrying `data-total="<name>"`, tags stripped. */
export function totalText(body: string, name: string): string {
  const match = new RegExp(`data-total="${name}">([\\s\\S]*?)</span></li>`).exec(body);
  if (match === null) throw new Error(`no data-total="${name}" on the page`);
  return decodeEntities((match[1] ?? '').replace(/<[^>]+>/g, '')).trim();
}

export function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
