import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { claudeParser } from '../../../../shared/parsers/claude/index.js';
import { parseSessionBytes, type CollectedSession } from '../../../../shared/parsers/parse-session.js';
import type { ParseResult } from '../../../../shared/parsers/types.js';
import type { MessageRecord, ParserContext, ToolCallRecord } from '../../../../shared/model.js';
import { claudeProjectsDir } from '../../../fixtures/claude/expectations.js';

export interface ParsedSession {
  messages: MessageRecord[];
  toolCalls: ToolCallRecord[];
  result: ParseResult;
}

export const SESSION_CONTEXT: ParserContext = {
  fileStem: '11111111-2222-4333-8444-555555555555',
  projectDir: '-Users-alice-code-my-app',
  parentSourceSessionId: null,
};

/** The parser context the S3 key layout gives a fixture synced from `~/.claude/projects`. */
export function fixtureContext(relativePath: string): ParserContext {
  const layout = classifyKey(`laptop/raw/claude/${relativePath}`);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`${relativePath} is not a session: ${layout.kind}`);
  return layout.parserContext;
}

export async function parseFixture(relativePath: string): Promise<ParsedSession> {
  const bytes = await readFile(path.join(claudeProjectsDir, relativePath));
  return collected(await parseSessionBytes(new Uint8Array(bytes), claudeParser, fixtureContext(relativePath)));
}

/** Parses inline records written one per line. */
export async function parseRecords(
  records: readonly Record<string, unknown>[],
  context: ParserContext = SESSION_CONTEXT,
): Promise<ParsedSession> {
  const text = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
  return collected(await parseSessionBytes(text, claudeParser, context));
}

function collected(session: CollectedSession): ParsedSession {
  const result = session.outcome.result;
  if (result === null) throw new Error('the parser produced no result');
  return { messages: session.messages, toolCalls: session.toolCalls, result };
}

export interface AssistantLineOptions {
  id?: string;
  requestId?: string;
  usage?: Record<string, unknown>;
  model?: string;
  content?: unknown;
  extra?: Record<string, unknown>;
}

export function assistantLine(options: AssistantLineOptions = {}): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    model: options.model ?? 'claude-sonnet-4-20250514',
    content: options.content ?? [],
  };
  if (options.id !== undefined) message['id'] = options.id;
  if (options.usage !== undefined) message['usage'] = options.usage;
  const line: Record<string, unknown> = { type: 'assistant', message, ...options.extra };
  if (options.requestId !== undefined) line['requestId'] = options.requestId;
  return line;
}

export function userLine(content: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'user', message: { role: 'user', content }, ...extra };
}
