import { describe, expect, it } from 'vitest';
import { claudeFixtureExpectations } from '../../../fixtures/claude/expectations.js';
import { parseFixture } from './support.js';

describe('claude parser: every fixture matches the counts read from its file', () => {
  it.each(claudeFixtureExpectations.map((expected) => [expected.path, expected] as const))('%s', async (path, expected) => {
    // Act
    const { messages, toolCalls, result } = await parseFixture(path);

    // Assess
    const { summary, counts } = result;
    expect({
      sourceSessionId: summary.sourceSessionId,
      messages: messages.length,
      messageCount: summary.messageCount,
      userMessages: summary.userMessageCount,
      toolCalls: toolCalls.length,
      toolCallCount: summary.toolCallCount,
      pendingToolCalls: toolCalls.filter((call) => call.isError === null).length,
      tokens: {
        input: summary.tokens.input,
        output: summary.tokens.output,
        cacheCreationInput: summary.tokens.cacheCreationInput,
        cacheReadInput: summary.tokens.cacheReadInput,
      },
      unknownLines: Object.values(counts.unknownTypes).reduce((sum, n) => sum + n, 0),
      ignoredLines: counts.ignoredLines,
    }).toEqual({
      sourceSessionId: expected.sourceSessionId,
      messages: expected.messages,
      messageCount: expected.messages,
      userMessages: expected.userMessages,
      toolCalls: expected.toolCalls,
      toolCallCount: expected.toolCalls,
      pendingToolCalls: expected.pendingToolCalls,
      tokens: expected.tokens,
      unknownLines: expected.unknownLines,
      ignoredLines: expected.ignoredLines,
    });
  });

  it('emits each row once with ordinals 0..n-1', async () => {
    for (const expected of claudeFixtureExpectations) {
      // Act
      const { messages } = await parseFixture(expected.path);

      // Assess
      expect(messages.map((m) => m.ordinal), expected.path).toEqual(messages.map((_, index) => index));
    }
  });

  it('puts on the rows exactly the tokens the summary adds up', async () => {
    for (const expected of claudeFixtureExpectations) {
      // Act
      const { messages, result } = await parseFixture(expected.path);

      // Assess
      const rowOutput = messages.reduce<number | null>(
        (sum, m) => (m.tokens?.output == null ? sum : (sum ?? 0) + m.tokens.output),
        null,
      );
      expect(rowOutput, expected.path).toBe(result.summary.tokens.output);
    }
  });
});
