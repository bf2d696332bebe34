import { describe, expect, it } from 'vitest';
import { codexFixtureExpectations } from '../../../fixtures/codex/expectations.js';
import { billedRows, isPending, parseFixture } from './support.js';

describe('Codex fixtures (expectations counted from the raw files)', () => {
  describe.each(codexFixtureExpectations.map((expected) => [expected.path, expected] as const))('%s', (_path, expected) => {
    it('summarises the session as the log describes it', async () => {
      // Prepare / Act
      const { result } = await parseFixture(expected.path);

      // Assess
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
    });

    it('stores every message once, with dense ordinals in line order', async () => {
      // Prepare / Act
      const { messages } = await parseFixture(expected.path);

      // Assess
      expect(messages).toHaveLength(expected.messages);
      expect(messages.map((message) => message.ordinal)).toEqual(messages.map((_, index) => index));
      const lines = messages.map((message) => message.lineNumber);
      expect(lines).toEqual([...lines].sort((a, b) => a - b));
      expect(messages.filter((message) => message.role === 'user')).toHaveLength(expected.userMessages);
    });

    it('pairs tool calls with their outputs and leaves the unanswered ones pending', async () => {
      // Prepare / Act
      const { messages, toolCalls } = await parseFixture(expected.path);

      // Assess
      expect(toolCalls).toHaveLength(expected.toolCalls);
      expect(toolCalls.filter(isPending)).toHaveLength(expected.pendingToolCalls);
      const ordinals = new Set(messages.map((message) => message.ordinal));
      expect(toolCalls.every((call) => ordinals.has(call.messageOrdinal))).toBe(true);
    });

    it('bills each response once and sums to the expected tokens', async () => {
      // Prepare / Act
      const { messages, result } = await parseFixture(expected.path);

      // Assess
      expect(billedRows(messages)).toHaveLength(expected.billedResponses);
      const { input, output, cacheReadInput, reasoningOutput } = result.summary.tokens;
      expect({ input, output, cacheReadInput, reasoningOutput }).toEqual(expected.tokens);
    });

    it('counts what it did not store', async () => {
      // Prepare / Act
      const { result } = await parseFixture(expected.path);

      // Assess
      expect(result.counts).toEqual({
        unknownTypes: expected.unknownTypes,
        ignoredLines: expected.ignoredLines,
        duplicateResponses: expected.duplicateResponses,
      });
    });
  });
});
