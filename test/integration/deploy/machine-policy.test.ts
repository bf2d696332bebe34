/**
 * The IAM policy docs/deploy.md gives a pushing machine, parsed from the page and evaluated for the requests
 * `aws s3 sync` makes: it may list and write its own `<machine>/` prefix, and nothing of another machine's.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: { StringLike?: Record<string, string[] | string>; StringEquals?: Record<string, string[] | string> };
}

interface Request {
  action: string;
  resource: string;
  /** Request context, e.g. `s3:prefix` of a ListObjectsV2. */
  context?: Record<string, string>;
}

const DEPLOY_DOC = fileURLToPath(new URL('../../../docs/deploy.md', import.meta.url));
let statements: Statement[];
let kmsStatement: Statement;
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

beforeAll(async () => {
  const page = await readFile(DEPLOY_DOC, 'utf8');
  const kmsBlock = /<!-- machine-policy-kms -->\s*```json\n([\s\S]*?)```/.exec(page)?.[1];
  if (kmsBlock === undefined) throw new Error('docs/deploy.md has no ```json block after <!-- machine-policy-kms -->');
  kmsStatement = JSON.parse(kmsBlock.replaceAll('KEY_ARN', KEY_ARN).replaceAll('REGION', 'eu-west-1')) as Statement;
  const block = /<!-- machine-policy -->\s*```json\n([\s\S]*?)```/.exec(page)?.[1];
  if (block === undefined) throw new Error('docs/deploy.md has no ```json block after <!-- machine-policy -->');
  const policy = JSON.parse(block.replaceAll('BUCKET', 'logs-bucket').replaceAll('MACHINE', 'laptop')) as { Version: string; Statement: Statement[] };
  expect(policy.Version).toBe('2012-10-17');
  statements = policy.Statement;
});

/** IAM's wildcard matching: `*` any run of characters, `?` one. */
function matches(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(value);
}

/** Allowed by some Allow statement (the policy has no Deny; a missing condition key fails a condition, as in IAM). */
function allows(request: Request, policy: Statement[] = statements): boolean {
  return policy.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    if (![statement.Action].flat().some((action) => matches(action, request.action))) return false;
    if (![statement.Resource].flat().some((resource) => matches(resource, request.resource))) return false;
    for (const [key, patterns] of Object.entries(statement.Condition?.StringLike ?? {})) {
      const value = request.context?.[key];
      if (value === undefined || ![patterns].flat().some((pattern) => matches(pattern, value))) return false;
    }
    for (const [key, expected] of Object.entries(statement.Condition?.StringEquals ?? {})) {
      const value = request.context?.[key];
      if (value === undefined || ![expected].flat().includes(value)) return false;
    }
    return true;
  });
}

const BUCKET = 'arn:aws:s3:::logs-bucket';

describe('the machine-side IAM policy in docs/deploy.md', () => {
  it('names only list, put and abort-upload actions, none of them wildcards', () => {
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();
    expect(actions).toEqual(['s3:AbortMultipartUpload', 's3:ListBucket', 's3:PutObject']);
  });

  it('scopes every object resource to the machine prefix and the listing to it by s3:prefix', () => {
    for (const statement of statements) {
      for (const resource of [statement.Resource].flat()) {
        if (resource === BUCKET) {
          expect([statement.Action].flat()).toEqual(['s3:ListBucket']);
          expect(Object.values(statement.Condition?.StringLike ?? {}).flat()).toEqual(['laptop/*']);
        } else {
          expect(resource).toBe(`${BUCKET}/laptop/*`);
        }
      }
    }
  });

  it('lets the machine sync its own logs: list its prefix, upload, abort a failed multipart upload', () => {
    expect(allows({ action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'laptop/raw/claude/' } })).toBe(true);
    expect(allows({ action: 's3:PutObject', resource: `${BUCKET}/laptop/raw/claude/-home-me-app/5c0375b4.jsonl` })).toBe(true);
    expect(allows({ action: 's3:PutObject', resource: `${BUCKET}/laptop/raw/codex/2026/02/23/rollout-x.jsonl` })).toBe(true);
    expect(allows({ action: 's3:AbortMultipartUpload', resource: `${BUCKET}/laptop/raw/claude/big.jsonl` })).toBe(true);
  });

  it("cannot overwrite, read, delete or list another machine's logs, nor list the whole bucket", () => {
    expect(allows({ action: 's3:PutObject', resource: `${BUCKET}/gpu-01/raw/claude/p/s.jsonl` })).toBe(false);
    expect(allows({ action: 's3:PutObject', resource: `${BUCKET}/laptop-2/raw/claude/p/s.jsonl` })).toBe(false);
    expect(allows({ action: 's3:PutObject', resource: `${BUCKET}/raw/claude/p/s.jsonl` })).toBe(false);
    expect(allows({ action: 's3:GetObject', resource: `${BUCKET}/gpu-01/raw/claude/p/s.jsonl` })).toBe(false);
    expect(allows({ action: 's3:DeleteObject', resource: `${BUCKET}/laptop/raw/claude/p/s.jsonl` })).toBe(false);
    expect(allows({ action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'gpu-01/' } })).toBe(false);
    expect(allows({ action: 's3:ListBucket', resource: BUCKET })).toBe(false);
  });
});

describe('the statement docs/deploy.md adds for a bucket encrypted with a customer managed KMS key', () => {
  const withKms = (): Statement[] => [...statements, kmsStatement];
  const viaS3 = { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' };

  it('lets S3 get a data key for an upload (kms:GenerateDataKey) and decrypt it to complete a multipart upload', () => {
    expect([kmsStatement.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(allows({ action: 'kms:GenerateDataKey', resource: KEY_ARN, context: viaS3 }, withKms())).toBe(true);
    expect(allows({ action: 'kms:Decrypt', resource: KEY_ARN, context: viaS3 }, withKms())).toBe(true);
  });

  it('only through S3 in that region, only for that key, and still no GetObject', () => {
    expect(allows({ action: 'kms:Decrypt', resource: KEY_ARN }, withKms())).toBe(false);
    expect(allows({ action: 'kms:Decrypt', resource: KEY_ARN, context: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } }, withKms())).toBe(false);
    expect(allows({ action: 'kms:GenerateDataKey', resource: KEY_ARN.replace('1234abcd', 'ffffffff'), context: viaS3 }, withKms())).toBe(false);
    expect(allows({ action: 's3:GetObject', resource: `${BUCKET}/laptop/raw/claude/p/s.jsonl` }, withKms())).toBe(false);
  });
});
