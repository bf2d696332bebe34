import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';

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

describe('sessionlake CLI', () => {
  it('lists every command on --help and exits 0', async () => {
    const io = capture();

    const code = await main(['--help']);

    expect(code).toBe(0);
    for (const command of ['dev', 'migrate', 'ingest', 'parse']) expect(io.out()).toMatch(new RegExp(`^  ${command} `, 'm'));
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
});
