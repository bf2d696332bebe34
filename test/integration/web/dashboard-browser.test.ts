import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevStack } from '../../../infra/local/dev-stack.js';
import { allAgentDefinitions } from '../../../shared/agents/registry.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';
import { plantSecrets } from '../../support/planted-secrets.js';

/**
 * The dashboard as a person sees it, in Debian's Chromium driven by playwright-core: `npm start`'s stack (the
 * bundled samples plus one session carrying a planted secret), clicked through Usage → a day → a session → a tool
 * call → search. Numbers on screen are compared with separate SQL on the views; every page passes axe-core's WCAG
 * 2.1 A/AA rules (contrast included) and is checked for keyboard use and a phone-width layout. Screenshots land in
 * test-output/dashboard/ (gitignored); docs/dashboard-usage.png and docs/dashboard-session.png are copies.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const OUTPUT = path.join(ROOT, 'test-output', 'dashboard');
const CHROMIUM = [process.env['SESSIONLAKE_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate),
);
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const DAY = '2026-02-14';
const SESSION_ID = '7e57da5b-0000-4000-8000-000000000001';
const secret = plantSecrets(2026).find((planted) => planted.rule === 'generic-api-key');
if (secret === undefined) throw new Error('no generic-api-key among the planted secrets');
const LONG_OUTPUT = Array.from({ length: 60 }, (_, line) => `wombat-build step ${line + 1}: compiled module ${line + 1} of 60`).join('\n');

/** A Claude Code session on DAY: a prompt leaking a secret, thinking, a Bash call with a long output, a reply. */
function plantedSession(): string {
  const at = (seconds: number) => `${DAY}T10:00:${String(seconds).padStart(2, '0')}Z`;
  const base = { sessionId: SESSION_ID, cwd: '/home/dev/wombat', version: '2.0.14', gitBranch: 'main' };
  const lines = [
    { ...base, type: 'user', uuid: 'u1', timestamp: at(0), message: { role: 'user', content: `Build the wombat service; the database ${secret!.context}` } },
    {
      ...base, type: 'assistant', uuid: 'a1', parentUuid: 'u1', requestId: 'req_1', timestamp: at(3),
      message: {
        id: 'msg_1', model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 3000 },
        content: [
          { type: 'thinking', thinking: 'The user wants the wombat build; run the build script first.' },
          { type: 'text', text: 'Running the wombat build now.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: './build.sh --target wombat', description: 'Build wombat' } },
        ],
      },
    },
    { ...base, type: 'user', uuid: 'r1', parentUuid: 'a1', timestamp: at(9), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: LONG_OUTPUT }] } },
    {
      ...base, type: 'assistant', uuid: 'a2', parentUuid: 'r1', requestId: 'req_2', timestamp: at(12),
      message: { id: 'msg_2', model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 1500, output_tokens: 40 }, content: [{ type: 'text', text: 'The wombat build passed: 60 modules compiled.' }] },
    },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

let database: FreshDatabase | undefined;
let workDir: string | undefined;
let stop: AbortController | undefined;
let stackDone: Promise<void> | undefined;
let web = '';
let browser: Browser | undefined;
let sql: pg.Client | undefined;

async function startStack(): Promise<void> {
  database = await freshDatabase('sessionlake_web');
  workDir = await mkdtemp(path.join(tmpdir(), 'sessionlake-web-'));
  const samples = path.join(workDir, 'samples');
  for (const agent of allAgentDefinitions()) {
    const from = path.join(ROOT, 'test', 'fixtures', ...agent.localFolder.samples);
    if (existsSync(from)) await cp(from, path.join(samples, ...agent.localFolder.samples), { recursive: true });
  }
  const planted = path.join(samples, 'claude', 'projects', '-home-dev-wombat', `${SESSION_ID}.jsonl`);
  await mkdir(path.dirname(planted), { recursive: true });
  await writeFile(planted, plantedSession());
  stop = new AbortController();
  const ready = new Promise<string>((resolve, reject) => {
    const lines: string[] = [];
    stackDone = runDevStack(
      { s3Port: 0, webPort: 0, databaseUrl: database!.url, stateDir: path.join(workDir!, 'state'), bucket: 'web-test', includeHome: false, samplesDir: samples },
      {
        signal: stop!.signal,
        log: (line) => {
          lines.push(line);
          const match = /^ready: .* web=(\S+)$/.exec(line);
          if (match) resolve(match[1]!);
        },
      },
    );
    stackDone.then(() => reject(new Error(`stack stopped before ready:\n${lines.join('\n')}`)), reject);
  });
  web = await ready;
}

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  await mkdir(OUTPUT, { recursive: true });
  await startStack();
  sql = new pg.Client({ connectionString: database!.url });
  await sql.connect();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  stop?.abort();
  await stackDone?.catch(() => {});
  await database?.drop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function scalar(text: string, values: unknown[] = []): Promise<string> {
  const { rows } = await sql!.query<{ value: string }>(text, values);
  return String(rows[0]?.value);
}

