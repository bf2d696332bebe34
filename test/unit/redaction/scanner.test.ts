import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { joinPieces } from '../../../shared/parsers/joined-text.js';
import { RULES } from '../../../shared/redaction/rules.js';
import { SecretScanner } from '../../../shared/redaction/scanner.js';
import { plantSecrets } from '../../support/planted-secrets.js';

const scanner = new SecretScanner();
const shortHash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);

describe('secret scanner', () => {
  const planted = plantSecrets();

  it('covers every rule the issue names with a planted secret', () => {
    const plantedRules = new Set(planted.map((secret) => secret.rule));
    for (const required of [
      'aws-access-token', 'aws-secret-access-key', 'github-pat', 'gitlab-pat', 'anthropic-api-key', 'openai-api-key',
      'slack-bot-token', 'stripe-access-token', 'gcp-api-key', 'jwt', 'private-key', 'database-connection-string',
      'generic-api-key',
    ]) {
      expect(plantedRules, required).toContain(required);
      expect(RULES.map((rule) => rule.id), required).toContain(required);
    }
  });

  it.each(planted.map((secret) => [secret.rule, secret] as const))('%s: replaced by [REDACTED:<rule>:<hash of the secret>]', (_, secret) => {
    const result = scanner.redact(secret.context);

    expect(result.text).not.toContain(secret.value);
    expect(result.findings).toEqual([{ rule: secret.rule, hash: shortHash(secret.value) }]);
    expect(result.text).toBe(secret.context.replace(secret.value, `[REDACTED:${secret.rule}:${shortHash(secret.value)}]`));
  });

  it('gives the same secret the same hash wherever it appears, and different secrets different hashes', () => {
    const [first, second] = planted.filter((secret) => secret.rule === 'generic-api-key');
    const text = `${first?.context}\n${second?.context}\nagain: ${first?.context}`;

    const result = scanner.redact(text);

    expect(result.findings.map((finding) => finding.hash)).toEqual([
      shortHash(first?.value ?? ''), shortHash(second?.value ?? ''), shortHash(first?.value ?? ''),
    ]);
  });

  it('returns text without secrets unchanged, the very same string', () => {
    const text = 'Refactor the auth module: move the token refresh into its own file and add tests.';
    expect(scanner.redact(text)).toEqual({ text, findings: [] });
    expect(scanner.redact(text).text).toBe(text);
  });

  it.each([
    ['a git SHA after a keyword', 'commit_key: 3f2b8c1e5a47d298e1c0a9f7d2e41abcdef01234'],
    ['a git SHA in a log line', 'HEAD is now at 9c5960d0cf4b4695 fix: token refresh (9c5960d0cf4b46958c011d40f70b2a9c1f0e3b7d)'],
    ['a UUID as a session id', '"sessionId": "2c8e9a14-7f3d-4b51-9e6c-0a4d8b2f7c95"'],
    ['a UUID assigned to an id field', 'api_key_id = 2c8e9a14-7f3d-4b51-9e6c-0a4d8b2f7c95'],
    ['a sha256 digest', 'sha256:6a608f5c5437408fabac91ddb92ecbc86a608f5c5437408fabac91ddb92ecbc8'],
    ['an npm integrity hash', '"integrity": "sha512-Kq5sNDr8fq1VxEvdt0fG8w0bJ3KtS4VxbSwKQi3RfGmPyo2nDE5I1vLqEyMJV7p0ZQvrG3aHhlG4Q3c3w0Ybg=="'],
    ['a variable instead of a value', 'const apiKey = process.env.ANTHROPIC_API_KEY;'],
    ['a template placeholder', 'token: ${{ secrets.GITHUB_TOKEN }}'],
    ['AWS documentation example key', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE'],
    ['a low-entropy password', 'password=hunter2'],
    ['a connection string with a placeholder password', 'postgres://user:password@localhost:5432/app'],
    ['a connection string without a password', 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/sessionlake'],
    ['code that mentions a PEM header', 'if (line.startsWith("-----BEGIN RSA PRIVATE KEY-----")) return parsePem(line);'],
    ['a Claude tool-use id', '"tool_use_id": "toolu_01A09q90qw90lq917835lq9"'],
  ])('leaves %s alone', (_, text) => {
    expect(scanner.redact(text)).toEqual({ text, findings: [] });
  });

  it('redacts the body of a private key cut short (a preview, a truncated log) up to where the body stops', () => {
    const key = planted.find((secret) => secret.rule === 'private-key')?.value ?? '';
    const cut = key.slice(0, key.indexOf('-----END'));
    const result = scanner.redact(`${cut}... (output truncated)`);

    expect(result.findings.map((finding) => finding.rule)).toEqual(['private-key']);
    for (const bodyLine of cut.split('\n').slice(1, -1)) expect(result.text).not.toContain(bodyLine);
    expect(result.text).toMatch(/^\[REDACTED:private-key:[0-9a-f]{12}\]\.\.\. \(output truncated\)$/);
  });

  it('finds secrets written with escaped newlines (a JSON string printed by a tool)', () => {
    const key = planted.find((secret) => secret.rule === 'private-key')?.value ?? '';
    const escaped = JSON.stringify({ private_key: key });
    const result = scanner.redact(escaped);

    expect(result.findings.map((finding) => finding.rule)).toEqual(['private-key']);
    for (const bodyLine of key.split('\n').slice(1, -1)) expect(result.text).not.toContain(bodyLine);
  });
});

/**
 * Lines built to make a backtracking regex engine retry from every position (the classic quadratic traps of
 * each rule's shape). A scanner with such a regex does not finish these in the test's time; the planted secret at
 * the end shows the scan went through the whole line.
 */
describe('secret scanner on adversarial lines', () => {
  const MB = 1024 * 1024;
  const tail = plantSecrets(99).find((secret) => secret.rule === 'github-pat');
  const endsWithSecret = (line: string) => `${line}" ${tail?.value}`;

  it.each([
    ['a keyword, an operator, then a megabyte without an end', `key=${'a'.repeat(MB)}!`],
    ['keyword and operator repeated', 'token=token='.repeat(MB / 12)],
    ['keywords back to back', 'keysecretpasswordtoken'.repeat(MB / 22)],
    ['keyword, spaces, no operator', `password${' '.repeat(MB)}`],
    ['private key headers without a footer', '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(MB / 32)],
    ['a private key header and a megabyte of body without a footer', `-----BEGIN PRIVATE KEY-----\n${'QUJD'.repeat(MB / 4)}`],
    ['a JWT header with no dot', `eyJ${'a'.repeat(MB)}`],
    ['JWT-shaped segments repeated', 'eyJhbGciOiJIUzI1NiIsInR5cCI6.ey'.repeat(MB / 32)],
    ['connection string schemes without @', `postgres://u:${'p'.repeat(MB)}`],
    ['connection strings repeated, no host', 'mongodb://a:b'.repeat(MB / 13)],
    ['a Slack token prefix and a megabyte of digits', `xoxb-${'1'.repeat(MB)}`],
    ['an AWS secret key name and a megabyte of spaces', `aws_secret_access_key${' '.repeat(MB)}=`],
  ])('%s', (_, line) => {
    const result = scanner.redact(endsWithSecret(line));

    expect(result.findings.at(-1)).toEqual({ rule: 'github-pat', hash: shortHash(tail?.value ?? '') });
  });
});

/**
 * Stored text joined from pieces with "\n" (a message's text blocks, a tool result's blocks, Codex text items): a
 * secret split between pieces must be found as the pieces put together, and each part of it redacted.
 */
describe('secret scanner on secrets split across joined pieces', () => {
  const planted = plantSecrets(31);

  /** The context with the secret cut at `at` (a fraction of its length) and the halves joined as pieces are. */
  function split(secret: { value: string; context: string }, at: number): { text: string; joints: number[]; before: string; after: string } {
    const index = secret.context.indexOf(secret.value);
    const before = secret.context.slice(0, index);
    const after = secret.context.slice(index + secret.value.length);
    const cut = Math.max(1, Math.floor(secret.value.length * at));
    return { ...joinPieces([`${before}${secret.value.slice(0, cut)}`, `${secret.value.slice(cut)}${after}`]), before, after };
  }

  it.each(planted.filter((secret) => secret.rule !== 'private-key').flatMap((secret) => [0.1, 0.5, 0.9].map((at) => [secret.rule, at, secret] as const)))(
    '%s cut at %s of its length: each part replaced by the marker of the whole secret',
    (_, at, secret) => {
      const { text, joints, before, after } = split(secret, at);
      const marker = `[REDACTED:${secret.rule}:${shortHash(secret.value)}]`;

      const result = scanner.redact(text, joints);

      expect(result.text).toBe(`${before}${marker}\n${marker}${after}`);
      expect(result.findings).toEqual([{ rule: secret.rule, hash: shortHash(secret.value) }]);
    },
  );

  it('a private key cut inside a body line: no line of its body survives', () => {
    for (const secret of planted.filter((s) => s.rule === 'private-key')) {
      const { text, joints } = split(secret, 0.5);
      const result = scanner.redact(text, joints);
      for (const line of text.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----') && secret.value.includes(l))) {
        expect(result.text).not.toContain(line);
      }
    }
  });

  it('a token in three pieces, starting right after a joint and ending right before one, between words', () => {
    const key = planted.find((secret) => secret.rule === 'anthropic-api-key')?.value ?? '';
    const pieces = ['Use', key.slice(0, 20), key.slice(20, 70), key.slice(70), 'Done, the key works.'];
    const marker = `[REDACTED:anthropic-api-key:${shortHash(key)}]`;

    const joined = joinPieces(pieces);
    const result = scanner.redact(joined.text, joined.joints);

    expect(result.text).toBe(['Use', marker, marker, marker, 'Done, the key works.'].join('\n'));
    expect(result.findings).toEqual([{ rule: 'anthropic-api-key', hash: shortHash(key) }]);
  });

  it('a GitHub token whose prefix itself is split (gh|p_…)', () => {
    const pat = planted.find((secret) => secret.rule === 'github-pat')?.value ?? '';
    const joined = joinPieces(['token: gh', `p_${pat.slice(4)} thanks`]);
    const result = scanner.redact(joined.text, joined.joints);
    const marker = `[REDACTED:github-pat:${shortHash(pat)}]`;
    expect(result.text).toBe(`token: ${marker}\n${marker} thanks`);
  });

  it.each([
    ['a secret at the end of a line followed by an assignment', 'db_password=Zx81kQ4mNv2pL7wT9rYc\nNODE_ENV=production', 'NODE_ENV=production'],
    ['a Stripe key at the end of a line followed by a command', 'sk_live_Zx81kQ4mNv2pL7wT9rYcAb12\nexport FOO=1', 'export FOO=1'],
  ])('a newline written inside one piece is no joint: keeps the next line after %s', (_, text, nextLine) => {
    const pieces = joinPieces(['first piece', text, 'last piece']);
    const result = scanner.redact(pieces.text, pieces.joints);
    expect(result.findings).toHaveLength(1);
    expect(result.text.endsWith(`\n${nextLine}\nlast piece`)).toBe(true);
  });

  it('ignores joints that are not separators of the text', () => {
    const text = 'nothing to see here';
    expect(scanner.redact(text, [3, 1, 400])).toEqual({ text, findings: [] });
  });

  it('leaves joined text without a secret unchanged, the very same string', () => {
    const joined = joinPieces(['first block: the token refresh moved', 'second block: ghp_ is the prefix GitHub uses', 'third: done']);
    expect(scanner.redact(joined.text, joined.joints).text).toBe(joined.text);
  });
});
