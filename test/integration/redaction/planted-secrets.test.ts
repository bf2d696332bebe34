import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTitle } from '../../../shared/parsers/title.js';
import { PARSERS, storedParserVersion } from '../../../shared/parsers/registry.js';
import { backfillHarness } from '../../support/backfill.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';
import { plantSecrets, type PlantedSecret } from '../../support/planted-secrets.js';

/**
 * A Claude Code session (with a sidecar) and a Codex session holding a planted secret of every rule, in every
 * field a secret can reach, uploaded to the emulator and ingested by the queue runner through the real handler.
 * Expectations come from the plan below: which secret went into which field.
 */

const run = promisify(execFile);
const hash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);
const redacted = (secret: PlantedSecret) => `[REDACTED:${secret.rule}:${hash(secret.value)}]`;

const secrets = plantSecrets(7);
const byRule = (rule: string, nth = 0): PlantedSecret => {
  const found = secrets.filter((secret) => secret.rule === rule)[nth];
  if (found === undefined) throw new Error(`no planted ${rule} #${nth}`);
  return found;
};

const CLAUDE_UUID = '3b0c2a44-5e7f-4a18-9c21-7d4e5f6a8b90';
const CLAUDE_KEY = `laptop/raw/claude/-home-me-app/${CLAUDE_UUID}.jsonl`;
const SIDECAR_PATH = `/home/me/.claude/projects/-home-me-app/${CLAUDE_UUID}/tool-results/toolu_big.txt`;
const SIDECAR_KEY = `laptop/raw/claude/-home-me-app/${CLAUDE_UUID}/tool-results/toolu_big.txt`;
const CODEX_KEY = 'gpu-01/raw/codex/2026/03/01/rollout-2026-03-01T10-00-00-8d1e4c3a-2b5f-4e6a-9c7d-1f0e2a3b4c5d.jsonl';

type Field = 'text' | 'thinking' | 'tool_input' | 'tool_result' | 'sidecar' | 'usage';
const plan: { session: 'claude' | 'codex'; field: Field; secrets: PlantedSecret[] }[] = [];
function place(session: 'claude' | 'codex', field: Field, planted: PlantedSecret[], text: (contexts: string[]) => string): string {
  plan.push({ session, field, secrets: planted });
  return text(planted.map((secret) => secret.context));
}

// Claude: the first prompt (also the title), thinking, text, a Bash command, a tool result, a sidecar.
const PROMPT = place('claude', 'text', [byRule('aws-access-token'), byRule('aws-secret-access-key')], ([id, key]) =>
  `Deploy the staging stack with these credentials:\n${id}\n${key}\nthen check the health endpoint.`);
const THINKING = place('claude', 'thinking', [byRule('github-pat')], ([pat]) => `They pasted a GitHub token (${pat}); I should not echo it.`);
const ASSISTANT_TEXT = place('claude', 'text', [byRule('slack-bot-token')], ([token]) => `I will post to Slack with ${token} when done.`);
const BASH_COMMAND = place('claude', 'tool_input', [byRule('jwt')], ([curl]) => `${curl} | jq .`);
const ENV_FILE = place(
  'claude',
  'tool_result',
  [byRule('openai-api-key'), byRule('anthropic-api-key'), byRule('stripe-access-token'), byRule('gcp-api-key'), byRule('generic-api-key', 0), byRule('database-connection-string', 0)],
  (lines) => `# .env\n${lines.map((line, i) => (i < 4 ? `KEY_${i}: ${line}` : line)).join('\n')}\nNODE_ENV=production\n`,
);
const SIDECAR = place(
  'claude',
  'sidecar',
  [byRule('private-key', 0), byRule('private-key', 1), byRule('gitlab-pat'), byRule('github-fine-grained-pat'), byRule('slack-webhook-url')],
  (blocks) => `${blocks.join('\n\n')}\n${'line of ordinary output\n'.repeat(200)}`,
);
const CLEAN_PROMPT = 'Now run the tests and tell me which ones failed.';
const CLEAN_ANSWER =
  'All 42 tests passed at commit 3f2b8c1e5a47d298e1c0a9f7d2e41abcdef01234 (session 2c8e9a14-7f3d-4b51-9e6c-0a4d8b2f7c95, sha256 6a608f5c5437408fabac91ddb92ecbc86a608f5c5437408fabac91ddb92ecbc8).';
