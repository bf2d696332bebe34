import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { copilotParser, looksLikeCopilot } from '../../../../shared/parsers/copilot/index.js';
import { parseSessionBytes } from '../../../../shared/parsers/parse-session.js';
import type { MessageRecord, ParserContext } from '../../../../shared/model.js';
import {
  EVENTS_A,
  EVENTS_B,
  OTEL_EXPORT,
  REAL_SESSION_RESUMED,
  REAL_SESSION_TOOL,
  SAMPLE_OBJECTS,
  SESSION_A,
  SESSION_B,
  copilotHomeDir,
} from '../../../fixtures/copilot/expectations.js';

/** Expectations read off the sample files line by line (test/fixtures/copilot/SOURCES.md). */

function contextOf(relative: string): ParserContext {
  const layout = classifyKey(`laptop/raw/copilot/${relative}`);
  if (layout.kind !== 'session') throw new Error(`${relative}: ${layout.kind}`);
  return layout.parserContext;
}

async function parse(relative: string) {
  const bytes = new Uint8Array(await readFile(path.join(copilotHomeDir, relative)));
  return parseText(bytes, contextOf(relative));
}

async function parseText(bytes: Uint8Array | string, context: ParserContext = { fileStem: 's', projectDir: null, parentSourceSessionId: null }) {
  const session = await parseSessionBytes(bytes, copilotParser, context);
  const result = session.outcome.result;
  if (result === null) throw new Error('the parser produced no result');
  return { messages: session.messages, toolCalls: session.toolCalls, result };
}

const billed = (messages: MessageRecord[]) => messages.filter((message) => message.tokens !== null);

describe('Copilot CLI events.jsonl', () => {
  it('session A: two user prompts, four assistant messages, two tool calls with their results, two shutdowns', async () => {
    const { messages, toolCalls, result } = await parse(EVENTS_A);
    expect(messages.map((message) => [message.role, message.sourceType])).toEqual([
      ['user', 'user.message'],
      ['assistant', 'assistant.message'],
      ['assistant', 'assistant.message'],
      ['assistant', 'session.shutdown'],
      ['user', 'user.message'],
      ['assistant', 'assistant.message'],
      ['assistant', 'assistant.message'],
      ['assistant', 'session.shutdown'],
    ]);
    expect(messages[1]).toMatchObject({ model: 'claude-sonnet-4.5', thinking: 'The user wants the failing test explained; run it first.' });
    expect(toolCalls.map((call) => [call.name, call.callId, call.isError, call.resultText])).toEqual([
      ['bash', 'toolu_a1', true, 'FAIL checkout.test.ts: expected 3 items, got 2'],
      ['edit', 'toolu_a2', false, 'File /home/dev/shop/src/cart.ts updated with changes.'],
    ]);
    expect(result.summary).toMatchObject({
      sourceSessionId: SESSION_A,
      cwd: '/home/dev/shop',
      project: 'shop',
      gitBranch: 'main',
      cliVersion: '1.0.102',
      title: 'Why does the checkout test fail?',
      userMessageCount: 2,
      toolCallCount: 2,
      startedAt: '2026-11-20T09:00:00.010Z',
      endedAt: '2026-11-21T10:15:00.000Z',
    });
    expect(result.counts.unknownTypes).toEqual({});
  });

  it('bills each shutdown by what it adds to the previous snapshot, with its process start in request_id', async () => {
    const { messages } = await parse(EVENTS_A);
    expect(billed(messages).map((message) => [message.timestamp, message.requestId, message.tokens])).toEqual([
      // 12000 input − 9000 read − 1000 written
      ['2026-11-20T09:30:00.000Z', '2026-11-20T09:00:00.000Z', { input: 2000, output: 800, cacheCreationInput: 1000, cacheReadInput: 9000, reasoningOutput: 0 }],
      // (43000 − 12000) − (36000 − 9000) − (1500 − 1000); output 1800 − 800
      ['2026-11-21T10:15:00.000Z', '2026-11-21T10:00:00.000Z', { input: 3500, output: 1000, cacheCreationInput: 500, cacheReadInput: 27000, reasoningOutput: 0 }],
    ]);
  });

  it('bills a snapshot whole when its counts went down (a CLI that restarted them on resume)', async () => {
    const shutdown = (input: number, at: string) =>
      JSON.stringify({ type: 'session.shutdown', id: at, timestamp: at, data: { modelMetrics: { 'gpt-5': { usage: { inputTokens: input, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 } } } } });
    const { messages } = await parseText(`${shutdown(100, '2026-01-01T00:00:00Z')}\n${shutdown(40, '2026-01-02T00:00:00Z')}\n`);
    expect(billed(messages).map((message) => message.tokens?.input)).toEqual([100, 40]);
  });

  it('session B: the usage record bills the call, and the shutdown that repeats it does not', async () => {
    const { messages, result } = await parse(EVENTS_B);
    expect(billed(messages).map((message) => [message.sourceType, message.responseId, message.requestId, message.tokens])).toEqual([
      ['session.usage_record', 'chatcmpl-b1', SESSION_B, { input: 1000, output: 300, cacheCreationInput: 0, cacheReadInput: 4000, reasoningOutput: 100 }],
    ]);
    expect(messages.find((message) => message.sourceType === 'session.shutdown')?.tokens).toBeNull();
    expect(result.counts.duplicateResponses).toBe(1);
    expect(result.summary).toMatchObject({ sourceSessionId: SESSION_B, model: 'gpt-5.4', gitBranch: 'feature/rate-limit' });
  });
});

