import { describe, expect, it } from 'vitest';
import { joinPieces } from '../../../shared/parsers/joined-text.js';
import { parseRecords as parseClaude } from './claude/support.js';
import { functionCall, functionOutput, parseRecords as parseCodex, record, sessionMeta, turnContext } from './codex/support.js';

/** Each row whose text a parser joins from pieces says where it put the separators (read by the redaction). */
describe('joints of text joined from pieces', () => {
  it('joinPieces: the index of each separator put between two pieces', () => {
    expect(joinPieces(['ab', '', 'cde'])).toEqual({ text: 'ab\n\ncde', joints: [2, 3] });
    expect(joinPieces(['one'])).toEqual({ text: 'one', joints: [] });
  });

  it('Claude: text and thinking blocks, tool-result blocks and a queued command; none for a plain string', async () => {
    const base = { sessionId: 's', timestamp: '2026-03-01T10:00:00Z' };
    const parsed = await parseClaude([
      { ...base, type: 'user', uuid: 'u1', message: { role: 'user', content: 'one piece\nwith a newline' } },
      {
        ...base, type: 'assistant', uuid: 'a1',
        message: {
          id: 'm1', model: 'claude-x', role: 'assistant',
          content: [{ type: 'thinking', thinking: 'th1' }, { type: 'text', text: 'ab' }, { type: 'thinking', thinking: 'th2\nx' }, { type: 'text', text: 'cd' }, { type: 'tool_use', id: 't1', name: 'Bash', input: {} }],
        },
      },
      { ...base, type: 'user', uuid: 'u2', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'r1' }, { type: 'text', text: 'r22' }] }] } },
      { ...base, type: 'attachment', uuid: 'q1', attachment: { type: 'queued_command', prompt: [{ type: 'text', text: 'q' }, { type: 'text', text: 'rest' }] } },
    ]);
    const byUuid = new Map(parsed.messages.map((m) => [m.uuid, m]));
    expect(byUuid.get('u1')?.textJoints).toBeUndefined();
    expect(byUuid.get('a1')).toMatchObject({ text: 'ab\ncd', textJoints: [2], thinking: 'th1\nth2\nx', thinkingJoints: [3] });
    expect(parsed.toolCalls[0]).toMatchObject({ resultText: 'r1\nr22', resultJoints: [2] });
    expect(byUuid.get('q1')).toMatchObject({ text: 'q\nrest', textJoints: [1] });
  });

  it('Codex: message content items, reasoning summaries and a call output of items', async () => {
    const parsed = await parseCodex([
      sessionMeta('0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee'),
      turnContext('turn-1'),
      record('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ab' }, { type: 'output_text', text: 'c' }] }),
      record('response_item', { type: 'reasoning', summary: [{ type: 'summary_text', text: 's1' }, { type: 'summary_text', text: 's2' }] }),
      functionCall('call_1', 'shell', { command: ['ls'] }),
      functionOutput('call_1', [{ type: 'input_text', text: 'o1' }, { type: 'input_text', text: 'o2' }]),
    ]);
    expect(parsed.messages.find((m) => m.text === 'ab\nc')?.textJoints).toEqual([2]);
    expect(parsed.messages.find((m) => m.thinking === 's1\ns2')?.thinkingJoints).toEqual([2]);
    expect(parsed.toolCalls[0]).toMatchObject({ resultText: 'o1\no2', resultJoints: [2] });
  });
});
