import { describe, expect, it } from 'vitest';
import { codexParser, looksLikeCodex } from '../../../../shared/parsers/codex/index.js';
import { parseSessionBytes } from '../../../../shared/parsers/parse-session.js';
import { selectParser } from '../../../../shared/parsers/registry.js';
import {
  assistantItem,
  parseRecords,
  parseText,
  record,
  ROLLOUT_CONTEXT,
  sessionMeta,
  userItem,
} from './support.js';

const SESSION = '0195f0a0-0000-7000-8000-000000000001';

describe('Codex parser on bad input', () => {
  it('keeps the complete lines of an object whose last line was torn mid-write', async () => {
    // Prepare
    const complete = [sessionMeta(SESSION), userItem('Fix the flaky test'), assistantItem('On it')]
      .map((line) => JSON.stringify(line))
      .join('\n');
    const torn = `${complete}\n{"timestamp":"2026-03-01T09:00:09.000Z","type":"response_item","payload":{"type":"mess`;

    // Act
    const { messages, outcome } = await parseText(torn);

    // Assess
    expect(outcome.truncated).toBe(true);
    expect(outcome.lines.malformed).toBe(0);
    expect(messages.map((message) => message.text)).toEqual(['Fix the flaky test', 'On it']);
  });

  it('skips JSON lines that are not objects', async () => {
    // Prepare
    const text = [JSON.stringify(sessionMeta(SESSION)), '42', '"massive error"', '[1]', 'null', JSON.stringify(userItem('hi'))]
      .join('\n')
      .concat('\n');

    // Act
    const { messages, outcome, result } = await parseText(text);

    // Assess
    expect(outcome.lines.malformedByReason['not-an-object']).toBe(4);
    expect(messages.map((message) => message.text)).toEqual(['hi']);
    expect(result.summary.sourceSessionId).toBe(SESSION);
  });

  it('counts unknown record types and payload types by name', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      record('world_state', { full: true }),
      { timestamp: '2026-03-01T09:00:00.000Z', payload: {} },
      record('response_item', { type: 'tool_result', content: 'x' }),
      { timestamp: '2026-03-01T09:00:00.000Z', type: 'response_item', payload: 'not an object' },
      record('response_item', { type: 'message', role: 42, content: [] }),
    ];

    // Act
    const { result } = await parseRecords(records);

    // Assess
    expect(result.counts.unknownTypes).toEqual({
      world_state: 1,
      '<missing>': 1,
      'response_item:tool_result': 1,
      'response_item:<missing>': 1,
      'response_item:message/<missing>': 1,
    });
  });

  it('never throws on fields of the wrong type', () => {
    // Prepare
    const parser = codexParser.create(ROLLOUT_CONTEXT);
    const sink = { message: () => {}, toolCall: () => {}, revise: () => {} };
    const odd: Record<string, unknown>[] = [
      { type: 'session_meta', payload: { id: 7, cwd: ['x'], git: 'main', source: 5 } },
      { type: 'session_meta', payload: null },
      { type: 'turn_context', payload: { model: {}, turn_id: 3 }, timestamp: 'yesterday' },
      { type: 'response_item', payload: { type: 'message', role: 'user', content: 12 } },
      { type: 'response_item', payload: { type: 'function_call', arguments: 3, call_id: {} } },
      { type: 'response_item', payload: { type: 'function_call_output', call_id: 'x', output: { deep: [1, { a: null }] } } },
      { type: 'response_item', payload: { type: 'reasoning', summary: 'text', content: [null, 3] } },
      { type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: 'lots', last_token_usage: [1] } } },
      { type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: -5, output_tokens: 'x' } } } },
      { type: 'event_msg', payload: { type: 'user_message', message: { text: 'hi' } } },
      { type: 'event_msg', payload: { type: 'turn.completed', usage: 'none' } },
      { type: 'compacted', payload: { message: 9 } },
    ];

    // Act
    const run = (): void => {
      odd.forEach((value, index) => parser.line({ value, lineNumber: index + 1, byteOffset: index }, sink));
      parser.finish(sink);
    };

    // Assess
    expect(run).not.toThrow();
  });

  it('recognises a Codex rollout by its first record', () => {
    // Prepare / Act / Assess
    expect(looksLikeCodex({ type: 'session_meta', payload: { id: 'x' } })).toBe(true);
    expect(looksLikeCodex({ timestamp: '2026-05-13T09:00:00.000Z', type: 'turn_context', payload: { model: 'gpt-5' } })).toBe(true);
    expect(looksLikeCodex({ type: 'user', sessionId: 'abc', message: { role: 'user', content: 'hi' } })).toBe(false);
    expect(looksLikeCodex({ type: 'event_msg', message: 'no payload' })).toBe(false);
  });

  it('is chosen by content for a file without session_meta', async () => {
    // Prepare
    const text = `${JSON.stringify(record('turn_context', { model: 'gpt-5.2-codex' }))}\n`;

    // Act
    const { outcome } = await parseSessionBytes(text, selectParser(null), ROLLOUT_CONTEXT);

    // Assess
    expect(outcome.parser?.agent).toBe('codex');
  });
});