describe('Copilot CLI OpenTelemetry export', () => {
  it('bills each chat span, named by its session and response id, at its end time; other spans are ignored', async () => {
    const { messages, result } = await parse(OTEL_EXPORT);
    expect(messages.map((message) => [message.sourceType, message.timestamp, message.model, message.responseId, message.requestId, message.tokens?.input])).toEqual([
      ['otel', '2026-11-21T10:05:00.000Z', 'claude-sonnet-4.5', 'msg_a_span_1', SESSION_A, 2500],
      ['otel', '2026-11-21T10:10:00.500Z', 'claude-sonnet-4.5', 'msg_a_span_2', SESSION_A, 1000],
      ['otel', '2026-11-22T14:00:20.000Z', 'gpt-5.4', 'chatcmpl-b1', SESSION_B, 1000],
    ]);
    expect(result.counts.ignoredLines).toBe(1);
    // an export is no session of its own
    expect(result.summary).toMatchObject({ sourceSessionId: null, project: null, originator: 'otel' });
  });
});

describe('files Copilot CLI 1.0.102 wrote (a mock model behind its BYOK provider)', () => {
  it('the resumed session: one row per prompt, reply and usage record; both shutdowns repeat the records', async () => {
    const { messages, result } = await parse(`session-state/${REAL_SESSION_RESUMED}/events.jsonl`);
    expect(messages.map((message) => message.sourceType)).toEqual([
      'user.message', 'session.usage_record', 'assistant.message', 'session.shutdown',
      'user.message', 'session.usage_record', 'assistant.message', 'session.shutdown',
    ]);
    expect(billed(messages).map((message) => [message.responseId, message.requestId, message.tokens])).toEqual([
      ['chatcmpl-mock1', REAL_SESSION_RESUMED, { input: 201, output: 40, cacheCreationInput: 0, cacheReadInput: 1000, reasoningOutput: 8 }],
      ['chatcmpl-mock4', REAL_SESSION_RESUMED, { input: 204, output: 40, cacheCreationInput: 0, cacheReadInput: 1000, reasoningOutput: 8 }],
    ]);
    expect(result.counts).toEqual({ ignoredLines: 8, duplicateResponses: 2, unknownTypes: {} });
    expect(result.summary).toMatchObject({ sourceSessionId: REAL_SESSION_RESUMED, cliVersion: '1.0.102', cwd: '/tmp/copilot-home2/work', title: 'say hi', userMessageCount: 2 });
  });

  it('the session with a tool call: bash `ls` and its result', async () => {
    const { toolCalls } = await parse(`session-state/${REAL_SESSION_TOOL}/events.jsonl`);
    expect(toolCalls.map((call) => [call.name, call.callId, call.input, call.isError, call.resultText])).toEqual([
      ['bash', 'call_mock1', { command: 'ls', description: 'list files' }, false, 'README.md\n<shellId: 0 completed with exit code 0>'],
    ]);
  });

  it.each(SAMPLE_OBJECTS.map((object) => [object.path, object] as const))('%s: its rows and tool calls', async (relative, expected) => {
    const { messages, toolCalls, result } = await parse(relative);
    expect([messages.length, toolCalls.length]).toEqual([expected.messages, expected.toolCalls]);
    expect(result.counts.unknownTypes).toEqual({});
  });
});

describe('Copilot CLI content detection', () => {
  it('knows its events and spans, and not other agents’ first records', () => {
    expect(looksLikeCopilot({ type: 'session.start', data: { sessionId: 's' } })).toBe(true);
    expect(looksLikeCopilot({ type: 'span', traceId: 't', spanId: 's', attributes: {} })).toBe(true);
    expect(looksLikeCopilot({ type: 'user', sessionId: 's', message: { role: 'user', content: 'hi' } })).toBe(false);
    expect(looksLikeCopilot({ type: 'session_meta', payload: {} })).toBe(false);
  });
});
