import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsSender, webhookSender, type AlertSenders } from '../../../shared/budgets/channels.js';
import { checkBudgets } from '../../../shared/budgets/check.js';
import { main } from '../../../cli/main.js';
import { silentLogger } from '../../../shared/log.js';
import { dropRoles } from '../../../shared/store/roles.js';
import { startIngestStack, type IngestStack } from '../../support/ingest-stack.js';
import { findMotoServer, startMotoServer, type MotoServer } from '../../support/moto.js';

/**
 * Budgets on usage uploaded the way machines upload it, with alerts to moto's SNS (read back through an SQS
 * subscription) and to a local webhook receiver whose URL is kept in moto's SSM. Costs are worked out by hand
 * from migration 003's price of claude-sonnet-4-5 ($3 input, $15 output per million tokens): one response of
 * 100 000 input and 10 000 output tokens costs $0.30 + $0.15 = $0.45.
 */

const CLI = fileURLToPath(new URL('../../../bin/sessionlake.js', import.meta.url));
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const motoCommand = await findMotoServer();
const inCi = process.env['CI'] === 'true';
if (motoCommand === null && !inCi) process.stderr.write("SKIPPED budgets: moto_server not installed (pip install 'moto[server]')\n");

let stack: IngestStack;
let moto: MotoServer;
let receiver: Server;
let webhookBodies: Array<{ text: string }>;
let failNextWebhook = false;
let topicArn: string;
let subscriptionQueueUrl: string;
let sqs: SQSClient;
let responseNumber = 0;

