import { GENERIC_STOPWORDS } from './gitleaks-stopwords.js';
import { shannonEntropy } from './entropy.js';

/**
 * The secret rules. Each is taken from a maintained rule set, named as there, and adapted only where JavaScript's
 * backtracking regex engine needs it (gitleaks runs Go's linear-time RE2; here every repetition that could be
 * retried from many start positions is bounded, and the two rules whose regex would scan to the end of the text
 * once per start position are matched by code):
 *
 * - gitleaks default config (config/gitleaks.toml, MIT, commit b58d3f1): aws-access-token, github-*, gitlab-*,
 *   anthropic-*, openai-api-key, slack-*, stripe-access-token, gcp-api-key, jwt, private-key, generic-api-key
 *   (with its entropy thresholds, allowlists and stopwords).
 * - secretlint's recommended preset 13.0.7 (MIT), for what gitleaks' default config does not cover:
 *   aws-secret-access-key (`@secretlint/secretlint-rule-aws`) and database-connection-string
 *   (`@secretlint/secretlint-rule-database-connection-string`, with its placeholder list; also redis and amqp).
 *
 * Each rule lists keywords (lowercase): it runs only on text holding one of them, as in gitleaks.
 * Changing anything here changes what is stored: bump RULESET_VERSION so the backfill re-ingests every object.
 */

// r2: secrets split across joined pieces, and secrets in JSON keys and usage objects, are redacted too.
export const RULESET_VERSION = 'r2';

/** One secret found: the span of `text` to replace, and the secret itself (what the short hash is of). */
export interface SecretMatch {
  start: number;
  end: number;
  secret: string;
}

export interface SecretRule {
  id: string;
  keywords: readonly string[];
  /**
   * `keywordAt`: where this rule's keywords start in the text, ascending (the scanner has found them already).
   * `joints`: set when the text is pieces put together with their separators taken out (see scanner.ts); a joint
   * (the index where a separator was) bounds a secret as a separator would: it may start or end there.
   */
  find(text: string, keywordAt: readonly KeywordHit[], joints?: ReadonlySet<number>): Iterable<SecretMatch>;
}

export interface KeywordHit {
  index: number;
  keyword: string;
}

interface RegexRuleSpec {
  id: string;
  keywords: readonly string[];
  /** Global; `d` (indices) is added. The secret is capture group 1 when there is one, else the whole match. */
  pattern: RegExp;
  /** Minimum Shannon entropy (bits per character) of the secret, as gitleaks' `entropy`. */
  entropy?: number;
  /** A found secret this returns true for is not reported. */
  allow?: (secret: string) => boolean;
}

function regexRule(spec: RegexRuleSpec): SecretRule {
  const flags = [...new Set([...spec.pattern.flags, 'g', 'd'])].join('');
  const pattern = new RegExp(spec.pattern.source, flags);
  const bounds = boundsOf(spec.pattern.source);
  // Across joints the `\b` before and the END after the secret are checked by code, so that a joint counts too.
  const unbounded = new RegExp(bounds.inner, flags);
  return {
    id: spec.id,
    keywords: spec.keywords,
    *find(text, _keywordAt, joints) {
      const search = joints === undefined ? pattern : unbounded;
      search.lastIndex = 0;
      for (let match = search.exec(text); match !== null; match = search.exec(text)) {
        if (match[0].length === 0) search.lastIndex += 1;
        const group = match.length > 1 && match[1] !== undefined ? 1 : 0;
        const [start, end] = match.indices?.[group] ?? [match.index, match.index + match[0].length];
        if (joints !== undefined && !withinBounds(text, match.index, match.index + match[0].length, bounds, joints)) continue;
        const secret = text.slice(start, end);
        if (spec.entropy !== undefined && shannonEntropy(secret) < spec.entropy) continue;
        if (spec.allow?.(secret) === true) continue;
        yield { start, end, secret };
      }
    },
  };
}

// gitleaks' common tail: the secret ends at a quote, whitespace, `;`, an escaped newline or the end of the text.
const END = String.raw`(?:[\x60'"\s;]|\\[nr]|$)`;
const END_AT = new RegExp(END, 'y');
const WORD_BOUNDARY = String.raw`\b`;

