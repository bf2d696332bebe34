import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { codexFixtureExpectations, codexSessionsDir } from '../../fixtures/codex/expectations.js';
import { qwenFixtureExpectations, qwenProjectsDir } from '../../fixtures/qwen/expectations.js';

const CLAUDE_SESSION = fileURLToPath(
  new URL('../../fixtures/claude/projects/-Users-dev-project-alpha/2774dd33-dd96-41cc-827b-13ea916c86d1.jsonl', import.meta.url),
);
const MALFORMED = fileURLToPath(
  new URL('../../fixtures/malformed/projects/-home-dev-broken/5d1f0c1e-7b9a-4c3e-9f10-2b7e6a1c0d42.jsonl', import.meta.url),
);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** `parse` prints one pretty-printed JSON object per file, one after the other. */
function reports(output: string): Array<{ file: string; agent: string | null; messages: number }> {
  return output
    .split(/(?<=^\})\n/m)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => JSON.parse(chunk) as { file: string; agent: string | null; messages: number });
}

describe('sessionlake CLI', () => {
  it('lists every command on --help and exits 0', async () => {
    const io = capture();

    const code = await main(['--help']);

    expect(code).toBe(0);
    for (const command of ['dev', 'migrate', 'ingest', 'parse']) expect(io.out()).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('names every agent it reads on --help', async () => {
    const io = capture();

    await main(['--help']);

    expect(io.out()).toContain('sessionlake — Claude Code, Codex, Gemini CLI, Qwen Code and GitHub Copilot CLI session logs from S3 into Postgres');
  });

  it('rejects an unknown command with exit code 2 and the usage', async () => {
    const io = capture();

    const code = await main(['frobnicate']);

    expect(code).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
    expect(io.err()).toContain('Usage: sessionlake <command>');
  });

  it('rejects an unknown option of a command, naming it', async () => {
    const io = capture();

    const code = await main(['parse', '--colour', 'x.jsonl']);

    expect(code).toBe(2);
    expect(io.err()).toContain("Unknown option '--colour'");
  });

  it('roles: refuses a LIKE pattern given as an exact machine name, before connecting', async () => {
    const io = capture();

    const code = await main(['roles', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--team', 'ml', '--machines', 'laptop-ana,gpu-%']);

    expect(code).not.toBe(0);
    expect(io.err()).toContain('--machines takes exact names; for the pattern gpu-% use --machine-pattern');
  });

  it('parses a local file without a database and reports its bad lines', async () => {
    const io = capture();

    const code = await main(['parse', MALFORMED]);

    expect(code).toBe(0);
    const report = JSON.parse(io.out()) as { agent: string; messages: number; truncated: boolean; lines: { malformed: number } };
    expect(report).toMatchObject({ agent: 'claude', messages: 3, truncated: true, lines: { malformed: 4 } });
  });

  it('says which S3 URI is malformed when ingesting', async () => {
    const io = capture();

    const code = await main(['ingest', 'not-a-uri']);

    expect(code).toBe(1);
    expect(io.err()).toContain('not an s3://bucket/key URI: not-a-uri');
  });

  it('prints the version from package.json on --version', async () => {
    const io = capture();
    const packageJson = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

    const code = await main(['--version']);

    expect(code).toBe(0);
    expect(io.out()).toBe(`sessionlake ${packageJson.version}\n`);
  });

  it('prints the help of one command for `help <command>`', async () => {
    const io = capture();

    const code = await main(['help', 'ingest']);

    expect(code).toBe(0);
    expect(io.out()).toMatch(/^Usage: sessionlake ingest /);
    expect(io.out()).not.toContain('Commands:');
  });

  it('rejects `help` of an unknown command', async () => {
    const io = capture();

    const code = await main(['help', 'frobnicate']);

    expect(code).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
  });

  it.each([
    ['ingest', '<s3://bucket/key>...'],
    ['parse', '<file.jsonl|directory>...'],
  ])('lists the arguments of %s in its usage and help', async (command, argument) => {
    const io = capture();

    const code = await main([command, '--help']);

    expect(code).toBe(0);
    expect(io.out()).toContain(`Usage: sessionlake ${command} [options] ${argument}\n`);
    expect(io.out()).toMatch(new RegExp(`^Arguments:\n  ${argument.replace(/[.|]/g, '\\$&')} +\\S`, 'm'));
  });

  it.each([['migrate'], ['dev']])('%s refuses arguments it does not take, before doing anything', async (command) => {
    const io = capture();

    const code = await main([command, 'extra', 'more']);

    expect(code).toBe(2);
    expect(io.err()).toContain(`sessionlake ${command}: takes no arguments, got "extra", "more"`);
    expect(io.err()).toContain(`Usage: sessionlake ${command} [options]\n`);
  });

  it('says which argument is missing', async () => {
    const io = capture();

    const code = await main(['ingest']);

    expect(code).toBe(2);
    expect(io.err()).toContain('sessionlake ingest: missing <s3://bucket/key>...');
  });

  it('parses every .jsonl file under a directory, at any depth', async () => {
    const io = capture();

    const code = await main(['parse', codexSessionsDir]);

    expect(code).toBe(0);
    const parsed = reports(io.out()).map((report) => ({
      path: path.relative(codexSessionsDir, report.file),
      agent: report.agent,
      messages: report.messages,
    }));
    const expected = codexFixtureExpectations
      .map((fixture) => ({ path: fixture.path, agent: 'codex', messages: fixture.messages }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(parsed).toEqual(expected);
  });

  it('parses Qwen Code chats and subagent transcripts, told apart from Claude Code by their content', async () => {
    const io = capture();

    const code = await main(['parse', qwenProjectsDir]);

    expect(code).toBe(0);
    const parsed = reports(io.out()).map((report) => ({
      path: path.relative(qwenProjectsDir, report.file),
      agent: report.agent,
      messages: report.messages,
    }));
    const expected = qwenFixtureExpectations
      .map((fixture) => ({ path: fixture.path, agent: 'qwen', messages: fixture.messages }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(parsed).toEqual(expected);
  });

  it('says so when a directory holds no .jsonl file', async () => {
    const io = capture();
    const dir = await mkdtemp(path.join(tmpdir(), 'sessionlake-parse-'));
    try {
      await writeFile(path.join(dir, 'notes.txt'), 'not a session\n');

      const code = await main(['parse', dir]);

      expect(code).toBe(1);
      expect(io.err()).toContain(`no session files (.jsonl, or a name an agent writes) under the directory ${dir}`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('warns when --agent names the other agent than the content', async () => {
    const io = capture();

    const code = await main(['parse', '--agent', 'codex', CLAUDE_SESSION]);

    expect(code).toBe(0);
    // The Codex parser refuses content that is not a rollout, so no parser read it.
    expect(reports(io.out())).toMatchObject([{ agent: null, messages: 0 }]);
    expect(io.err()).toContain(
      `warning: ${CLAUDE_SESSION}: no Codex messages; it looks like a Claude Code session (try --agent claude, or leave --agent out)`,
    );
  });

  it('warns when no line of a file is recognised', async () => {
    const io = capture();
    const dir = await mkdtemp(path.join(tmpdir(), 'sessionlake-parse-'));
    const file = path.join(dir, 'other-tool.jsonl');
    try {
      await writeFile(file, '{"event":"start","at":1}\n{"event":"stop","at":2}\n');

      const code = await main(['parse', file]);

      expect(code).toBe(0);
      expect(io.err()).toContain(`warning: ${file}: no line was recognised as a message of a Claude Code, Codex, Gemini CLI, Qwen Code or GitHub Copilot CLI session`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('does not warn about a session that parses', async () => {
    const io = capture();

    const code = await main(['parse', CLAUDE_SESSION]);

    expect(code).toBe(0);
    expect(io.err()).toBe('');
  });

  it.each([
    ['notaurl', '"notaurl" is not a URL (expected postgres://user:password@host:5432/database)'],
    ['http://db.example:5432/x', '"http://db.example:5432/x" has the scheme "http:", not postgres:// or postgresql://'],
  ])('migrate --database-url %s says what is wrong without connecting', async (url, message) => {
    const io = capture();

    const code = await main(['migrate', '--database-url', url]);

    expect(code).toBe(1);
    expect(io.err()).toContain(`sessionlake migrate: --database-url: ${message}`);
    expect(io.err()).not.toContain('ENOTFOUND');
  });

  it('ingest --help says how to point it at another S3 endpoint', async () => {
    const io = capture();

    const code = await main(['ingest', '--help']);

    expect(code).toBe(0);
    expect(io.out()).toMatch(/^  AWS_ENDPOINT_URL_S3 +\S/m);
  });
});
