import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../../../shared/model.js';
import { assistantLine, parseFixture, parseRecords, userLine } from './support.js';

const SMALL = '-tmp/17f0522f-f31d-4a64-92aa-c67e09c1ed84.jsonl';
const ORCHESTRATOR = '-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl';

function atLine(messages: MessageRecord[], lineNumber: number): MessageRecord | undefined {
  return messages.find((m) => m.lineNumber === lineNumber);
}

describe('claude parser: records', () => {
  it('counts top-level types it does not know, by name, and stores nothing for them', async () => {
    // Act: schema-drift has top-level "tool_use" (line 2) and "tool_result" (line 3) records.
    const { messages, toolCalls, result } = await parseFixture('-tmp-project/7694341b-c0f6-48f8-9f8e-d233a3d878fc.jsonl');

    // Assess
    expect(result.counts.unknownTypes).toEqual({ tool_use: 1, tool_result: 1 });
    expect(result.counts.ignoredLines).toBe(3);
    expect(messages.map((m) => m.lineNumber)).toEqual([1, 4, 5, 6, 10]);
    expect(toolCalls).toEqual([]);
  });

  it('counts lines with neither a type nor a message role as <missing>, and odd type names as themselves', async () => {
    // Prepare
    const records = [{ message: { role: 'tool' } }, { uuid: 'x' }, { type: 42 }, { type: '__proto__' }, userLine('hi')];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(Object.entries(result.counts.unknownTypes)).toEqual([
      ['<missing>', 3],
      ['__proto__', 1],
    ]);
    expect(messages).toHaveLength(1);
  });

  it('ignores bookkeeping records and attachments other than queued commands', async () => {
    // Act
    const { messages, result } = await parseFixture(SMALL);

    // Assess
    expect(result.counts.ignoredLines).toBe(53);
    expect(result.counts.unknownTypes).toEqual({});
    expect(messages.filter((m) => m.sourceType === 'attachment').map((m) => m.lineNumber)).toEqual([39, 43, 45, 59]);
  });

  it('turns a queued command into a user row with the prompt as text', async () => {
    // Act
    const { messages } = await parseFixture('-Users-alice-code-my-app/6a608f5c-5437-408f-abac-91ddb92ecbc8.jsonl');

    // Assess
    expect(messages[1]).toMatchObject({
      ordinal: 1,
      role: 'user',
      sourceType: 'attachment',
      sourceSubtype: 'queued_command',
      uuid: null,
      timestamp: '2024-01-01T00:00:02.000Z',
    });
    expect(messages[1]?.text).toBe('<task-notification>\n<task-id>a29fa76dc1fa3212f...</task-id>\n<status>completed</status>\n</task-notification>');
  });

  it('keeps system lines as system rows with their subtype and string content', async () => {
    // Act
    const { messages } = await parseFixture(SMALL);

    // Assess
    expect(atLine(messages, 20)).toMatchObject({
      role: 'system',
      sourceType: 'system',
      sourceSubtype: 'api_refusal',
      text: 'refusal',
      requestId: 'req_stage0_002',
      isCompactBoundary: false,
    });
    expect(atLine(messages, 1)).toMatchObject({ sourceSubtype: 'session_start', text: null });
  });

  it('marks both the compact_boundary system line and the compact summary as compaction boundaries', async () => {
    // Act
    const { messages } = await parseFixture(SMALL);

    // Assess
    expect(messages.filter((m) => m.isCompactBoundary).map((m) => m.lineNumber)).toEqual([21, 22, 51]);
    expect(atLine(messages, 22)).toMatchObject({ role: 'user', text: 'Summary of prior context.' });
  });

  it('keeps inlined sidechain lines as rows flagged isSidechain, threaded by uuid', async () => {
    // Act
    const { messages } = await parseFixture(ORCHESTRATOR);

    // Assess
    expect(messages).toHaveLength(53);
    expect(messages.filter((m) => m.isSidechain)).toHaveLength(22);
    expect(atLine(messages, 16)).toMatchObject({
      isSidechain: true,
      uuid: '6340ddef-f656-4b72-a065-82390f637678',
      parentUuid: null,
    });
    expect(atLine(messages, 17)?.parentUuid).toBe('6340ddef-f656-4b72-a065-82390f637678');
    expect(atLine(messages, 15)?.isSidechain).toBe(false);
  });

  it('reads text, thinking and line provenance from an assistant line', async () => {
    // Act
    const { messages } = await parseFixture(SMALL);

    // Assess: line 29 has thinking, text and a tool_use block.
    expect(atLine(messages, 29)).toMatchObject({
      role: 'assistant',
      model: 'claude-opus-5',
      text: 'Listing the files.',
      thinking: '[trimmed for fixture]',
      responseId: 'msg_stage0_1',
      requestId: 'req_stage0_nested',
      uuid: 'a-nested-1',
      parentUuid: 'u1',
      timestamp: '2025-12-16T00:00:20.000Z',
    });
  });

  it('numbers rows in line order from 0 and records where each line starts', async () => {
    // Prepare
    const first = JSON.stringify(userLine('one'));

    // Act
    const { messages } = await parseRecords([userLine('one'), { type: 'summary' }, userLine('two')]);

    // Assess
    expect(messages.map((m) => [m.ordinal, m.lineNumber, m.byteOffset])).toEqual([
      [0, 1, 0],
      [1, 3, Buffer.byteLength(first) + 1 + Buffer.byteLength(JSON.stringify({ type: 'summary' })) + 1],
    ]);
  });

  it('reads wrongly typed fields as null instead of failing', async () => {
    // Prepare
    const records = [
      { type: 'user', message: 'not an object', uuid: 7, timestamp: 'yesterday', isSidechain: 'yes' },
      { type: 'assistant', message: { content: 5, usage: 'lots', id: 9, model: ['x'] }, requestId: {} },
      { type: 'system', subtype: 3, content: { nested: true } },
      { type: 'attachment', attachment: { type: 'queued_command', prompt: 12 } },
      assistantLine({ content: [null, 'text', { type: 'tool_use' }, { type: 'text', text: 3 }] }),
    ];

    // Act
    const { messages, toolCalls, result } = await parseRecords(records);

    // Assess
    expect(messages).toHaveLength(5);
    expect(messages[0]).toMatchObject({ uuid: null, timestamp: null, isSidechain: false, text: null });
    expect(messages[1]).toMatchObject({ text: null, responseId: null, model: null, tokens: null, rawUsage: 'lots' });
    expect(messages[2]).toMatchObject({ sourceSubtype: null, text: null });
    expect(messages[3]?.text).toBeNull();
    expect(toolCalls).toEqual([expect.objectContaining({ callId: null, name: '<missing>', input: null })]);
    expect(result.summary.startedAt).toBeNull();
  });
});