interface PatternBounds {
  /** The pattern without a leading `\b` and a trailing END. */
  inner: string;
  wordBoundary: boolean;
  end: boolean;
}

function boundsOf(source: string): PatternBounds {
  const wordBoundary = source.startsWith(WORD_BOUNDARY);
  const end = source.endsWith(END);
  return { inner: source.slice(wordBoundary ? WORD_BOUNDARY.length : 0, end ? source.length - END.length : undefined), wordBoundary, end };
}

/** Whether a match of a pattern's inner part in joined text has the `\b` before and the END after it asked for. */
function withinBounds(text: string, start: number, end: number, bounds: PatternBounds, joints: ReadonlySet<number>): boolean {
  if (bounds.wordBoundary && !joints.has(start) && isWordChar(text[start - 1]) === isWordChar(text[start])) return false;
  if (!bounds.end || joints.has(end)) return true;
  END_AT.lastIndex = end;
  return END_AT.test(text);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /\w/.test(char);
}

const GITHUB: SecretRule[] = [
  regexRule({ id: 'github-pat', keywords: ['ghp_'], pattern: /ghp_[0-9a-zA-Z]{36}/, entropy: 3 }),
  regexRule({ id: 'github-oauth', keywords: ['gho_'], pattern: /gho_[0-9a-zA-Z]{36}/, entropy: 3 }),
  regexRule({ id: 'github-app-token', keywords: ['ghu_', 'ghs_'], pattern: /(?:ghu|ghs)_[0-9a-zA-Z]{36}/, entropy: 3 }),
  regexRule({ id: 'github-refresh-token', keywords: ['ghr_'], pattern: /ghr_[0-9a-zA-Z]{36}/, entropy: 3 }),
  regexRule({ id: 'github-fine-grained-pat', keywords: ['github_pat_'], pattern: /github_pat_\w{82}/, entropy: 3 }),
];

const GITLAB: SecretRule[] = [
  regexRule({ id: 'gitlab-pat', keywords: ['glpat-'], pattern: /glpat-(?:[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{9}\b|[\w-]{20})/, entropy: 3 }),
  regexRule({ id: 'gitlab-ptt', keywords: ['glptt-'], pattern: /glptt-[0-9a-f]{40}/, entropy: 3 }),
  regexRule({ id: 'gitlab-rrt', keywords: ['gr1348941'], pattern: /GR1348941[\w-]{20}/, entropy: 3 }),
  regexRule({ id: 'gitlab-deploy-token', keywords: ['gldt-'], pattern: /gldt-[0-9a-zA-Z_-]{20}/, entropy: 3 }),
  regexRule({ id: 'gitlab-runner-authentication-token', keywords: ['glrt-'], pattern: /glrt-[0-9a-zA-Z_-]{20}/, entropy: 3 }),
];

const AI_PROVIDERS: SecretRule[] = [
  regexRule({
    id: 'anthropic-api-key',
    keywords: ['sk-ant-api03'],
    pattern: new RegExp(String.raw`\b(sk-ant-api03-[a-zA-Z0-9_\-]{93}AA)${END}`),
  }),
  regexRule({
    id: 'anthropic-admin-api-key',
    keywords: ['sk-ant-admin01'],
    pattern: new RegExp(String.raw`\b(sk-ant-admin01-[a-zA-Z0-9_\-]{93}AA)${END}`),
  }),
  regexRule({
    id: 'openai-api-key',
    keywords: ['t3blbkfj'],
    pattern: new RegExp(
      String.raw`\b(sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})\b|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})${END}`,
    ),
    entropy: 3,
  }),
];

const SLACK: SecretRule[] = [
  regexRule({ id: 'slack-bot-token', keywords: ['xoxb'], pattern: /xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]{0,256}/, entropy: 3 }),
  regexRule({ id: 'slack-legacy-bot-token', keywords: ['xoxb'], pattern: /xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26}/, entropy: 2 }),
  regexRule({ id: 'slack-user-token', keywords: ['xoxp-', 'xoxe-'], pattern: /xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}/, entropy: 2 }),
  regexRule({ id: 'slack-app-token', keywords: ['xapp'], pattern: /xapp-\d-[A-Z0-9]{1,64}-\d{1,32}-[a-z0-9]{1,256}/i, entropy: 2 }),
  regexRule({ id: 'slack-legacy-token', keywords: ['xoxo', 'xoxs'], pattern: /xox[os]-\d{1,32}-\d{1,32}-\d{1,32}-[a-fA-F\d]{1,256}/, entropy: 2 }),
  regexRule({ id: 'slack-legacy-workspace-token', keywords: ['xoxa', 'xoxr'], pattern: /xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}/, entropy: 2 }),
  regexRule({
    id: 'slack-webhook-url',
    keywords: ['hooks.slack.com'],
    pattern: /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43,56}/,
  }),
];