/** A Claude session of `responses` sonnet-4-5 responses (100k in, 10k out each), timed a few seconds ago. */
function session(sessionId: string, responses: number, model = 'claude-sonnet-4-5'): string {
  const lines: unknown[] = [];
  const at = new Date(Date.now() - 5_000).toISOString();
  lines.push({ type: 'user', sessionId, uuid: `${sessionId}-u`, timestamp: at, cwd: '/tmp/app', message: { role: 'user', content: 'go' } });
  for (let i = 0; i < responses; i++) {
    responseNumber += 1;
    lines.push({
      type: 'assistant', sessionId, uuid: `${sessionId}-a${i}`, timestamp: at, requestId: `req_${responseNumber}`,
      message: { id: `msg_${responseNumber}`, model, role: 'assistant', usage: { input_tokens: 100_000, output_tokens: 10_000 }, content: [{ type: 'text', text: 'ok' }] },
    });
  }
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

async function upload(machine: string, sessionId: string, body: string): Promise<void> {
  const key = `${machine}/raw/claude/-tmp-app/${sessionId}.jsonl`;
  await stack.emulator.s3.send(new PutObjectCommand({ Bucket: stack.emulator.bucket, Key: key, Body: body }));
  await stack.runner?.drain();
}

function senders(): AlertSenders {
  return {
    sns: snsSender(new SNSClient({ region: REGION, endpoint: moto.endpoint, credentials: CREDENTIALS }), topicArn),
    webhook: webhookSender(REGION),
  };
}

/** Two checkers at once, each on its own pool, as two scheduled runs would be. */
async function twoCheckersAtOnce(): Promise<void> {
  const pools = [0, 1].map(() => new pg.Pool({ connectionString: stack.database.url, max: 2 }));
  try {
    await Promise.all(pools.map((pool) => checkBudgets(pool, senders(), silentLogger)));
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

async function snsMessages(): Promise<string[]> {
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: subscriptionQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const count = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  const messages: string[] = [];
  while (messages.length < count) {
    const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: subscriptionQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (batch.Messages === undefined || batch.Messages.length === 0) break;
    for (const message of batch.Messages) {
      messages.push((JSON.parse(message.Body ?? '{}') as { Subject: string }).Subject);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: subscriptionQueueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return messages;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env, DATABASE_URL: stack.database.url, AWS_REGION: REGION, AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', SESSIONLAKE_BUDGET_TOPIC_ARN: topicArn,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(motoCommand === null && !inCi)('budgets and their alerts', () => {
  beforeAll(async () => {
    [stack, moto] = await Promise.all([
      startIngestStack({ runner: { functionTimeoutMs: 5_000, visibilityTimeoutSeconds: 5, waitTimeSeconds: 1 } }),
      startMotoServer(motoCommand ?? 'moto_server'),
    ]);
    webhookBodies = [];
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (failNextWebhook) {
          failNextWebhook = false;
          response.writeHead(500).end('down');
          return;
        }
        webhookBodies.push(JSON.parse(body) as { text: string });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/budget`;

    const client = { region: REGION, endpoint: moto.endpoint, credentials: CREDENTIALS };
    const sns = new SNSClient(client);
    sqs = new SQSClient(client);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'sessionlake-alarms' }))).TopicArn ?? '';
    subscriptionQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alarm-inbox' }))).QueueUrl ?? '';
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: subscriptionQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
    await new SSMClient(client).send(new PutParameterCommand({ Name: '/sessionlake/test/budget-webhook', Type: 'SecureString', Value: webhookUrl }));
    // The webhook sender reads its secret with the SDK's own endpoint settings, as in Lambda.
    process.env['AWS_ENDPOINT_URL_SSM'] = moto.endpoint;
    process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';

    const set = await cli([
      'budgets', 'set', 'ana-monthly', '--scope', 'person:ana', '--limit', '1', '--thresholds', '80,100',
      '--channels', 'sns,webhook', '--webhook', 'ssm:/sessionlake/test/budget-webhook',
    ]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
  }, 120_000);

  afterAll(async () => {
    delete process.env['AWS_ENDPOINT_URL_SSM'];
    await new Promise((resolve) => receiver?.close(resolve));
    await Promise.all([stack?.stop(), moto?.stop()]);
  });

  it('counts only the scope\'s spend: another person\'s machine is not in it', async () => {
    await upload('bob@desk', '00000000-0000-4000-8000-00000000b0b1', session('00000000-0000-4000-8000-00000000b0b1', 5));
    await upload('ana@laptop', '00000000-0000-4000-8000-0000000000a1', session('00000000-0000-4000-8000-0000000000a1', 1));
    const status = await cli(['budgets', 'list', '--json']);
    const [row] = JSON.parse(status.stdout) as Array<{ spentUsd: number; percent: number; unpricedResponses: number }>;
    expect(row).toMatchObject({ spentUsd: 0.45, percent: 45, unpricedResponses: 0 });
  });

  it('crossing 80 % and then 100 % sends exactly two alerts per channel, with two checkers at once each time', async () => {
    // 0.45 → 0.90: 90 %, past 80.
    await upload('ana@laptop', '00000000-0000-4000-8000-0000000000a2', session('00000000-0000-4000-8000-0000000000a2', 1));
    await twoCheckersAtOnce();
    expect(webhookBodies.map((body) => body.text.split('\n')[0])).toEqual(['*sessionlake budget ana-monthly: 90.0 % of $1.00 (80 % reached)*']);
    expect(await snsMessages()).toEqual(['sessionlake budget ana-monthly: 90.0 % of $1.00 (80 % reached)']);

    // 0.90 → 1.35: 135 %, past 100.
    await upload('ana@laptop', '00000000-0000-4000-8000-0000000000a3', session('00000000-0000-4000-8000-0000000000a3', 1));
    await twoCheckersAtOnce();
    await twoCheckersAtOnce();
    expect(webhookBodies).toHaveLength(2);
    expect(webhookBodies[1]?.text).toContain('$1.35 of $1.00 spent (135.0 %)');
    expect(await snsMessages()).toEqual(['sessionlake budget ana-monthly: 135.0 % of $1.00 (100 % reached)']);
  });

  it('budgets check prints the table and exits 2 when a budget is over, sending nothing again', async () => {
    const check = await cli(['budgets', 'check']);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(/^ana-monthly\s+person:ana\s+month from \d{4}-\d{2}-01\s+\$1\.35\s+\$1\.00\s+135\.0\s+\$[\d.]+\s+OVER$/m);
    expect(check.stdout).toContain('over budget: ana-monthly');
    expect(check.stdout).not.toContain('alert sent');
    expect(webhookBodies).toHaveLength(2);
    expect(await snsMessages()).toEqual([]);
  });

  it('a checker without a channel reports it only while that channel\'s alert is still unsent', async () => {
    // ana-monthly's alerts went out on both channels above; a laptop's CLI has the webhook but no SNS topic.
    const webhookOnly: AlertSenders = { webhook: senders().webhook };
    const afterSent = await checkBudgets(stack.pool, webhookOnly, silentLogger);
    expect(afterSent.failed).toEqual([]);
    expect(afterSent.sent).toEqual([]);

    const budget = ['budgets', 'set', 'ana-daily', '--scope', 'person:ana', '--period', 'day', '--limit', '1', '--thresholds', '100', '--channels', 'sns'];
    expect((await cli(budget)).code).toBe(0);
    const unsent = await checkBudgets(stack.pool, webhookOnly, silentLogger);
    expect(unsent.failed).toEqual([{ budget: 'ana-daily', threshold: 100, channel: 'sns', error: 'no sns channel is configured here' }]);
    expect((await cli(['budgets', 'remove', 'ana-daily'])).code).toBe(0);
  });

  it('an alert whose send failed is sent by the next check, once', async () => {
    const budget = ['budgets', 'set', 'all-monthly', '--limit', '5', '--thresholds', '50', '--channels', 'webhook', '--webhook', 'ssm:/sessionlake/test/budget-webhook'];
    expect((await cli(budget)).code).toBe(0);
    // everything: bob's 5 responses and ana's 3 = 8 × 0.45 = $3.60 of $5: 72 %.
    failNextWebhook = true;
    const first = await checkBudgets(stack.pool, senders(), silentLogger);
    expect(first.failed).toEqual([{ budget: 'all-monthly', threshold: 50, channel: 'webhook', error: 'budget all-monthly: the webhook answered HTTP 500' }]);
    expect(webhookBodies).toHaveLength(2);
    const second = await checkBudgets(stack.pool, senders(), silentLogger);
    expect(second.sent).toEqual([{ budget: 'all-monthly', threshold: 50, channel: 'webhook' }]);
    expect(webhookBodies[2]?.text).toContain('$3.60 of $5.00 spent (72.0 %)');
    expect((await checkBudgets(stack.pool, senders(), silentLogger)).sent).toEqual([]);
  });

  it('says when the scope has unpriced usage, never counting it as $0', async () => {
    await upload('ana@laptop', '00000000-0000-4000-8000-0000000000a4', session('00000000-0000-4000-8000-0000000000a4', 2, 'model-nobody-prices'));
    const [row] = JSON.parse((await cli(['budgets', 'list', '--json'])).stdout) as Array<{ name: string; spentUsd: number; unpricedResponses: number; unpricedTokens: number }>;
    expect(row).toMatchObject({ name: 'all-monthly', spentUsd: 3.6, unpricedResponses: 2, unpricedTokens: 220_000 });
    const list = await cli(['budgets', 'list']);
    expect(list.stdout).toMatch(/^all-monthly\s+all\s+month from [\d-]+\s+\$3\.60\*/m);
  });

  it('the functions\' writer role can check the budgets and record alerts, as the scheduled function does', async () => {
    const suffix = stack.database.name.split('_').slice(-2).join('_');
    const names = { writer: `bw_${suffix}`, analyst: `ba_${suffix}`, admin: `bd_${suffix}` };
    const out = process.stdout.write;
    process.stdout.write = () => true;
    try {
      expect(await main(['roles', '--database-url', stack.database.url, '--writer', names.writer, '--analyst', names.analyst, '--admin', names.admin])).toBe(0);
    } finally {
      process.stdout.write = out;
    }
    const writer = new pg.Pool({ connectionString: stack.database.url, max: 2, options: `-c role=${names.writer}` });
    try {
      expect((await cli(['budgets', 'set', 'ana-daily', '--scope', 'person:ana', '--period', 'day', '--limit', '1', '--thresholds', '100', '--channels', 'sns'])).code).toBe(0);
      const check = await checkBudgets(writer, senders(), silentLogger);
      expect(check.failed).toEqual([]);
      // ana's three priced responses today: $1.35 of $1.
      expect(check.statuses.find((status) => status.name === 'ana-daily')).toMatchObject({ spentUsd: 1.35, percent: 135 });
      expect(check.sent).toEqual([{ budget: 'ana-daily', threshold: 100, channel: 'sns' }]);
      expect(await snsMessages()).toEqual(['sessionlake budget ana-daily: 135.0 % of $1.00 (100 % reached)']);
    } finally {
      await writer.end();
      await dropRoles(stack.pool, [names.admin, names.analyst, names.writer]);
    }
  });

  it('refuses a budget it cannot keep, with the reason', async () => {
    const [limit, scope, zone, url] = await Promise.all([
      cli(['budgets', 'set', 'x', '--limit', '0']),
      cli(['budgets', 'set', 'x', '--limit', '5', '--scope', 'galaxy:far']),
      cli(['budgets', 'set', 'x', '--limit', '5', '--timezone', 'Mars/Base']),
      cli(['budgets', 'set', 'x', '--limit', '5', '--channels', 'webhook', '--webhook', 'https://hooks.example.com/x']),
    ]);
    expect(limit).toMatchObject({ code: 1, stderr: expect.stringContaining('--limit, a positive number') });
    expect(scope).toMatchObject({ code: 1, stderr: expect.stringContaining('--scope must be') });
    expect(zone).toMatchObject({ code: 1, stderr: expect.stringContaining('time zone "Mars/Base" not recognized') });
    expect(url).toMatchObject({ code: 1, stderr: expect.stringContaining('never the URL itself') });
  });
});
