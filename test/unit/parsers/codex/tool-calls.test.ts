import { describe, expect, it } from 'vitest';
import { codexParser } from '../../../../shared/parsers/codex/index.js';
import type { MessageRecord, ToolCallRecord } from '../../../../shared/model.js';
import {
  functionCall,
  functionOutput,
  parseRecords,
  record,
  ROLLOUT_CONTEXT,
  sessionMeta,
  userItem,
} from './support.js';

const SESSION = '0195f0a0-0000-7000-8000-000000000001';

describe('Codex tool calls', () => {
  it('pairs a function_call with its output by call_id on a row of its own', async () => {
    // Prepare
    const call = functionCall('call_a', 'exec_command', '{"cmd":"ls","workdir":"/tmp"}');
    const output = functionOutput('call_a', 'a.txt\nb.txt\n');
    const records = [sessionMeta(SESSION), userItem('list'), call, output];

    // Act
    const { messages, toolCalls } = await parseRecords(records);

    // Assess
    expect(messages[1]).toMatchObject({ role: 'assistant', sourceSubtype: 'function_call', text: null, lineNumber: 3 });
    expect(toolCalls).toEqual([
      {
        messageOrdinal: 1,
        callIndex: 0,
        callId: 'call_a',
        name: 'exec_command',
        input: { cmd: 'ls', workdir: '/tmp' },
        inputText: null,
        resultText: 'a.txt\nb.txt\n',
        isError: false,
        resultTimestamp: output['timestamp'],
        resultFile: null,
      },
    ]);
  });

  it('keeps arguments that are not JSON as text', async () => {
    // Prepare
    const patch = '*** Begin Patch\n*** Update File: a.ts\n*** End Patch';
    const records = [
      sessionMeta(SESSION),
      record('response_item', { type: 'custom_tool_call', name: 'apply_patch', input: patch, call_id: 'call_p', status: 'completed' }),
      record('response_item', { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Success. Updated a.ts' }),
    ];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls[0]).toMatchObject({ name: 'apply_patch', input: null, inputText: patch, resultText: 'Success. Updated a.ts' });
  });

  it.each([
    ['a JSON output with a non-zero exit code', '{"output":"boom","metadata":{"exit_code":2,"duration_seconds":0.1}}', true],
    ['a JSON output with exit code 0', '{"output":"fine","metadata":{"exit_code":0,"duration_seconds":0.1}}', false],
    ['unified exec text with a non-zero exit', 'Chunk ID: 1\nProcess exited with code 127\nOutput:\nnot found', true],
    ['unified exec text with exit 0', 'Chunk ID: 1\nProcess exited with code 0\nOutput:\nok', false],
    ['an output object saying success: false', { content: 'denied', success: false }, true],
    ['plain text', 'codex.go\n', false],
  ])('reads %s as isError %s', async (_name, output, isError) => {
    // Prepare
    const records = [sessionMeta(SESSION), functionCall('call_e', 'exec_command', '{}'), functionOutput('call_e', output)];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls[0]?.isError).toBe(isError);
  });

  it('emits a call when its output arrives and a call without output only at finish, still pending', () => {
    // Prepare
    const parser = codexParser.create(ROLLOUT_CONTEXT);
    const calls: ToolCallRecord[] = [];
    const rows: MessageRecord[] = [];
    const sink = { message: (row: MessageRecord) => rows.push(row), toolCall: (call: ToolCallRecord) => calls.push(call), revise: () => {} };
    const lines = [
      sessionMeta(SESSION),
      functionCall('call_done', 'exec_command', '{"cmd":"pwd"}'),
      functionCall('call_open', 'exec_command', '{"cmd":"sleep 100"}'),
      functionOutput('call_done', '/tmp'),
    ];

    // Act
    lines.forEach((value, index) => parser.line({ value, lineNumber: index + 1, byteOffset: index * 100 }, sink));
    const beforeFinish = calls.map((call) => call.callId);
    const result = parser.finish(sink);

    // Assess
    expect(beforeFinish).toEqual(['call_done']);
    expect(calls[1]).toMatchObject({ callId: 'call_open', resultText: null, isError: null, resultTimestamp: null });
    expect(result.summary.toolCallCount).toBe(2);
    expect(rows.map((row) => row.ordinal)).toEqual([0, 1]);
  });

  it('drops an output whose call is not waiting, counting the line', async () => {
    // Prepare
    const records = [sessionMeta(SESSION), functionOutput('call_ghost', 'orphan')];

    // Act
    const { toolCalls, result } = await parseRecords(records);

    // Assess
    expect(toolCalls).toEqual([]);
    expect(result.counts.ignoredLines).toBe(1);
  });

  it('stores local shell calls paired with their output, and web searches as they arrive', async () => {
    // Prepare
    const action = { type: 'exec', command: ['bash', '-lc', 'ls'], timeout_ms: 10000 };
    const records = [
      sessionMeta(SESSION),
      record('response_item', { type: 'local_shell_call', call_id: 'call_sh', status: 'completed', action }),
      functionOutput('call_sh', '{"output":"a\\n","metadata":{"exit_code":0}}'),
      record('response_item', { type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'vitest 4' } }),
    ];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls.map((call) => [call.name, call.callId, call.isError])).toEqual([
      ['local_shell', 'call_sh', false],
      ['web_search', null, false],
    ]);
    expect(toolCalls[0]?.input).toEqual(action);
    expect(toolCalls[1]?.input).toEqual({ type: 'search', query: 'vitest 4' });
  });

  it('sends a waiting call out as pending when a new call reuses its id', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      functionCall('call_dup', 'shell_command', undefined),
      functionCall('call_dup', 'apply_patch', undefined),
      functionOutput('call_dup', 'patched'),
    ];

    // Act
    const { toolCalls } = await parseRecords(records);

    // Assess
    expect(toolCalls.map((call) => [call.name, call.resultText])).toEqual([
      ['shell_command', null],
      ['apply_patch', 'patched'],
    ]);
  });
});
