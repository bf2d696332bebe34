/**
 * Calls an SQS-triggered Lambda handler the way the Lambda SQS event source mapping does, for the local
 * stack: long-poll a batch, hide it for the visibility timeout, invoke `handler(event, context)` with
 * AWS-shaped records, then delete the messages that succeeded (ReportBatchItemFailures semantics).
 * Messages left undeleted come back after the visibility timeout; after maxReceiveCount receives SQS moves
 * them to the DLQ. `concurrency` batches at a time (default 1), as Lambda runs several invocations of a mapping at
 * once (its MaximumConcurrency): each poller receives and runs its own batches, so one object is parsed while
 * another's rows are written (Postgres is another process: two cores work).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Callback, Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

/** Accepts promise handlers `(event, context)` and callback handlers `(event, context, callback)`. */
export type SqsLambdaHandler = (
  event: SQSEvent,
  context: Context,
  callback: Callback<SQSBatchResponse | void>,
) => void | Promise<SQSBatchResponse | void | undefined | null>;

export const BatchOutcome = {
  /** Every record succeeded: all deleted. */
  ok: 'ok',
  /** The handler listed some records in batchItemFailures: the others deleted. */
  partial: 'partial',
  /** Thrown, rejected, or an invalid response: nothing deleted. */
  error: 'error',
  /** Ran past the function timeout: nothing deleted. */
  timeout: 'timeout',
} as const;
export type BatchOutcome = (typeof BatchOutcome)[keyof typeof BatchOutcome];

export interface BatchProgress {
  /** 1-based number of this batch since start. */
  batch: number;
  outcome: BatchOutcome;
  received: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  error?: unknown;
  totals: { batches: number; succeeded: number; failed: number };
}

export interface QueueRunnerOptions {
  sqs: SQSClient;
  /** As CreateQueue/GetQueueUrl returned it. */
  queueUrl: string;
  handler: SqsLambdaHandler;
  region: string;
  /** The records' eventSourceARN; read from the queue when absent. */
  queueArn?: string;
  /** 1–10 (default 10). */
  batchSize?: number;
  /** Batches run at once, each by its own poller (default 1). */
  concurrency?: number;
  /** Long-poll wait per receive, 0–20 s (default 20, as the event source uses). */
  waitTimeSeconds?: number;
  /** The Lambda timeout the context reports and the runner enforces (default 30 s). */
  functionTimeoutMs?: number;
  /** Visibility timeout set on each receive; at least the function timeout (default: the function timeout). */
  visibilityTimeoutSeconds?: number;
  functionName?: string;
  onBatch?: (progress: BatchProgress) => void;
  log?: (line: string) => void;
  /** Awaited by `drain()` before it looks at the queue, e.g. the notification bridge's `idle`. */
  idle?: () => Promise<void>;
}

export interface DrainOptions {
  signal?: AbortSignal;
  /** Pause between looks at the queue (default 100 ms). */
  pollMs?: number;
}

export interface QueueRunner {
  /** Waits for the running batch, stops polling. */
  stop(): Promise<void>;
  /** Resolves once the queue has no visible, in-flight or delayed messages and no batch is running. */
  drain(options?: DrainOptions): Promise<void>;
}

export async function startQueueRunner(options: QueueRunnerOptions): Promise<QueueRunner> {
  const batchSize = options.batchSize ?? 10;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? Math.ceil(functionTimeoutMs / 1000);
  const functionName = options.functionName ?? 'sessionlake-ingest-local';
  const log = options.log ?? (() => {});
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new Error(`batchSize must be 1–10, got ${batchSize}`);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  if (visibilityTimeoutSeconds * 1000 < functionTimeoutMs) {
    // The same rule AWS applies when an SQS event source mapping is created.
    throw new Error(
      `The visibility timeout (${visibilityTimeoutSeconds} s) must be at least the function timeout (${functionTimeoutMs} ms).`,
    );
  }
  const queueArn = options.queueArn ?? (await readQueueArn(options.sqs, options.queueUrl));

  const abort = new AbortController();
  let stopping = false;
  /** Batches running now. */
  let running = 0;
  let batchesStarted = 0;
  const totals = { batches: 0, succeeded: 0, failed: 0 };

  const runBatch = async (messages: Message[]): Promise<void> => {
    const started = Date.now();
    const deadline = started + functionTimeoutMs;
    const records = messages.map((message) => toSqsRecord(message, queueArn, options.region));
    const result = await invokeWithTimeout(
      options.handler,
      { Records: records },
      lambdaContext(functionName, options.region, functionTimeoutMs, deadline),
      functionTimeoutMs,
    );

    const verdict = judge(result, records);
    const succeeded = records.filter((record) => !verdict.failedIds.has(record.messageId));
    if (succeeded.length > 0) await deleteMessages(options.sqs, options.queueUrl, succeeded, log);

    totals.batches += 1;
    totals.succeeded += succeeded.length;
    totals.failed += records.length - succeeded.length;
    const progress: BatchProgress = {
      batch: totals.batches,
      outcome: verdict.outcome,
      received: records.length,
      succeeded: succeeded.length,
      failed: records.length - succeeded.length,
      durationMs: Date.now() - started,
      totals: { ...totals },
    };
    if (verdict.error !== undefined) progress.error = verdict.error;
    options.onBatch?.(progress);
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      let messages: Message[];
      try {
        const received = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (stopping) break;
        log(`queue runner: ReceiveMessage failed: ${describe(error)}; retrying in 1 s`);
        await sleep(1000, undefined, { signal: abort.signal }).catch(() => {});
        continue;
      }
      if (messages.length === 0) continue;
      running += 1;
      batchesStarted += 1;
      try {
        await runBatch(messages);
      } catch (error) {
        log(`queue runner: batch failed outside the handler: ${describe(error)}`);
      } finally {
        running -= 1;
      }
    }
  };
  const looping = Promise.all(Array.from({ length: concurrency }, loop)).then(() => undefined);

  return {
    async stop() {
      if (stopping) return looping;
      stopping = true;
      abort.abort();
      await looping;
    },
    async drain(drainOptions: DrainOptions = {}) {
      const pollMs = drainOptions.pollMs ?? 100;
      for (;;) {
        drainOptions.signal?.throwIfAborted();
        if (stopping) throw new Error('The queue runner is stopped; nothing would drain the queue.');
        await options.idle?.();
        const batchesBefore = batchesStarted;
        if (running === 0) {
          const depth = await queueDepth(options.sqs, options.queueUrl);
          if (depth === 0 && running === 0 && batchesStarted === batchesBefore) return;
        }
        await sleep(pollMs, undefined, drainOptions.signal ? { signal: drainOptions.signal } : {});
      }
    },
  };
}

