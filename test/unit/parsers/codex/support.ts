import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { codexParser } from '../../../../shared/parsers/codex/index.js';
import { parseSessionBytes, type CollectedSession } from '../../../../shared/parsers/parse-session.js';
import type { ParseResult } from '../../../../shared/parsers/types.js';
import type { MessageRecord, ParserContext, ToolCallRecord } from '../../../../shared/model.js';
import { codexSessionsDir } from '../../../fixtures/codex/expectations.js';

export interface ParsedSession {
  messages: MessageRecord[];
  toolCalls: ToolCallRecord[];
  result: ParseResult;
  outcome: CollectedSession['outcome'];
}

export const ROLLOUT_CONTEXT: ParserContext = {
  fileStem: 'rollout-2026-03-01T09-00-00-0195f0a0-0000-7000-8000-000000000001',
  projectDir: null,
  parentSourceSessionId: null,
};

/** The parser context the S3 key layout gives a rollout synced from `~/.codex/sessions`. */
export function fixtureContext(relativePath: string): ParserContext {
  const layout = classifyKey(`laptop/raw/codex/${relativePath}`);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`${relativePath} is not a session: ${layout.kind}`);
  return layout.parserContext;
}

export async function readFixture(relativePath: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path.join(codexSessionsDir, relativePath)));
}

export async function parseFixture(relativePath: string): Promise<ParsedSession> {
  return collected(await parseSessionBytes(await readFixture(relativePath), codexParser, fixtureContext(relativePath)));
}

export async function parseText(text: string, context: ParserContext = ROLLOUT_CONTEXT): Promise<ParsedSession> {
  return collected(await parseSessionBytes(text, codexParser, context));
}

/** Parses inline records written one per line. */
export async function parseRecords(
  records: readonly Record<string, unknown>[],
  context: ParserContext = ROLLOUT_CONTEXT,
): Promise<ParsedSession> {
  return parseText(records.map((record) => JSON.stringify(record)).join('\n') + '\n', context);
}

function collected(session: CollectedSession): ParsedSession {
  const result = session.outcome.result;
  if (result === null) throw new Error('the parser produced no result');
  return { messages: session.messages, toolCalls: session.toolCalls, result, outcome: session.outcome };
}

export function isPending(call: ToolCallRecord): boolean {
  return call.resultText === null && call.isError === null;
}

export function billedRows(messages: readonly MessageRecord[]): MessageRecord[] {
  return messages.filter((message) => message.tokens !== null);
}

// Line builders: `{timestamp, type, payload}` records as Codex writes them.

let clock = Date.parse('2026-03-01T09:00:00.000Z');

/** Timestamps one second apart, in call order. */
function nextTimestamp(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function record(type: string, payload: Record<string, unknown>, timestamp = nextTimestamp()): Record<string, unknown> {
  return { timestamp, type, payload };
}

export function sessionMeta(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return record('session_meta', { id, cwd: '/home/me/code/shop', originator: 'codex_cli_rs', cli_version: '0.130.0', source: 'cli', ...extra });
}

export function turnContext(turnId: string | null, model = 'gpt-5.3-codex'): Record<string, unknown> {
  return record('turn_context', { ...(turnId === null ? {} : { turn_id: turnId }), cwd: '/home/me/code/shop', model });
}

export function taskStarted(turnId: string): Record<string, unknown> {
  return record('event_msg', { type: 'task_started', turn_id: turnId });
}

export function taskComplete(turnId: string): Record<string, unknown> {
  return record('event_msg', { type: 'task_complete', turn_id: turnId });
}

export function userItem(text: string): Record<string, unknown> {
  return record('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
}

export function developerItem(text: string): Record<string, unknown> {
  return record('response_item', { type: 'message', role: 'developer', content: [{ type: 'input_text', text }] });
}

export function userEvent(message: string): Record<string, unknown> {
  return record('event_msg', { type: 'user_message', message, images: [] });
}

export function assistantItem(text: string): Record<string, unknown> {
  return record('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
}

export function functionCall(callId: string, name: string, args: unknown): Record<string, unknown> {
  return record('response_item', { type: 'function_call', name, arguments: args, call_id: callId });
}

export function functionOutput(callId: string, output: unknown): Record<string, unknown> {
  return record('response_item', { type: 'function_call_output', call_id: callId, output });
}

export interface UsageNumbers {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

function usage(numbers: UsageNumbers): Record<string, number> {
  return {
    input_tokens: numbers.input,
    cached_input_tokens: numbers.cached,
    output_tokens: numbers.output,
    reasoning_output_tokens: numbers.reasoning,
    total_tokens: numbers.input + numbers.output,
  };
}

/** A token_count event; `last` null leaves last_token_usage out. */
export function tokenCount(total: UsageNumbers, last: UsageNumbers | null): Record<string, unknown> {
  const info: Record<string, unknown> = { total_token_usage: usage(total), model_context_window: 272000 };
  if (last !== null) info['last_token_usage'] = usage(last);
  return record('event_msg', { type: 'token_count', info, rate_limits: null });
}

export function tokenCountWithoutInfo(): Record<string, unknown> {
  return record('event_msg', { type: 'token_count', info: null, rate_limits: { primary: { used_percent: 3 } } });
}
