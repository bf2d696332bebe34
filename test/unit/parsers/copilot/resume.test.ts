import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { copilotParser } from '../../../../shared/parsers/copilot/index.js';
import { parseSessionBytes, resumeParse, type CollectedSession } from '../../../../shared/parsers/parse-session.js';
import type { ParserContext } from '../../../../shared/model.js';
import { SAMPLE_OBJECTS, copilotHomeDir } from '../../../fixtures/copilot/expectations.js';
import { applyResumed, comparable, stored, tableOf } from '../../../support/resumed-parts.js';

/**
 * Delta ingest of Copilot CLI's append-only files: a parse of the first k lines, its saved state (through JSON, as
 * the database returns it), and a resumed parse of the rest must give exactly the rows, tool calls, summary and
 * counts of one parse of the whole file — at every line boundary of every sample, and of a made-up log that
 * puts each piece of state the parser keeps across a boundary.
 */

function contextOf(relative: string): ParserContext {
  const layout = classifyKey(`laptop/raw/copilot/${relative}`);
  if (layout.kind !== 'session') throw new Error(`${relative}: ${layout.kind}`);
  return layout.parserContext;
}

/** Byte offsets just after each newline: the ends of the prefixes an upload can have. */
function lineEnds(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  bytes.forEach((byte, index) => {
    if (byte === 0x0a) ends.push(index + 1);
  });
  return ends;
}

/** The prefix `bytes[0, at)` parsed whole, then the rest resumed from its state, applied as the writer does. */
async function splitParse(bytes: Uint8Array, at: number, context: ParserContext) {
  const prefix = await parseSessionBytes(bytes.subarray(0, at), copilotParser, context);
  const point = stored(prefix.outcome.resumePoint);
  if (point === null) throw new Error(`no resume point after byte ${at}`);
  const resume = resumeParse(copilotParser, context, point);
  if (resume === null) throw new Error(`the state after byte ${at} did not resume`);
  const suffix = await parseSessionBytes(bytes.subarray(point.byteOffset), copilotParser, context, { resume, chunkSize: 331 });
  const table = tableOf(prefix);
  applyResumed(table, point.nextOrdinal, suffix);
  return { prefix, suffix, point, table };
}

async function expectEverySplitLikeWhole(bytes: Uint8Array, context: ParserContext): Promise<{ splits: number; revisions: number }> {
  const whole = await parseSessionBytes(bytes, copilotParser, context);
  const expected = comparable(whole, tableOf(whole));
  let revisions = 0;
  const ends = lineEnds(bytes);
  for (const at of ends) {
    const { suffix, point, table } = await splitParse(bytes, at, context);
    expect(point.byteOffset, `split after byte ${at}`).toBe(at);
    expect(comparable(suffix, table), `split after byte ${at}`).toEqual(expected);
    revisions += suffix.revisions.length;
  }
  return { splits: ends.length, revisions };
}

