import { describe, expect, it } from 'vitest';
import { looksLikeQwen } from '../../../../shared/parsers/qwen/index.js';
import { parseFixture, parseRecords, parseText } from './support.js';

const at = '2026-09-24T09:00:00.000Z';
const base = (uuid: string, parentUuid: string | null, type: string, extra: Record<string, unknown> = {}) => ({
  uuid, parentUuid, sessionId: 's1', timestamp: at, type, cwd: '/w/app', version: '0.24.4', ...extra,
});
const assistant = (uuid: string, parent: string | null, usageMetadata: Record<string, unknown>) =>
  base(uuid, parent, 'assistant', { model: 'qwen3-coder-plus', message: { role: 'model', parts: [{ text: 'ok' }] }, usageMetadata });

describe('Qwen Code records', () => {
  it('takes thoughts out of output only when the total counts them inside (OpenAI-compatible providers)', async () => {
    const { messages } = await parseRecords([
      // 1000 + 50 = 1050: the 20 thoughts are part of the 50 candidates.
      assistant('a', null, { promptTokenCount: 1000, candidatesTokenCount: 50, thoughtsTokenCount: 20, cachedContentTokenCount: 600, totalTokenCount: 1050 }),
      // 1000 + 50 + 20 = 1070: the Gemini API counts them apart.
      assistant('b', 'a', { promptTokenCount: 1000, candidatesTokenCount: 50, thoughtsTokenCount: 20, totalTokenCount: 1070 }),
    ]);

    expect(messages.map((message) => message.tokens)).toEqual([
      { input: 400, output: 50, cacheCreationInput: null, cacheReadInput: 600, reasoningOutput: 20 },
      { input: 1000, output: 70, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: 20 },
    ]);
  });

  it('bills a main response on its assistant record and never again from its api_response telemetry', async () => {
    const usage = { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 };
    const event = { 'event.name': 'qwen-code.api_response', model: 'qwen3-coder-plus', input_token_count: 10, output_token_count: 2, total_token_count: 12 };
    const { messages, result } = await parseRecords([
      base('t', null, 'system', { subtype: 'ui_telemetry', systemPayload: { uiEvent: event } }),
      assistant('a', 't', usage),
    ]);

    expect(messages.filter((message) => message.tokens !== null)).toHaveLength(1);
    expect(result.summary.tokens.input).toBe(10);
    expect(result.counts.duplicateResponses).toBe(1);
  });

  it('links a row over the records that gave none, and keeps an abandoned branch after a rewind', async () => {
    // Lines of the main sample: a16 (attribution snapshot, no row) is the parent of the rewind record a20 and of
    // the abandoned prompt a17; a15 (custom title, no row) hangs off a14.
    const { messages } = await parseFixture('-home-alice-proj/chats/7c1e0f52-3a9b-4d8e-9f10-2b3c4d5e6f70.jsonl');
    const byUuid = new Map(messages.map((message) => [message.uuid, message]));

    expect(byUuid.get('a17')?.parentUuid).toBe('a14');
    expect(byUuid.get('a20')).toMatchObject({ role: 'system', sourceType: 'system', sourceSubtype: 'rewind', parentUuid: 'a14' });
    // The active conversation, walked from the last row, skips the abandoned a17 → a19 branch.
    const active: string[] = [];
    for (let at: string | null | undefined = messages.at(-1)?.uuid; at; at = byUuid.get(at)?.parentUuid) active.push(at);
    expect(active).toEqual(['a23', 'a21', 'a20', 'a14', 'a12', 'a11', 'a10', 'a09', 'a08', 'a05', 'a04', 'a02']);
    expect(byUuid.get('a19')?.tokens?.output).toBe(30);
  });

  it('pairs a result by its functionResponse id and keeps the text of a result whose call is not in the log', async () => {
    const call = { functionCall: { id: 'c1', name: 'read_file', args: { absolute_path: '/w/a' } } };
    const { messages, toolCalls, result } = await parseRecords([
      base('a', null, 'assistant', { model: 'qwen3-coder-plus', message: { role: 'model', parts: [call] } }),
      base('r', 'a', 'tool_result', {
        message: { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'read_file', response: { output: 'A' } } }] },
        toolCallResult: { callId: 'c1', status: 'success' },
      }),
      base('o', 'r', 'tool_result', {
        message: { role: 'user', parts: [{ functionResponse: { id: 'gone', name: 'glob', response: { error: 'no match' } } }] },
        toolCallResult: { callId: 'gone', status: 'error' },
      }),
    ]);

    expect(toolCalls).toMatchObject([{ messageOrdinal: 0, callIndex: 0, callId: 'c1', resultText: 'A', isError: false }]);
    expect(messages.map((message) => [message.role, message.text])).toEqual([['assistant', null], ['tool', null], ['tool', 'no match']]);
    expect(result.counts.ignoredLines).toBe(0);
  });

  it('stores notifications in the user role as system rows, not prompts', async () => {
    const { messages, result } = await parseRecords([
      base('n', null, 'user', { subtype: 'notification', provenance: 'system', message: { role: 'user', parts: [{ text: 'Background task done' }] } }),
      base('u', 'n', 'user', { provenance: 'real_user', message: { role: 'user', parts: [{ text: 'next' }] } }),
    ]);

    expect(messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(result.summary).toMatchObject({ userMessageCount: 1, title: 'next' });
  });

  it('counts unknown record types by name, those named like Object members too', async () => {
    const { result } = await parseRecords([
      base('x', null, 'constructor'),
      base('y', 'x', '__proto__'),
      base('z', 'y', '__proto__'),
      { uuid: 'w', sessionId: 's1' },
    ]);

    expect(Object.entries(result.counts.unknownTypes)).toEqual([['constructor', 1], ['__proto__', 2], ['<missing>', 1]]);
  });

  it('counts a malformed line and lands the rest', async () => {
    const good = JSON.stringify(base('u', null, 'user', { provenance: 'real_user', message: { role: 'user', parts: [{ text: 'hi' }] } }));
    const { messages, outcome } = await parseText(`${good}\n{"uuid":"x",\n${good.replace('"u"', '"v"')}\n`);

    expect(messages).toHaveLength(2);
    expect(outcome.lines.malformed).toBe(1);
  });

  it("tells a Qwen Code record from a Claude Code one by its GenAI body", () => {
    expect(looksLikeQwen(base('u', null, 'user', { message: { role: 'user', parts: [{ text: 'hi' }] } }))).toBe(true);
    expect(looksLikeQwen(base('s', null, 'system', { subtype: 'session_source', systemPayload: { sourceType: 'cli' } }))).toBe(true);
    expect(looksLikeQwen({ type: 'user', sessionId: 's', uuid: 'u', message: { role: 'user', content: 'hi' } })).toBe(false);
    expect(looksLikeQwen({ type: 'summary', summary: 'x', leafUuid: 'u' })).toBe(false);
  });
});
