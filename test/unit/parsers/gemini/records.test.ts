import { describe, expect, it } from 'vitest';
import { parseSessionBytes } from '../../../../shared/parsers/parse-session.js';
import { selectParser } from '../../../../shared/parsers/registry.js';
import { AGENT_DEFINITIONS } from '../../../../shared/agents/registry.js';

/** Gemini CLI records written the way @google/gemini-cli 0.61.0's ChatRecordingService writes them. */

const context = { fileStem: 'session-x', projectDir: 'proj', parentSourceSessionId: null };
const meta = { sessionId: 's-1', projectHash: 'h', startTime: '2026-01-01T00:00:00.000Z', lastUpdated: '2026-01-01T00:00:00.000Z', kind: 'main' };
const at = (second: number): string => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;
const user = (id: string, text: string, second = 1): object => ({ id, timestamp: at(second), type: 'user', content: [{ text }] });
const gemini = (id: string, extra: object = {}, second = 2): object => ({ id, timestamp: at(second), type: 'gemini', content: 'ok', thoughts: [], model: 'gemini-2.5-pro', ...extra });
const tokens = (input: number, output: number, cached = 0, thoughts = 0, tool = 0): object => ({
  tokens: { input, output, cached, thoughts, tool, total: input + output + thoughts + tool },
});
const jsonl = (...records: Array<object | string>): string =>
  records.map((record) => (typeof record === 'string' ? record : JSON.stringify(record))).join('\n') + '\n';

async function parse(text: string) {
  return parseSessionBytes(text, selectParser('gemini'), context);
}