/** axe-core's WCAG 2.1 A and AA rules (colour contrast among them) on the page as it is now. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: await readFile(AXE_SOURCE, 'utf8') });
  // A string, not a function: this file is compiled without the DOM's types.
  const violations = await page.evaluate<string[]>(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => JSON.stringify(n.target)).join(', ') + ')'))`);
  return violations;
}

async function checkPage(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page), `${name}: axe violations`).toEqual([]);
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

const money = (value: string) => `$${Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const count = (value: string) => Number(value).toLocaleString('en-US');

const SKIPPED = CHROMIUM === undefined
  ? ' (skipped: no Chromium binary at /usr/bin/chromium; install Debian\'s chromium package, as .ci/run does, or set SESSIONLAKE_CHROMIUM)'
  : '';

describe.skipIf(CHROMIUM === undefined)(`the dashboard in Chromium${SKIPPED}`, () => {
  it('Usage → a day → a session → a tool call → search, with the views\' numbers and accessible pages', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(web)) failed.push(`left the server: ${request.url()}`);
    });

    // Usage: the totals are the rollup's sums.
    await page.goto(new URL('/usage', web).toString());
    expect(await page.locator('h1').textContent()).toBe('Usage');
    const cost = await scalar('SELECT sum(priced_cost_usd) AS value FROM sessionlake.daily_usage');
    const unpriced = await scalar('SELECT sum(unpriced_responses) AS value FROM sessionlake.daily_usage');
    const tokens = await scalar('SELECT sum(total_tokens) AS value FROM sessionlake.daily_usage');
    expect(Number(unpriced)).toBeGreaterThan(0);
    const costText = await page.locator('[data-total="cost"]').innerText();
    expect(costText).toBe(`${money(cost)} + ${count(unpriced)} unpriced`);
    expect(await page.locator('[data-total="tokens"]').innerText()).toBe(count(tokens));
    const dayCost = await scalar('SELECT sum(priced_cost_usd) AS value FROM sessionlake.daily_usage WHERE day = $1', [DAY]);
    expect(Number(dayCost)).toBeGreaterThan(0);
    expect(await page.locator(`tr[data-period="${DAY}"] td[data-label="Cost"]`).innerText()).toBe(money(dayCost));
    await checkPage(page, 'usage');
    // The top of the page, as README shows it (docs/dashboard-usage.png is a copy).
    await page.screenshot({ path: path.join(OUTPUT, 'usage-top.png') });

    // A day: its bar in the chart opens the sessions started that day.
    await page.getByRole('link', { name: new RegExp(`^day ${DAY}:`) }).click();
    await page.waitForURL(/\/sessions\?/);
    expect(new URL(page.url()).searchParams.get('since')).toBe(DAY);
    const daySessions = await scalar(
      `SELECT count(*) AS value FROM sessionlake.sessions WHERE kind = 'session' AND started_at >= $1::date AND started_at < $1::date + 1`, [DAY]);
    expect(await page.locator('#session-count').getAttribute('data-total')).toBe(daySessions);
    await checkPage(page, 'sessions');

    // The session: transcript text, the secret shown as its marker and nowhere in clear, the raw object's key.
    await page.getByRole('link', { name: /Build the wombat service/ }).click();
    await page.waitForURL(/\/sessions\/[^?]+$/);
    const main = page.locator('main');
    await expect(main.getByText('The wombat build passed: 60 modules compiled.').isVisible()).resolves.toBe(true);
    const marker = main.locator('mark.redacted').first();
    expect(await marker.innerText()).toMatch(/^\[REDACTED:generic-api-key:[0-9a-f]{12}\]$/);
    expect(await page.content()).not.toContain(secret.value);
    expect(await page.locator('#object-key').innerText()).toBe(`s3://web-test/sample/raw/claude/-home-dev-wombat/${SESSION_ID}.jsonl`);
    const sessionTokens = await scalar(
      `SELECT input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens AS value FROM sessionlake.session_usage WHERE session_id = (SELECT id FROM sessionlake.sessions WHERE source_session_id = $1)`, [SESSION_ID]);
    expect(await page.locator('[data-session-cost]').innerText()).toContain(`${count(sessionTokens)} tokens`);
    // Thinking is folded.
    expect(await main.getByText('run the build script first').isVisible()).toBe(false);
    await checkPage(page, 'session');

    // A tool call: the long output is folded until its summary is clicked.
    const call = main.locator('details.call').first();
    const output = call.locator('pre.output');
    expect(await output.isVisible()).toBe(false);
    await call.locator('summary').click();
    expect(await output.isVisible()).toBe(true);
    expect(await output.innerText()).toContain('wombat-build step 60: compiled module 60 of 60');
    await page.screenshot({ path: path.join(OUTPUT, 'tool-call.png'), fullPage: true });

    // Search: the hit links into the transcript at the message that holds it.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Search' }).click();
    await page.getByRole('searchbox').fill('"modules compiled"');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=/);
    const hits = page.locator('#hits li');
    expect(await hits.count()).toBe(Number(await scalar(
      `SELECT count(*) AS value FROM sessionlake.search_documents WHERE search_vector @@ websearch_to_tsquery('simple', '"modules compiled"')`)));
    await checkPage(page, 'search');
    await hits.first().getByRole('link').click();
    await page.waitForURL(/#m\d+$/);
    const anchor = new URL(page.url()).hash.slice(1);
    expect(await page.locator(`[id="${anchor}"]`).innerText()).toContain('modules compiled');

    // Pipeline and Budgets.
    await page.goto(new URL('/pipeline', web).toString());
    expect(await page.locator('[data-total="objects"]').innerText()).toBe(count(await scalar('SELECT count(*) AS value FROM sessionlake.objects')));
    await checkPage(page, 'pipeline');
    await page.goto(new URL('/budgets', web).toString());
    await checkPage(page, 'budgets');

    expect(failed).toEqual([]);
    await context.close();
  });

  it('works from the keyboard: skip link first, then the page links in order', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(new URL('/sessions', web).toString());
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | null>('document.activeElement?.textContent ?? null')).toBe('Skip to content');
    const order: string[] = [];
    for (let step = 0; step < 5; step += 1) {
      await page.keyboard.press('Tab');
      order.push((await page.evaluate<string | null>('document.activeElement?.textContent ?? null')) ?? '');
    }
    expect(order).toEqual(['Usage', 'Sessions', 'Search', 'Budgets', 'Pipeline']);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/pipeline$/);
    // Focus is drawn: the outline of a focused link is visible.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    await context.close();
  });

  it('stays usable at phone width: no sideways scrolling, tables become lists', async () => {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true });
    const page = await context.newPage();
    const session = await scalar('SELECT id AS value FROM sessionlake.sessions WHERE source_session_id = $1', [SESSION_ID]);
    for (const [name, target] of [['usage', '/usage'], ['sessions', '/sessions'], ['session', `/sessions/${encodeURIComponent(session)}`]] as const) {
      await page.goto(new URL(target, web).toString());
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, `${name} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
      expect(await accessibilityProblems(page), `${name} (phone): axe violations`).toEqual([]);
      await page.screenshot({ path: path.join(OUTPUT, `phone-${name}.png`), fullPage: false });
    }
    await context.close();
  });
});