const CLEAN_INPUT = { file_path: '/home/me/app/src/auth.ts', limit: 200 };

// Codex: a prompt that repeats the AWS key id (same hash as in the Claude session), a shell call and its output.
const CODEX_PROMPT = place('codex', 'text', [byRule('aws-access-token'), byRule('generic-api-key', 1)], ([id, token]) =>
  `The build needs ${id}; the config has ${token}`);
const CODEX_ARGUMENTS = place('codex', 'tool_input', [byRule('generic-api-key', 2)], ([secret]) => `echo '${secret}' > app.yml`);
const CODEX_OUTPUT = place('codex', 'tool_result', [byRule('database-connection-string', 1)], ([mongo]) => `wrote config\n${mongo}\n`);
const CODEX_CLEAN_ANSWER = 'Done: the config is written and the service restarted without errors.';

// Secrets split between the pieces a stored text is joined from (text, thinking and tool-result blocks, Codex
// content items), and secrets used as JSON object keys (tool input, a usage object, a call still pending when
// the state for the next delta is saved). A second planted set, so every value here is used only here.
const more = plantSecrets(8);
const moreByRule = (rule: string): PlantedSecret => {
  const found = more.find((secret) => secret.rule === rule);
  if (found === undefined) throw new Error(`no planted ${rule}`);
  return found;
};
/** The value cut in two, and the sentence around it split at the same place. */
function halves(secret: PlantedSecret, at = 0.5): [string, string] {
  const index = secret.context.indexOf(secret.value);
  const cut = index + Math.floor(secret.value.length * at);
  return [secret.context.slice(0, cut), secret.context.slice(cut)];
}
const SPLIT_TEXT = place('claude', 'text', [moreByRule('github-pat')], () => '');
const SPLIT_THINKING = place('claude', 'thinking', [moreByRule('generic-api-key')], () => '');
const KEYED_INPUT = place('claude', 'tool_input', [moreByRule('gitlab-pat'), moreByRule('stripe-access-token')], () => '');
const KEYED_USAGE = place('claude', 'usage', [moreByRule('openai-api-key'), moreByRule('gcp-api-key')], () => '');
const SPLIT_RESULT = place('claude', 'tool_result', [moreByRule('slack-bot-token')], () => '');
const PENDING_INPUT = place('claude', 'tool_input', [moreByRule('slack-webhook-url')], () => '');
const SPLIT_CODEX_PROMPT = place('codex', 'text', [moreByRule('anthropic-api-key')], () => '');
const KEYED_CODEX_ARGUMENTS = place('codex', 'tool_input', [moreByRule('github-fine-grained-pat')], () => '');
const SPLIT_CODEX_OUTPUT = place('codex', 'tool_result', [moreByRule('jwt')], () => '');
void [SPLIT_TEXT, SPLIT_THINKING, KEYED_INPUT, KEYED_USAGE, SPLIT_RESULT, PENDING_INPUT, SPLIT_CODEX_PROMPT, KEYED_CODEX_ARGUMENTS, SPLIT_CODEX_OUTPUT];
const PLACED_MORE = plan.flatMap((p) => p.secrets).filter((secret) => more.includes(secret));

const PREVIEW = `<persisted-output>\nOutput too large (24.1KB). Full output saved to: ${SIDECAR_PATH}\n\nPreview (first 2KB):\nline of ordinary output\n</persisted-output>`;

