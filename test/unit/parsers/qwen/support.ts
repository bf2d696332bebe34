import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { qwenParser } from '../../../../shared/parsers/qwen/index.js';
import { parseSessionBytes, type CollectedSession } from '../../../../shared/parsers/parse-session.js';
import type { ParseResult } from '../../../../shared/parsers/types.js';
import type { MessageRecord, ParserContext, ToolCallRecord } from '../../../../shared/model.js';
import { qwenProjectsDir } from '../../../fixtures/qwen/expectations.js';

export interface ParsedSession {
  messages: MessageRecord[];
  toolCalls: ToolCallRecord[];
  result: ParseResult;
  outcome: CollectedSession['outcome'];
}

export const CHAT_CONTEXT: ParserContext = { fileStem: 's1', projectDir: '-w', parentSourceSessionId: null };

/** The parser context the S3 key layout gives a file synced from `~/.qwen/projects`. */
export function fixtureContext(relativePath: string): ParserContext {
  const layout = classifyKey(`laptop/raw/qwen/${relativePath}`);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`${relativePath} is not a session: ${layout.kind}`);
  return layout.parserContext;
}

export async function parseFixture(relativePath: string): Promise<ParsedSession> {
  const bytes = new Uint8Array(await readFile(path.join(qwenProjectsDir, relativePath)));
  return collected(await parseSessionBytes(bytes, qwenParser, fixtureContext(relativePath)));
}

export async function parseRecords(records: readonly Record<string, unknown>[], context = CHAT_CONTEXT): Promise<ParsedSession> {
  const text = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
  return collected(await parseSessionBytes(text, qwenParser, context));
}

export async function parseText(text: string, context = CHAT_CONTEXT): Promise<ParsedSession> {
  return collected(await parseSessionBytes(text, qwenParser, context));
}

function collected(session: CollectedSession): ParsedSession {
  const result = session.outcome.result;
  if (result === null) throw new Error('the parser produced no result');
  return { messages: session.messages, toolCalls: session.toolCalls, result, outcome: session.outcome };
}

export const isPending = (call: ToolCallRecord): boolean => call.resultText === null && call.isError === null;
export const billedRows = (messages: readonly MessageRecord[]): MessageRecord[] => messages.filter((message) => message.tokens !== null);