type Invocation =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'timedOut' };

async function invokeWithTimeout(
  handler: SqsLambdaHandler,
  event: SQSEvent,
  context: Context,
  timeoutMs: number,
): Promise<Invocation> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Invocation>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timedOut' }), timeoutMs);
  });
  const invoked = new Promise<unknown>((resolve, reject) => {
    const callback: Callback<SQSBatchResponse | void> = (error, value) => (error ? reject(error) : resolve(value));
    const returned = handler(event, context, callback);
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as Promise<unknown>).then(resolve, reject);
    }
  }).then(
    (value): Invocation => ({ kind: 'returned', value }),
    (error: unknown): Invocation => ({ kind: 'threw', error }),
  );
  try {
    return await Promise.race([invoked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

interface Verdict {
  outcome: BatchOutcome;
  failedIds: Set<string>;
  error?: unknown;
}

/**
 * ReportBatchItemFailures rules: no response, or no/empty `batchItemFailures`, is full success; a failure entry
 * whose itemIdentifier is missing, empty or not a message of the batch makes the whole batch fail.
 */
function judge(result: Invocation, records: readonly SQSRecord[]): Verdict {
  const all = new Set(records.map((record) => record.messageId));
  if (result.kind === 'timedOut') return { outcome: BatchOutcome.timeout, failedIds: all, error: new Error('Task timed out') };
  if (result.kind === 'threw') return { outcome: BatchOutcome.error, failedIds: all, error: result.error };
  const response = result.value;
  if (response === undefined || response === null) return { outcome: BatchOutcome.ok, failedIds: new Set() };
  if (typeof response !== 'object') {
    return { outcome: BatchOutcome.error, failedIds: all, error: new Error('The handler returned a value that is not a batch response') };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { outcome: BatchOutcome.ok, failedIds: new Set() };
  if (!Array.isArray(failures)) {
    return { outcome: BatchOutcome.error, failedIds: all, error: new Error('batchItemFailures is not a list') };
  }
  const failedIds = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) {
      return { outcome: BatchOutcome.error, failedIds: all, error: new Error(`Invalid itemIdentifier in batchItemFailures: ${JSON.stringify(id)}`) };
    }
    failedIds.add(id);
  }
  return { outcome: failedIds.size === 0 ? BatchOutcome.ok : BatchOutcome.partial, failedIds };
}

export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string | undefined>;
  const recordAttributes: SQSRecordAttributes = {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
    SentTimestamp: attributes.SentTimestamp ?? '',
    SenderId: attributes.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
  };
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) (recordAttributes as unknown as Record<string, string>)[name] = value;
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((bytes) => Buffer.from(bytes).toString('base64')),
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
    };
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: recordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function lambdaContext(functionName: string, region: string, timeoutMs: number, deadline: number): Context {
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported by the local queue runner; return a value instead.`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, Math.min(timeoutMs, deadline - Date.now())),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, records: readonly SQSRecord[], log: (line: string) => void): Promise<void> {
  for (let start = 0; start < records.length; start += 10) {
    const chunk = records.slice(start, start + 10);
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
    for (const failure of result.Failed ?? []) {
      log(`queue runner: could not delete message ${chunk[Number(failure.Id)]?.messageId}: ${failure.Code} ${failure.Message ?? ''}`);
    }
  }
}

async function readQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const result = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = result.Attributes?.QueueArn;
  if (!arn) throw new Error(`No QueueArn for ${queueUrl}`);
  return arn;
}

/** Visible + in flight + delayed. */
async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const attributes = result.Attributes ?? {};
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