const CLOUD: SecretRule[] = [
  regexRule({
    id: 'aws-access-token',
    keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'],
    pattern: /\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/,
    entropy: 3,
    allow: (secret) => secret.endsWith('EXAMPLE'),
  }),
  regexRule({
    // secretlint: only `[AWS_]SECRET_ACCESS_KEY = <40 characters>` (a bare 40-character string is too common).
    id: 'aws-secret-access-key',
    keywords: ['secret'],
    pattern: /["']?(?:aws)?_?secret_?access_?key["']?[ \t]{0,16}(?::|=>|=)[ \t]{0,16}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/i,
    allow: (secret) => secret.endsWith('EXAMPLEKEY'),
  }),
  regexRule({
    id: 'gcp-api-key',
    keywords: ['aiza'],
    pattern: new RegExp(String.raw`\b(AIza[\w-]{35})${END}`),
    entropy: 4,
  }),
  regexRule({
    id: 'stripe-access-token',
    keywords: ['sk_test', 'sk_live', 'sk_prod', 'rk_test', 'rk_live', 'rk_prod'],
    pattern: new RegExp(String.raw`\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})${END}`),
    entropy: 2,
  }),
];

const JWT = regexRule({
  // gitleaks matches `ey…` (keyword "ey", in most English text); a JSON header always encodes to `eyJ`.
  id: 'jwt',
  keywords: ['eyj'],
  pattern: new RegExp(String.raw`\b(eyJ[a-zA-Z0-9]{17,4096}\.ey[a-zA-Z0-9\/\\_-]{17,16384}\.(?:[a-zA-Z0-9\/\\_-]{10,8192}={0,2})?)${END}`),
  entropy: 3,
});

export const RULES: readonly SecretRule[] = [
  ...CLOUD,
  ...GITHUB,
  ...GITLAB,
  ...AI_PROVIDERS,
  ...SLACK,
  JWT,
  privateKeyRule(),
  connectionStringRule(),
  genericAssignmentRule(),
];

/**
 * gitleaks' private-key (`-----BEGIN … PRIVATE KEY----- … KEY-----`), by code: its lazy `[\s\S-]{64,}?` would
 * search to the end of the text again from every BEGIN that has no end. A block cut short (a preview, a
 * truncated log) has no END line: then the base64 body that follows is redacted up to where it stops.
 */
// As gitleaks: a header with less than this between it and the footer is code that mentions the format.
const MIN_KEY_BODY = 64;

function privateKeyRule(): SecretRule {
  const header = /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/gi;
  const footer = /-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/gi;
  // Base64, PEM header lines (`Proc-Type: 4,ENCRYPTED`), whitespace and escaped newlines; a `-` only when it
  // does not start a `-----` line, so the run stops at the next BEGIN instead of running over it.
  const body = /(?:[A-Za-z0-9+/=:, \t\r\n]|-(?!----)|\\[nrt])*/y;
  return {
    id: 'private-key',
    keywords: ['-----begin'],
    *find(text) {
      const headers = [...text.matchAll(header)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
      footer.lastIndex = 0;
      let nextFooter = footer.exec(text);
      let coveredTo = 0;
      for (const [i, { start, end: headerEnd }] of headers.entries()) {
        if (start < coveredTo) continue;
        while (nextFooter !== null && nextFooter.index < headerEnd) nextFooter = footer.exec(text);
        const nextHeader = headers[i + 1]?.start ?? Infinity;
        let end: number;
        if (nextFooter !== null && nextFooter.index < nextHeader) {
          end = nextFooter.index + nextFooter[0].length;
          if (nextFooter.index - headerEnd < MIN_KEY_BODY) continue;
        } else {
          body.lastIndex = headerEnd;
          body.exec(text);
          end = Math.min(body.lastIndex, nextHeader);
          if (end - headerEnd < MIN_KEY_BODY) continue;
        }
        coveredTo = end;
        yield { start, end, secret: text.slice(start, end) };
      }
    },
  };
}

// secretlint's placeholders: credentials that are examples, not secrets.
const PLACEHOLDER_PASSWORDS = new Set(
  [
    'localhost', '127.0.0.1', 'example.com', 'example.org', 'test.com', 'password', 'username', 'secret', 'mypassword',
    'myusername', 'root', 'admin', 'user', 'pass', '{password}', '${password}', '{{password}}', '{username}',
    '${username}', '{{username}}', 'your_password', 'your_username', 'replace_with_password',
  ],
);
const VARIABLE_LIKE = /\$\{[^}]{1,50}\}|\{\{[^}]{1,50}\}\}|\{[^}]{1,50}\}|%[A-Z_]{1,30}%|\$[A-Z_]{1,30}|\$\([^)]{1,50}\)|^<[^>]{1,50}>$|^\*+$/;

