import { describe, expect, it } from 'vitest';
import { assistantLine, parseFixture, parseRecords, userLine } from './support.js';

describe('claude parser: tool calls', () => {
  it('pairs each result with its call by tool_use_id, error flag included', async () => {
    // Prepare: in the init session toolu_01LM7… (Write, line 25) is answered on line 26 with is_error true,
    // toolu_012Gb… (Bash, line 16) on line 21 with is_error false, and toolu_01MEJ… (line 7) on line 11
    // without is_error.

    // Act
    const { toolCalls } = await parseFixture('-path-to-Demo/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl');

    // Assess
    const byId = new Map(toolCalls.map((call) => [call.callId, call]));
    expect(byId.get('toolu_01LM7vfs6eMdhHJokVajzJA1')).toMatchObject({
      name: 'Write',
      messageOrdinal: 24,
      callIndex: 0,
      isError: true,
      resultTimestamp: '2025-09-03T00:47:46.089Z',
    });
    expect(byId.get('toolu_01LM7vfs6eMdhHJokVajzJA1')?.resultText).toContain('Claude requested permissions to write');
    expect(byId.get('toolu_012Gbtu9wRFgVWjdDUHE3djw')).toMatchObject({ name: 'Bash', isError: false });
    expect(byId.get('toolu_01MEJ7TRMeoTyDi6EZLHM2zY')).toMatchObject({ resultText: 'No files found', isError: false });
    expect(toolCalls.every((call) => call.isError !== null)).toBe(true);
  });

  it('emits a call never answered as pending at the end', async () => {
    // Act
    const { toolCalls, result } = await parseFixture('-Users-alice-code-my-app/041ea817-0561-457c-ad69-4b7d9c24f256.jsonl');

    // Assess
    expect(toolCalls).toEqual([
      {
        messageOrdinal: 1,
        callIndex: 0,
        callId: 'toolu_orphan',
        name: 'Read',
        input: { file_path: 'src/auth.ts' },
        inputText: null,
        resultText: null,
        isError: null,
        resultTimestamp: null,
        resultFile: null,
      },
    ]);
    expect(result.summary.toolCallCount).toBe(1);
  });

  it('numbers calls by their position among the tool_use blocks of their line', async () => {
    // Prepare
    const records = [
      assistantLine({
        id: 'msg_1',
        content: [
          { type: 'text', text: 'two reads' },
          { type: 'tool_use', id: 'toolu_a', name: 'Read', input: { file_path: 'a' } },
          { type: 'tool_use', id: 'toolu_b', name: 'Read', input: { file_path: 'b' } },
        ],
      }),
    ];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls.map((call) => [call.callId, call.callIndex])).toEqual([
      ['toolu_a', 0],
      ['toolu_b', 1],
    ]);
  });

  it('reads the text blocks of an array result and ignores a result that matches no call', async () => {
    // Prepare
    const records = [
      assistantLine({ id: 'msg_1', content: [{ type: 'tool_use', id: 'toolu_a', name: 'Bash', input: {} }] }),
      userLine(
        [
          { type: 'tool_result', tool_use_id: 'toolu_missing', content: 'nobody asked' },
          {
            type: 'tool_result',
            tool_use_id: 'toolu_a',
            content: [
              { type: 'text', text: 'line one' },
              { type: 'image', source: { type: 'base64', data: '' } },
              { type: 'text', text: 'line two' },
            ],
          },
        ],
        { timestamp: '2025-01-01T00:00:01Z' },
      ),
    ];

    // Act
    const { toolCalls, messages } = await parseRecords(records);

    // Assess
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({
      callId: 'toolu_a',
      resultText: 'line one\nline two',
      isError: false,
      resultTimestamp: '2025-01-01T00:00:01.000Z',
    });
    expect(messages[1]).toMatchObject({ role: 'user', text: null });
  });

  it('keeps a call without id as a pending call', async () => {
    // Act: the subagent file's bash tool_use has no id, and its tool_result no tool_use_id.
    const { toolCalls } = await parseFixture(
      '-tmp/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f/subagents/agent-a0ad4f44468bdf20d.jsonl',
    );

    // Assess
    expect(toolCalls).toEqual([
      expect.objectContaining({ callId: null, name: 'bash', input: { command: 'grep -rn TODO' }, resultText: null }),
    ]);
  });

  it('notes where Claude Code saved a result too large for the log, from the preview or toolUseResult', async () => {
    // Prepare
    const path = '/home/me/.claude/projects/-p/s1/tool-results/toolu_a.txt';
    const preview = `<persisted-output>\nOutput too large (34.3KB). Full output saved to: ${path}\n\nPreview (first 2KB):\nx\n</persisted-output>`;
    const records = [
      assistantLine({ id: 'msg_1', content: [{ type: 'tool_use', id: 'toolu_a', name: 'Bash', input: {} }, { type: 'tool_use', id: 'toolu_b', name: 'Bash', input: {} }] }),
      userLine([{ type: 'tool_result', tool_use_id: 'toolu_a', content: preview }]),
      { ...userLine([{ type: 'tool_result', tool_use_id: 'toolu_b', content: 'short' }]), toolUseResult: { persistedOutputPath: '/x/s1/tool-results/toolu_b.txt' } },
    ];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls.map((call) => [call.callId, call.resultText, call.resultFile])).toEqual([
      ['toolu_a', preview, path],
      ['toolu_b', 'short', '/x/s1/tool-results/toolu_b.txt'],
    ]);
  });
});