describe('Gemini CLI records', () => {
  it('keeps the last copy of a re-appended message, at its first position: tokens that came later are billed once', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'hi'), gemini('g1', { tokens: null }), user('u2', 'more', 3), gemini('g1', tokens(100, 10))));
    expect(parsed.messages.map((message) => message.uuid)).toEqual(['u1', 'g1', 'u2']);
    expect(parsed.messages.filter((message) => message.tokens !== null)).toHaveLength(1);
    expect(parsed.messages[1]?.tokens).toEqual({ input: 100, output: 10, cacheCreationInput: null, cacheReadInput: 0, reasoningOutput: 0 });
    // The first copy left behind counts as an ignored line.
    expect(parsed.outcome.result?.counts.ignoredLines).toBe(1);
  });

  it('maps tokens as the other agents do: input without cached, plus the tool-use prompt; thoughts inside output', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'hi'), gemini('g1', tokens(1000, 50, 600, 20, 7))));
    // 1000 − 600 + 7 input; 50 + 20 output.
    expect(parsed.messages[1]?.tokens).toEqual({ input: 407, output: 70, cacheCreationInput: null, cacheReadInput: 600, reasoningOutput: 20 });
    expect(parsed.messages[1]).toMatchObject({ responseId: 'g1', requestId: 's-1' });
  });

  it('bills nothing for all-zero tokens', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'hi'), gemini('g1', tokens(0, 0))));
    expect(parsed.messages[1]?.tokens).toBeNull();
    expect(parsed.messages[1]?.responseId).toBeNull();
  });

  it('keeps a rewound message as a row marked rewound (its response was billed), and the rest of the conversation', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'a'), gemini('g1', tokens(10, 1)), user('u2', 'b', 3), gemini('g2', tokens(20, 2), 4), { $rewindTo: 'u2' }, user('u3', 'c', 5)));
    expect(parsed.messages.map((message) => [message.uuid, message.sourceSubtype])).toEqual([
      ['u1', null],
      ['g1', null],
      ['u2', 'rewound'],
      ['g2', 'rewound'],
      ['u3', null],
    ]);
    expect(parsed.outcome.result?.summary.tokens.input).toBe(30);
  });

  it('marks every message rewound when the rewind names an id not in the conversation, as the CLI drops them all', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'a'), gemini('g1'), { $rewindTo: 'nope' }));
    expect(parsed.messages.map((message) => message.sourceSubtype)).toEqual(['rewound', 'rewound']);
  });

  it('reads $set.messages as the new history: messages left out are marked replaced, a message in it is live again', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'a'), gemini('g1', tokens(10, 1)), { $set: { messages: [user('u1', 'a')], lastUpdated: at(9) } }));
    expect(parsed.messages.map((message) => [message.uuid, message.sourceSubtype])).toEqual([
      ['u1', null],
      ['g1', 'replaced'],
    ]);
    expect(parsed.outcome.result?.summary.endedAt).toBe(at(9));

    const again = await parse(jsonl(meta, user('u1', 'a'), gemini('g1', tokens(10, 1)), { $rewindTo: 'g1' }, { $set: { messages: [user('u1', 'a'), gemini('g1', tokens(10, 1))] } }));
    expect(again.messages.map((message) => message.sourceSubtype)).toEqual([null, null]);
    expect(again.outcome.result?.summary.tokens.input).toBe(10);
  });

  it('skips a torn line in the middle and lands the rest', async () => {
    const parsed = await parse(jsonl(meta, user('u1', 'a'), '{"id":"g1","timestamp":"2026-01-01T00:0', gemini('g1', tokens(10, 1))));
    expect(parsed.outcome.lines.malformed).toBe(1);
    expect(parsed.messages).toHaveLength(2);
  });

  it('reads a legacy pretty-printed session document as one record, and a torn one as nothing', async () => {
    const document = JSON.stringify({ ...meta, messages: [user('u1', 'a'), gemini('g1', tokens(10, 1))] }, null, 2);
    const parsed = await parse(document);
    expect(parsed.messages).toHaveLength(2);
    expect(parsed.outcome.lines).toMatchObject({ malformed: 0, records: 1 });
    expect(parsed.outcome.truncated).toBe(false);

    const torn = await parse(document.slice(0, -40));
    expect(torn.messages).toHaveLength(0);
    expect(torn.outcome.lines.records).toBe(0);
  });

  it('reads a pretty-printed document only for an agent whose parser reads documents', async () => {
    const document = JSON.stringify({ type: 'user', sessionId: 's', uuid: 'u', message: { role: 'user', content: 'hi' } }, null, 2);
    const parsed = await parseSessionBytes(document, AGENT_DEFINITIONS.claude.parser, context);
    expect(parsed.messages).toHaveLength(0);
    expect(parsed.outcome.lines.malformed).toBeGreaterThan(0);
  });

  it('stores the tool results the CLI sends back as a tool row, not as a prompt', async () => {
    const response = { functionResponse: { id: 'c1', name: 'ls', response: { output: 'a b' } } };
    const parsed = await parse(jsonl(meta, user('u1', 'list'), { id: 'u2', timestamp: at(3), type: 'user', content: [response] }));
    expect(parsed.messages[1]).toMatchObject({ role: 'tool', sourceSubtype: 'function_response', text: null });
    expect(parsed.outcome.result?.summary.userMessageCount).toBe(1);
  });

  it('counts commands and injected context as no prompt, and titles the session with what the user typed', async () => {
    const parsed = await parse(
      jsonl(
        meta,
        user('u0', '/stats'),
        user('u1', '<session_context>cwd</session_context>'),
        { id: 'u2', timestamp: at(3), type: 'user', content: [{ text: 'Explain @a.ts' }, { text: '--- a.ts ---\ncode' }], displayContent: [{ text: 'Explain @a.ts' }] },
      ),
    );
    expect(parsed.outcome.result?.summary).toMatchObject({ userMessageCount: 1, title: 'Explain @a.ts' });
    expect(parsed.messages[2]?.text).toBe('Explain @a.ts\n--- a.ts ---\ncode');
  });

  it('reads tool calls: results, errors, cancellations and calls still running', async () => {
    const call = (id: string, status: string, result?: unknown): object => ({ id, name: 'run_shell_command', args: { command: 'ls' }, status, timestamp: at(3), ...(result === undefined ? {} : { result }) });
    const ok = [{ functionResponse: { id: 'a', name: 'run_shell_command', response: { output: 'files' } } }, { text: 'more' }];
    const failed = [{ functionResponse: { id: 'b', name: 'run_shell_command', response: { error: 'boom' } } }];
    const parsed = await parse(jsonl(meta, user('u1', 'go'), gemini('g1', { toolCalls: [call('a', 'success', ok), call('b', 'error', failed), call('c', 'cancelled'), call('d', 'executing')] })));
    expect(parsed.toolCalls.map((row) => [row.callId, row.resultText, row.isError])).toEqual([
      ['a', 'files\nmore', false],
      ['b', 'boom', true],
      ['c', '', true],
      ['d', null, null],
    ]);
    expect(parsed.toolCalls[0]).toMatchObject({ name: 'run_shell_command', input: { command: 'ls' }, resultJoints: [5] });
  });

  it('joins thoughts into thinking, and keeps the model per message', async () => {
    const parsed = await parse(
      jsonl(meta, user('u1', 'a'), gemini('g1', { thoughts: [{ subject: 'Plan', description: 'Read it' }, { subject: '', description: 'Then answer' }], model: 'gemini-2.5-flash', ...tokens(5, 1) })),
    );
    expect(parsed.messages[1]).toMatchObject({ thinking: 'Plan: Read it\nThen answer', model: 'gemini-2.5-flash' });
  });

  it('counts records that are not the CLI’s by type', async () => {
    const parsed = await parse(jsonl(meta, { type: 'mystery' }, { foo: 1 }, { id: 'x', type: 'model', parts: [] }));
    expect(parsed.outcome.result?.counts.unknownTypes).toEqual({ mystery: 1, '<missing>': 1, model: 1 });
    expect(parsed.messages).toHaveLength(0);
  });

  it('is chosen by content from its metadata record, before Claude Code’s catch-all', async () => {
    const parsed = await parseSessionBytes(jsonl(meta, user('u1', 'a')), selectParser(null), context);
    expect(parsed.outcome.parser?.agent).toBe('gemini');
  });
});