function claudeSession(): string {
  const base = { sessionId: CLAUDE_UUID, cwd: '/home/me/app', version: '2.0.1' };
  const usage = { input_tokens: 10, output_tokens: 5 };
  const lines = [
    { ...base, type: 'user', uuid: 'u1', timestamp: '2026-03-01T10:00:00Z', message: { role: 'user', content: PROMPT } },
    {
      ...base, type: 'assistant', uuid: 'a1', timestamp: '2026-03-01T10:00:05Z',
      message: {
        id: 'msg_1', model: 'claude-sonnet-4-5', role: 'assistant', usage,
        content: [
          { type: 'thinking', thinking: THINKING },
          { type: 'text', text: ASSISTANT_TEXT },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: BASH_COMMAND, description: 'call the API' } },
        ],
      },
    },
    { ...base, type: 'user', uuid: 'u2', timestamp: '2026-03-01T10:00:06Z', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: ENV_FILE }] } },
    {
      ...base, type: 'assistant', uuid: 'a2', timestamp: '2026-03-01T10:00:07Z',
      message: { id: 'msg_2', model: 'claude-sonnet-4-5', role: 'assistant', usage, content: [{ type: 'tool_use', id: 'toolu_big', name: 'Read', input: { file_path: '/home/me/.ssh/keys.txt' } }] },
    },
    {
      ...base, type: 'user', uuid: 'u3', timestamp: '2026-03-01T10:00:08Z',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_big', content: PREVIEW }] },
      toolUseResult: { persistedOutputPath: SIDECAR_PATH },
    },
    { ...base, type: 'user', uuid: 'u4', timestamp: '2026-03-01T10:01:00Z', message: { role: 'user', content: CLEAN_PROMPT } },
    {
      ...base, type: 'assistant', uuid: 'a3', timestamp: '2026-03-01T10:01:05Z',
      message: {
        id: 'msg_3', model: 'claude-sonnet-4-5', role: 'assistant', usage,
        content: [{ type: 'text', text: CLEAN_ANSWER }, { type: 'tool_use', id: 'toolu_2', name: 'Read', input: CLEAN_INPUT }],
      },
    },
    {
      ...base, type: 'assistant', uuid: 'a4', timestamp: '2026-03-01T10:02:00Z',
      message: {
        id: 'msg_4', model: 'claude-sonnet-4-5', role: 'assistant',
        usage: { ...usage, [moreByRule('openai-api-key').value]: 1, service_note: moreByRule('gcp-api-key').value },
        content: [
          ...halves(moreByRule('generic-api-key')).map((thinking) => ({ type: 'thinking', thinking })),
          ...halves(moreByRule('github-pat'), 0.3).map((text) => ({ type: 'text', text })),
          {
            type: 'tool_use', id: 'toolu_3', name: 'WebFetch',
            input: { url: 'https://api.internal.test', headers: { [moreByRule('gitlab-pat').value]: 'Authorization' }, env: { [moreByRule('stripe-access-token').value]: '1' } },
          },
        ],
      },
    },
    {
      ...base, type: 'user', uuid: 'u5', timestamp: '2026-03-01T10:02:01Z',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: halves(moreByRule('slack-bot-token'), 0.8).map((text) => ({ type: 'text', text })) }] },
    },
    {
      // Still waiting for its result when the session is ingested: the saved state references it.
      ...base, type: 'assistant', uuid: 'a5', timestamp: '2026-03-01T10:02:02Z',
      message: {
        id: 'msg_5', model: 'claude-sonnet-4-5', role: 'assistant', usage,
        content: [{ type: 'tool_use', id: 'toolu_4', name: 'Bash', input: { command: 'deploy', env: { [moreByRule('slack-webhook-url').value]: 'hook' } } }],
      },
    },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