const at = (second: number) => `2026-03-01T10:00:${String(second).padStart(2, '0')}.000Z`;
const event = (second: number, type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ type, data, id: `e-${second}`, timestamp: at(second), parentId: second === 1 ? null : `e-${second - 1}`, ...extra })}\n`;
const metrics = (model: string, input: number, output: number) => ({
  modelMetrics: { [model]: { requests: { count: 1 }, usage: { inputTokens: input, outputTokens: output, cacheReadTokens: 0, cacheWriteTokens: 0 } } },
});

/**
 * Every piece of state across some boundary: a call answered many lines later (c1) and its duplicate id, a call
 * without id, the model set by a model change and used after it, an unknown event, a usage record then the
 * shutdown that repeats it, a resumed process whose shutdown bills its increase, a snapshot whose counts went
 * down, a result whose call is not in the file, a subagent prompt, a compaction.
 */
const MADE_UP =
  event(1, 'session.start', { sessionId: 'made-up', copilotVersion: '1.0.102', startTime: at(1), selectedModel: 'gpt-5.4', context: { cwd: '/home/dev/made-up', branch: 'main' } }) +
  event(2, 'user.message', { content: 'Please list the repo and explain it' }) +
  event(3, 'assistant.message', {
    messageId: 'm1',
    content: 'Listing.',
    toolRequests: [
      { toolCallId: 'c1', name: 'bash', arguments: { command: 'ls -la unique-argument-text' } },
      { name: 'think', arguments: { thought: 'no id' } },
      { toolCallId: 'c1', name: 'bash', arguments: { command: 'second call with the same id' } },
    ],
  }) +
  event(4, 'session.model_change', { previousModel: 'gpt-5.4', newModel: 'claude-sonnet-4.5' }) +
  event(5, 'assistant.message', { messageId: 'm2', content: 'Reading too.', toolRequests: [{ toolCallId: 'c2', name: 'view', arguments: { path: 'README.md' } }] }) +
  event(6, 'tool.execution_complete', { toolCallId: 'c2', success: true, result: { content: 'readme text' } }) +
  event(7, 'session.made_up_event', { anything: 1 }) +
  event(8, 'session.usage_record', {
    usage: { model: 'claude-sonnet-4.5', accounting: { sourceSessionId: 'made-up', usageId: 'u1' }, inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, apiCallId: 'call-1' },
  }) +
  event(9, 'session.shutdown', metrics('claude-sonnet-4.5', 100, 10)) +
  event(10, 'session.resume', { resumeTime: at(10), selectedModel: 'claude-sonnet-4.5', context: { cwd: '/elsewhere', branch: 'other' } }) +
  event(11, 'session.compaction_complete', { success: true }) +
  event(12, 'user.message', { content: 'subagent prompt' }, { agentId: 'sub-1' }) +
  event(13, 'tool.execution_complete', { toolCallId: 'c1', success: false, error: { message: 'late failure text' } }) +
  event(14, 'tool.execution_complete', { toolCallId: 'c9', success: true, result: { content: 'result of a call not in the file' } }) +
  event(15, 'session.shutdown', metrics('claude-sonnet-4.5', 250, 30)) +
  event(16, 'session.resume', { resumeTime: at(16) }) +
  event(17, 'session.shutdown', metrics('claude-sonnet-4.5', 40, 5)) +
  event(18, 'user.message', { content: 'a second prompt, not the title' });

describe('resuming a Copilot CLI parse at a line boundary', () => {
  it.each(SAMPLE_OBJECTS.map((object) => object.path))('%s: every split gives the rows, summary and counts of one parse', async (relative) => {
    // Prepare
    const bytes = new Uint8Array(await readFile(path.join(copilotHomeDir, relative)));

    // Act / Assess
    const { splits } = await expectEverySplitLikeWhole(bytes, contextOf(relative));
    expect(splits).toBeGreaterThan(3);
  });

  it('a made-up log that carries every piece of state across a boundary', async () => {
    // Prepare
    const bytes = new TextEncoder().encode(MADE_UP);
    const context = contextOf('session-state/made-up/events.jsonl');
    const whole = await parseSessionBytes(bytes, copilotParser, context);

    // Act
    const { splits, revisions } = await expectEverySplitLikeWhole(bytes, context);

    // Assess: the log exercises what it claims (read off the lines above).
    expect(splits).toBe(18);
    expect(whole.toolCalls.map((call) => [call.messageOrdinal, call.callIndex, call.name, call.resultText, call.isError]).sort()).toEqual([
      [1, 0, 'bash', 'late failure text', true],
      [1, 1, 'think', null, null],
      [1, 2, 'bash', null, null],
      [2, 0, 'view', 'readme text', false],
    ]);
    expect(whole.messages.filter((m) => m.tokens !== null).map((m) => [m.sourceType, m.requestId, m.tokens?.input, m.tokens?.output])).toEqual([
      ['session.usage_record', 'made-up', 100, 10],
      // 250 − 100 and 30 − 10 since the previous shutdown; the process started at the resume
      ['session.shutdown', at(10), 150, 20],
      // counts went down: the whole snapshot
      ['session.shutdown', at(16), 40, 5],
    ]);
    expect(whole.messages.find((m) => m.ordinal === 2)?.model).toBe('claude-sonnet-4.5');
    expect(whole.outcome.result?.counts).toEqual({ ignoredLines: 6, duplicateResponses: 1, unknownTypes: { 'session.made_up_event': 1 } });
    expect(whole.outcome.result?.summary).toMatchObject({
      sourceSessionId: 'made-up',
      cwd: '/home/dev/made-up',
      title: 'Please list the repo and explain it',
      userMessageCount: 2,
      toolCallCount: 4,
      messageCount: 11,
    });
    // c1's result arrives at line 13: every split between lines 3 and 13 leaves it pending, then revises it
    expect(revisions).toBe(13 - 3 + (6 - 5));
  });

  it('keeps no message text, tool argument or result in the state, only the title', async () => {
    // Prepare
    const context = contextOf('session-state/made-up/events.jsonl');

    // Act: the state after line 12, while c1 waits for its result
    const cut = MADE_UP.split('\n').slice(0, 12).join('\n') + '\n';
    const prefix: CollectedSession = await parseSessionBytes(cut, copilotParser, context);
    const state = JSON.stringify(prefix.outcome.resumePoint?.parser);

    // Assess
    expect(state).toContain('Please list the repo and explain it');
    for (const text of ['unique-argument-text', 'Listing.', 'readme text', 'subagent prompt', 'no id']) expect(state).not.toContain(text);
    expect(prefix.toolCalls.find((call) => call.callId === 'c1' && call.callIndex === 0)).toMatchObject({ resultText: null, isError: null });
  });

  it('refuses a state of another shape, so the object is read in full', async () => {
    // Prepare
    const prefix = await parseSessionBytes(MADE_UP.split('\n').slice(0, 3).join('\n') + '\n', copilotParser, contextOf('session-state/x/events.jsonl'));
    const point = stored(prefix.outcome.resumePoint);
    if (point === null) throw new Error('no resume point');
    const context = contextOf('session-state/x/events.jsonl');

    // Act / Assess
    expect(resumeParse(copilotParser, context, point)).not.toBeNull();
    expect(resumeParse(copilotParser, context, { ...point, parser: { nextOrdinal: 1 } })).toBeNull();
    expect(resumeParse(copilotParser, context, { ...point, parser: { ...(point.parser as object), facts: null } })).toBeNull();
  });
});