/** secretlint's database-connection-string: `scheme://user:password@host`; only the password is the secret. */
function connectionStringRule(): SecretRule {
  const pattern =
    /\b(?:postgres(?:ql)?|(?:jdbc:)?mysqlx?|mongodb(?:\+srv)?|rediss?|amqps?):\/\/(?<user>[^:/\s@]{0,100}):(?<password>[^@/\s]{1,200})@(?=[^/\s?@]{1,100})/dgi;
  return {
    id: 'database-connection-string',
    keywords: ['postgres', 'mysql', 'mongodb', 'redis', 'amqp'],
    *find(text) {
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const user = match.groups?.['user'] ?? '';
        const password = match.groups?.['password'] ?? '';
        const [start, end] = match.indices?.groups?.['password'] ?? [0, 0];
        if (!isLikelyRealPassword(user, password)) continue;
        yield { start, end, secret: password };
      }
    },
  };
}

function isLikelyRealPassword(user: string, password: string): boolean {
  if (user === password || password.length < 4) return false;
  if (VARIABLE_LIKE.test(password)) return false;
  if (PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return false;
  return !/^(.)\1{3,}$/.test(password);
}

/**
 * gitleaks' generic-api-key: `<name with key|token|secret|password|…> <operator> <value>` whose value has an entropy
 * of at least 3.5 bits per character and holds no stopword. gitleaks' pattern starts with `[\w.-]{0,50}?` before
 * the keyword, which a backtracking engine would retry at every position of the text: here the keyword is found
 * first and the rest is matched from it (sticky), and the 50 characters before it are read back for the allowlist.
 */
function genericAssignmentRule(): SecretRule {
  const source = String.raw`[ \t\w.-]{0,20}[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,1024}={0,3})${END}`;
  const tail = new RegExp(source, 'iyd');
  const bounds = boundsOf(source);
  const unbounded = new RegExp(bounds.inner, 'iyd');
  return {
    id: 'generic-api-key',
    keywords: ['access', 'api', 'auth', 'key', 'credential', 'creds', 'passwd', 'password', 'secret', 'token'],
    *find(text, keywordAt, joints) {
      const search = joints === undefined ? tail : unbounded;
      let searchFrom = 0;
      for (const found of keywordAt) {
        if (found.index < searchFrom) continue;
        search.lastIndex = found.index + found.keyword.length;
        const match = search.exec(text);
        if (match === null) continue;
        if (joints !== undefined && !withinBounds(text, match.index, match.index + match[0].length, bounds, joints)) continue;
        const [start, end] = match.indices?.[1] ?? [0, 0];
        const secret = text.slice(start, end);
        const whole = text.slice(prefixStart(text, found.index), match.index + match[0].length);
        if (!isGenericSecret(secret, whole)) continue;
        searchFrom = end;
        yield { start, end, secret };
      }
    },
  };
}

/** Where gitleaks' `[\w.-]{0,50}?` prefix before the keyword would start. */
function prefixStart(text: string, keywordStart: number): number {
  let start = keywordStart;
  while (start > 0 && keywordStart - start < 50 && /[\w.-]/.test(text[start - 1] ?? '')) start -= 1;
  return start;
}

const GENERIC_ALLOW_SECRET = /^[a-zA-Z_.-]+$/;
// Not in gitleaks: a git object id or SHA-256 digest (40 or 64 hex digits) or a UUID is an identifier, not a secret.
const GENERIC_ALLOW_IDENTIFIER = /^(?:[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{40}|[0-9A-F]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
// gitleaks' match allowlist for generic-api-key (its two `(?-i:…)` clauses for empty `NAME=` lines are left out:
// JavaScript before Node 23 has no inline flag groups, and a value here needs 10 characters anyway).
const GENERIC_ALLOW_MATCH =
  /(?:access(?:ibility|or)|access[_.-]?id|random[_.-]?access|api[_.-]?(?:id|name|version)|rapid|capital|[a-z0-9-]{0,50}api[a-z0-9-]{0,50}:jar:|author|X-MS-Exchange-Organization-Auth|Authentication-Results|(?:credentials?[_.-]?id|withCredentials)|(?:bucket|foreign|hot|idx|natural|primary|pub(?:lic)?|schema|sequence)[_.-]?key|(?:turkey)|key[_.-]?(?:alias|board|code|frame|id|length|mesh|name|pair|press(?:ed)?|ring|selector|signature|size|stone|storetype|word|up|down|left|right)|key[_.-]?vault[_.-]?(?:id|name)|keyVaultToStoreSecrets|key(?:store|tab)[_.-]?(?:file|path)|issuerkeyhash|[dm]onkey|keying|(?:secret)[_.-]?(?:length|name|size)|UserSecretsId|(?:csrf)[_.-]?token|(?:io\.jsonwebtoken[ \t]?:[ \t]?[\w-]+)|(?:api|credentials|token)[_.-]?(?:endpoint|ur[il])|public[_.-]?token|(?:key|token)[_.-]?file)/i;
// gitleaks' global allowlist, for the values it applies to.
const GLOBAL_ALLOW_SECRET = [
  /^(?:true|false|null)$/i,
  /^(?:a+|b+|c+|d+|e+|f+|g+|h+|i+|j+|k+|l+|m+|n+|o+|p+|q+|r+|s+|t+|u+|v+|w+|x+|y+|z+|\*+|\.+)$/i,
  /^\$(?:\d+|\{\d+\})$/,
  /^\$(?:[A-Z_]+|[a-z_]+)$/,
  /^\$\{(?:[A-Z_]+|[a-z_]+)\}$/,
  /^%(?:[A-Z_]+|[a-z_]+)%$/,
  /^@(?:[A-Z_]+|[a-z_]+)@$/,
  /^\/(?:bin|etc|home|opt|tmp|usr|var|Users)\/[\w ./-]+$/,
];

function isGenericSecret(secret: string, whole: string): boolean {
  if (shannonEntropy(secret) < 3.5) return false;
  if (GENERIC_ALLOW_SECRET.test(secret) || GENERIC_ALLOW_IDENTIFIER.test(secret) || GLOBAL_ALLOW_SECRET.some((allow) => allow.test(secret))) return false;
  if (GENERIC_ALLOW_MATCH.test(whole)) return false;
  const lower = secret.toLowerCase();
  return !GENERIC_STOPWORDS.some((word) => lower.includes(word));
}