function codexSession(): string {
  const meta = { id: '8d1e4c3a-2b5f-4e6a-9c7d-1f0e2a3b4c5d', timestamp: '2026-03-01T10:00:00Z', cwd: '/srv/app', originator: 'codex_cli_rs', cli_version: '0.128.0', source: 'cli' };
  const lines = [
    { timestamp: '2026-03-01T10:00:00Z', type: 'session_meta', payload: meta },
    { timestamp: '2026-03-01T10:00:01Z', type: 'turn_context', payload: { cwd: '/srv/app', model: 'gpt-5.2' } },
    { timestamp: '2026-03-01T10:00:02Z', type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: CODEX_PROMPT }] } },
    {
      timestamp: '2026-03-01T10:00:03Z', type: 'response_item',
      payload: { type: 'function_call', name: 'shell', call_id: 'call_1', arguments: JSON.stringify({ command: ['bash', '-lc', CODEX_ARGUMENTS] }) },
    },
    { timestamp: '2026-03-01T10:00:04Z', type: 'response_item', payload: { type: 'function_call_output', call_id: 'call_1', output: CODEX_OUTPUT } },
    { timestamp: '2026-03-01T10:00:05Z', type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: CODEX_CLEAN_ANSWER }] } },
    {
      timestamp: '2026-03-01T10:00:06Z', type: 'response_item',
      payload: { type: 'message', role: 'user', content: halves(moreByRule('anthropic-api-key'), 0.6).map((text) => ({ type: 'input_text', text })) },
    },
    {
      timestamp: '2026-03-01T10:00:07Z', type: 'response_item',
      payload: { type: 'function_call', name: 'shell', call_id: 'call_2', arguments: JSON.stringify({ command: ['make'], env: { [moreByRule('github-fine-grained-pat').value]: '1' } }) },
    },
    {
      timestamp: '2026-03-01T10:00:08Z', type: 'response_item',
      payload: { type: 'function_call_output', call_id: 'call_2', output: halves(moreByRule('jwt'), 0.5).map((text) => ({ type: 'output_text', text })) },
    },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

/** Every value of every row of every table in the schema, as text (jsonb as written back by Postgres). */
async function everyStoredValue(stack: IngestStack): Promise<string> {
  const tables = await stack.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'sessionlake' ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await stack.pool.query(`SELECT * FROM sessionlake.${table_name}`);
    for (const row of rows.rows) {
      for (const value of Object.values(row)) parts.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  return parts.join('\n');
}

/**
 * The planted value and, for multi-line ones, each of its lines: what a dump would hold if any part leaked. For
 * a value split between pieces, each part (from the prefix on) too.
 */
function needles(secret: PlantedSecret): string[] {
  const lines = secret.value.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
  const parts = PLACED_MORE.includes(secret) ? [0.3, 0.5, 0.6, 0.8].flatMap((at) => {
    const cut = Math.floor(secret.value.length * at);
    return [secret.value.slice(0, cut), secret.value.slice(cut)].filter((part) => part.length >= 8);
  }) : [];
  return [secret.value, ...lines, ...parts];
}

let stack: IngestStack;

beforeAll(async () => {
  stack = await startIngestStack({ runner: { functionTimeoutMs: 30_000, visibilityTimeoutSeconds: 30, waitTimeSeconds: 1 } });
  const put = (Key: string, Body: string) => stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key, Body }));
  await put(SIDECAR_KEY, SIDECAR);
  await put(CLAUDE_KEY, claudeSession());
  await put(CODEX_KEY, codexSession());
  await stack.runner?.drain();
});

afterAll(() => stack?.stop());

