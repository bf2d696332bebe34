/**
 * Secrets of every rule, made up here from a seeded generator (never copied from anywhere real), each with the
 * rule that must find it, the exact value that must never be stored, and a sentence that carries it the way a
 * session would (a prompt, a command, a config file a tool printed).
 */

export interface PlantedSecret {
  rule: string;
  /** What must not be stored anywhere (for a connection string, its password). */
  value: string;
  /** A line of text holding it. */
  context: string;
}

/** A small deterministic generator (mulberry32), so every run plants the same values. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const BASE32 = `${UPPER}234567`;
const BASE64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}_-`;

export function plantSecrets(seed = 12): PlantedSecret[] {
  const random = seededRandom(seed);
  const pick = (alphabet: string, length: number): string =>
    Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const base64url = (value: string): string => Buffer.from(value).toString('base64url');

  const awsKeyId = `AKIA${pick(BASE32, 16)}`;
  const awsSecret = pick(BASE64, 40);
  const jwt = [
    base64url('{"alg":"HS256","typ":"JWT"}'),
    base64url(`{"sub":"${pick(DIGITS, 10)}","name":"Dana Example","iat":1735689600,"scope":"admin"}`),
    pick(URLSAFE, 43),
  ].join('.');
  const pemBody = Array.from({ length: 12 }, () => pick(BASE64, 64)).join('\n');
  const rsaKey = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
  const opensshBody = Array.from({ length: 6 }, () => pick(BASE64, 70)).join('\n');
  const opensshKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${opensshBody}\n-----END OPENSSH PRIVATE KEY-----`;
  const pgPassword = pick(ALNUM, 18);
  const mongoPassword = pick(ALNUM, 16);
  const genericPassword = pick(ALNUM, 24);
  const genericToken = pick(ALNUM, 32);
  const genericSecret = pick(`${ALNUM}_-`, 28);

  return [
    { rule: 'aws-access-token', value: awsKeyId, context: `export AWS_ACCESS_KEY_ID=${awsKeyId}` },
    { rule: 'aws-secret-access-key', value: awsSecret, context: `aws_secret_access_key = ${awsSecret}` },
    { rule: 'github-pat', value: `ghp_${pick(ALNUM, 36)}`, context: '' },
    { rule: 'github-fine-grained-pat', value: `github_pat_${pick(`${ALNUM}_`, 82)}`, context: '' },
    { rule: 'gitlab-pat', value: `glpat-${pick(URLSAFE, 20)}`, context: '' },
    { rule: 'anthropic-api-key', value: `sk-ant-api03-${pick(URLSAFE, 93)}AA`, context: '' },
    { rule: 'openai-api-key', value: `sk-proj-${pick(URLSAFE, 74)}T3BlbkFJ${pick(URLSAFE, 74)}`, context: '' },
    { rule: 'slack-bot-token', value: `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(ALNUM, 24)}`, context: '' },
    {
      rule: 'slack-webhook-url',
      value: `https://hooks.slack.com/services/T${pick(UPPER + DIGITS, 8)}/B${pick(UPPER + DIGITS, 10)}/${pick(ALNUM, 24)}`,
      context: '',
    },
    { rule: 'stripe-access-token', value: `sk_live_${pick(ALNUM, 24)}`, context: '' },
    { rule: 'gcp-api-key', value: `AIza${pick(URLSAFE, 35)}`, context: '' },
    { rule: 'jwt', value: jwt, context: `curl -H "Authorization: Bearer ${jwt}" https://api.internal.test/v1/me` },
    { rule: 'private-key', value: rsaKey, context: `here is the deploy key:\n${rsaKey}\nuse it for the box` },
    { rule: 'private-key', value: opensshKey, context: `cat ~/.ssh/id_ed25519\n${opensshKey}\n` },
    {
      rule: 'database-connection-string',
      value: pgPassword,
      context: `DATABASE_URL=postgres://app_user:${pgPassword}@db.prod.internal:5432/orders`,
    },
    {
      rule: 'database-connection-string',
      value: mongoPassword,
      context: `client = MongoClient("mongodb+srv://reporting:${mongoPassword}@cluster0.abcde.mongodb.net/sales")`,
    },
    { rule: 'generic-api-key', value: genericPassword, context: `db_password=${genericPassword}` },
    { rule: 'generic-api-key', value: genericToken, context: `"auth_token": "${genericToken}",` },
    { rule: 'generic-api-key', value: genericSecret, context: `client_secret: ${genericSecret}` },
  ].map((planted) => ({ ...planted, context: planted.context === '' ? `the key is ${planted.value} keep it safe` : planted.context }));
}
