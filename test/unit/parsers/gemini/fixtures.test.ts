import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../../../shared/layout/s3-key.js';
import { parseSessionBytes } from '../../../../shared/parsers/parse-session.js';
import { selectParser } from '../../../../shared/parsers/registry.js';
import { geminiFixtures, geminiTmpDir } from '../../../fixtures/gemini/expectations.js';

describe.each(geminiFixtures)('Gemini CLI fixture $path', (expected) => {
  it('lands the rows, tokens and session facts counted by hand', async () => {
    const layout = classifyKey(`laptop/raw/gemini/${expected.path}`);
    if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`not a session key: ${expected.path}`);
    expect(layout.kind).toBe(expected.kind);
    const parsed = await parseSessionBytes(await readFile(path.join(geminiTmpDir, expected.path)), selectParser('gemini'), layout.parserContext);
    const summary = parsed.outcome.result?.summary;

    expect(parsed.outcome.parser?.agent).toBe('gemini');
    expect(parsed.messages).toHaveLength(expected.messages);
    expect(parsed.toolCalls).toHaveLength(expected.toolCalls);
    expect(parsed.toolCalls.filter((call) => call.resultText === null)).toHaveLength(expected.pendingToolCalls);
    expect(parsed.messages.filter((message) => message.tokens !== null)).toHaveLength(expected.billedResponses);
    expect(parsed.outcome.lines.malformed).toBe(expected.malformedLines);
    expect(parsed.outcome.result?.counts.unknownTypes).toEqual(expected.unknownTypes);
    expect(summary).toMatchObject({
      sourceSessionId: expected.sourceSessionId,
      parentSourceSessionId: expected.parentSourceSessionId,
      cwd: expected.cwd,
      title: expected.title,
      model: expected.model,
      startedAt: expected.startedAt,
      endedAt: expected.endedAt,
      messageCount: expected.messages,
      userMessageCount: expected.userMessages,
      toolCallCount: expected.toolCalls,
      tokens: { ...expected.tokens, cacheCreationInput: null },
    });
    // Ordinals are 0 … n−1 and each message id is one row.
    expect(parsed.messages.map((message) => message.ordinal)).toEqual([...Array(expected.messages).keys()]);
    expect(new Set(parsed.messages.map((message) => message.uuid)).size).toBe(expected.messages);
    expect(parsed.outcome.resumePoint).toBeNull();
  });
});