describe('secrets planted in sessions uploaded to S3', () => {
  it('are ingested: both sessions landed', async () => {
    const objects = await stack.pool.query(`SELECT key, state, parser_version FROM sessionlake.objects WHERE kind <> 'sidecar' ORDER BY key`);
    expect(objects.rows).toEqual([
      { key: CODEX_KEY, state: 'ingested', parser_version: storedParserVersion(PARSERS.codex) },
      { key: CLAUDE_KEY, state: 'ingested', parser_version: storedParserVersion(PARSERS.claude) },
    ]);
  });

  it('appear nowhere in the database: every value of every table', async () => {
    const stored = await everyStoredValue(stack);
    expect(stored).toContain('[REDACTED:');
    for (const secret of [...secrets, ...PLACED_MORE]) {
      for (const needle of needles(secret)) expect(stored.includes(needle), `${secret.rule}: ${needle.slice(0, 12)}…`).toBe(false);
    }
  });

  it('split between joined pieces: each part is replaced by the marker of the whole secret', async () => {
    const byMachine = `SELECT m.text FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id
                        WHERE s.machine = $1 AND m.text LIKE 'the key is %'`;
    // Both contexts read `the key is <value> keep it safe`; the value was cut between two blocks (items).
    for (const [machine, secret] of [['laptop', moreByRule('github-pat')], ['gpu-01', moreByRule('anthropic-api-key')]] as const) {
      const texts = await stack.pool.query<{ text: string }>(byMachine, [machine]);
      expect(texts.rows).toEqual([{ text: `the key is ${redacted(secret)}\n${redacted(secret)} keep it safe` }]);
    }
    const thinking = await stack.pool.query(`SELECT thinking FROM sessionlake.messages WHERE thinking LIKE 'db_password=%'`);
    const generic = moreByRule('generic-api-key');
    expect(thinking.rows).toEqual([{ thinking: `db_password=${redacted(generic)}\n${redacted(generic)}` }]);
  });

  it('used as JSON keys, also where the state saved for the next delta could keep them', async () => {
    const checkpoints = await stack.pool.query<{ state: unknown }>(`SELECT state FROM sessionlake.object_checkpoints`);
    expect(checkpoints.rows.length).toBeGreaterThan(0);
    const input = await stack.pool.query<{ input: Record<string, Record<string, string>> }>(`SELECT input FROM sessionlake.tool_calls WHERE call_id = 'toolu_3'`);
    expect(input.rows[0]?.input['headers']).toEqual({ [redacted(moreByRule('gitlab-pat'))]: 'Authorization' });
    const pending = await stack.pool.query(`SELECT result_text, input FROM sessionlake.tool_calls WHERE call_id = 'toolu_4'`);
    expect(pending.rows).toEqual([{ result_text: null, input: { command: 'deploy', env: { [redacted(moreByRule('slack-webhook-url'))]: 'hook' } } }]);
  });

  it('are each counted in secret_findings, by field, rule and hash, and per session', async () => {
    const rows = await stack.pool.query<{ machine: string; field: string; rule: string; hash: string }>(
      `SELECT s.machine, f.field, f.rule, f.hash FROM sessionlake.secret_findings f JOIN sessionlake.sessions s ON s.id = f.session_id`,
    );
    const key = (r: { machine: string; field: string; rule: string; hash: string }) => `${r.machine} ${r.field} ${r.rule} ${r.hash}`;
    const expected = plan.flatMap(({ session, field, secrets: placed }) =>
      placed.map((secret) => key({ machine: session === 'claude' ? 'laptop' : 'gpu-01', field, rule: secret.rule, hash: hash(secret.value) })),
    );
    expect(rows.rows.map(key).sort()).toEqual(expected.sort());
    // Every planted secret (all rules) was placed somewhere, and the second set's only where named above.
    expect(new Set(plan.flatMap((p) => p.secrets))).toEqual(new Set([...secrets, ...PLACED_MORE]));

    const perSession = await stack.pool.query(`SELECT machine, secrets_found FROM sessionlake.sessions ORDER BY machine`);
    const count = (session: string) => plan.filter((p) => p.session === session).reduce((sum, p) => sum + p.secrets.length, 0);
    expect(perSession.rows).toEqual([
      { machine: 'gpu-01', secrets_found: count('codex') },
      { machine: 'laptop', secrets_found: count('claude') },
    ]);
  });

  it('leave the same hash for the same secret in two sessions', async () => {
    const shared = await stack.pool.query(
      `SELECT rule, hash, count(DISTINCT session_id)::int AS sessions FROM sessionlake.secret_findings GROUP BY 1, 2 HAVING count(DISTINCT session_id) > 1`,
    );
    expect(shared.rows).toEqual([{ rule: 'aws-access-token', hash: hash(byRule('aws-access-token').value), sessions: 2 }]);
  });

  it('are replaced in place: the redacted prompt, title and tool result read as the input with each secret swapped', async () => {
    const swap = (text: string, planted: PlantedSecret[]) => planted.reduce((out, secret) => out.replace(secret.value, redacted(secret)), text);
    const prompt = swap(PROMPT, [byRule('aws-access-token'), byRule('aws-secret-access-key')]);
    const session = await stack.pool.query(`SELECT title FROM sessionlake.sessions WHERE machine = 'laptop'`);
    expect(session.rows).toEqual([{ title: toTitle(prompt) }]);
    const first = await stack.pool.query(`SELECT text FROM sessionlake.messages m JOIN sessionlake.sessions s ON s.id = m.session_id WHERE s.machine = 'laptop' AND m.ordinal = 0`);
    expect(first.rows).toEqual([{ text: prompt }]);
    const sidecar = await stack.pool.query(`SELECT result_text FROM sessionlake.tool_calls WHERE call_id = 'toolu_big'`);
    expect(sidecar.rows).toEqual([{ result_text: swap(SIDECAR, plan.find((p) => p.field === 'sidecar')?.secrets ?? []) }]);
  });

  it('leave text without secrets byte-identical', async () => {
    const texts = await stack.pool.query<{ text: string }>(`SELECT text FROM sessionlake.messages WHERE text = ANY($1)`, [
      [CLEAN_PROMPT, CLEAN_ANSWER, CODEX_CLEAN_ANSWER],
    ]);
    expect(texts.rows.map((row) => row.text).sort()).toEqual([CLEAN_PROMPT, CLEAN_ANSWER, CODEX_CLEAN_ANSWER].sort());
    const input = await stack.pool.query(`SELECT input FROM sessionlake.tool_calls WHERE call_id = 'toolu_2'`);
    expect(input.rows).toEqual([{ input: CLEAN_INPUT }]);
  });

  it.skipIf(!pgDumpMatchesServer())('appear nowhere in pg_dump of the schema (skipped unless pg_dump is at least the server\'s major version; the every-value check runs everywhere)', async () => {
    const { stdout } = await run('pg_dump', ['--schema=sessionlake', '--no-owner', stack.database.url], { maxBuffer: 256 * 1024 * 1024 });
    expect(stdout).toContain('[REDACTED:');
    // COPY text escapes newlines, so multi-line values are searched line by line (needles() includes each line).
    for (const secret of secrets) for (const needle of needles(secret)) expect(stdout.includes(needle), secret.rule).toBe(false);
  });

  it('are redacted in objects stored before redaction existed: the backfill re-ingests them', async () => {
    // An object ingested by a parser version without the rule set, its rows holding the secrets as they were.
    await stack.pool.query(`UPDATE sessionlake.objects SET parser_version = $1 WHERE key = $2`, [PARSERS.claude.version, CLAUDE_KEY]);
    await stack.pool.query(
      `UPDATE sessionlake.messages m SET text = $1 FROM sessionlake.sessions s WHERE s.id = m.session_id AND s.machine = 'laptop' AND m.ordinal = 0`,
      [PROMPT],
    );
    await stack.pool.query(`DELETE FROM sessionlake.secret_findings f USING sessionlake.sessions s WHERE s.id = f.session_id AND s.machine = 'laptop'`);

    const result = await backfillHarness(stack).run();

    expect(result).toMatchObject({ status: 'finished', counts: { reparsed: 1, ingested: 1, failed: 0 } });
    const stored = await everyStoredValue(stack);
    for (const secret of secrets) for (const needle of needles(secret)) expect(stored.includes(needle), secret.rule).toBe(false);
    const versions = await stack.pool.query(`SELECT parser_version FROM sessionlake.objects WHERE key = $1`, [CLAUDE_KEY]);
    expect(versions.rows).toEqual([{ parser_version: storedParserVersion(PARSERS.claude) }]);
    const findings = await stack.pool.query(`SELECT secrets_found FROM sessionlake.sessions WHERE machine = 'laptop'`);
    expect(findings.rows).toEqual([{ secrets_found: plan.filter((p) => p.session === 'claude').reduce((sum, p) => sum + p.secrets.length, 0) }]);
  });
});

/** pg_dump refuses a server of a newer major version (the embedded Postgres 17 against Debian's pg_dump 15). */
function pgDumpMatchesServer(): boolean {
  try {
    const version = /(\d+)\.\d+/.exec(execFileSync('pg_dump', ['--version']).toString())?.[1];
    const url = process.env.DATABASE_URL;
    if (version === undefined || url === undefined || url === '') return false;
    const server = execFileSync('psql', [url, '-Atc', 'SHOW server_version_num']).toString().trim();
    return Math.floor(Number(server) / 10000) <= Number(version);
  } catch {
    return false;
  }
}
