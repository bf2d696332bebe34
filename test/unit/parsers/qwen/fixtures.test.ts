import { describe, expect, it } from 'vitest';
import { qwenFixtureExpectations } from '../../../fixtures/qwen/expectations.js';
import { billedRows, isPending, parseFixture } from './support.js';

describe('Qwen Code samples (expectations counted from the raw files)', () => {
  describe.each(qwenFixtureExpectations.map((expected) => [expected.path, expected] as const))('%s', (_path, expected) => {
    it('summarises the session as the log describes it', async () => {
      const { result } = await parseFixture(expected.path);

      expect(result.summary).toMatchObject({
        sourceSessionId: expected.sourceSessionId,
        parentSourceSessionId: expected.parentSourceSessionId,
        project: expected.project,
        originator: expected.originator,
        title: expected.title,
        model: expected.model,
        startedAt: expected.startedAt,
        endedAt: expected.endedAt,
        messageCount: expected.messages,
        userMessageCount: expected.userMessages,
        toolCallCount: expected.toolCalls,
      });
      expect(result.counts).toEqual({ unknownTypes: {}, ignoredLines: expected.ignoredLines, duplicateResponses: expected.duplicateResponses });
    });

    it('stores every row once, in line order, and pairs the calls with their results', async () => {
      const { messages, toolCalls } = await parseFixture(expected.path);

      expect(messages.map((message) => message.ordinal)).toEqual(messages.map((_, index) => index));
      expect(messages.filter((message) => message.role === 'user')).toHaveLength(expected.userMessages);
      expect(toolCalls).toHaveLength(expected.toolCalls);
      expect(toolCalls.filter(isPending)).toHaveLength(expected.pendingToolCalls);
      expect(toolCalls.filter((call) => call.isError === true)).toHaveLength(expected.erroredToolCalls);
    });

    it('bills each response once and sums to the expected tokens', async () => {
      const { messages, result } = await parseFixture(expected.path);

      expect(billedRows(messages)).toHaveLength(expected.billedResponses);
      expect(result.summary.tokens).toEqual({ ...expected.tokens, cacheCreationInput: null });
    });
  });
});
