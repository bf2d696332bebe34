import { describe, expect, it } from 'vitest';
import { claudeParser } from '../../../../shared/parsers/claude/index.js';
import { parseSessionBytes } from '../../../../shared/parsers/parse-session.js';
import { assistantLine, parseRecords, SESSION_CONTEXT, userLine } from './support.js';

/** The billed tokens of a one-response session whose usage object is `usage`, and what was counted. */
async function billed(usage: Record<string, unknown>) {
  const { messages } = await parseRecords([userLine('go'), assistantLine({ id: 'msg_1', requestId: 'req_1', usage })]);
  return messages[1]?.tokens ?? null;
}

async function parsedWithCounts(usage: Record<string, unknown>) {
  const lines = [userLine('go'), assistantLine({ id: 'msg_1', requestId: 'req_1', usage })];
  const session = await parseSessionBytes(lines.map((line) => JSON.stringify(line)).join('\n') + '\n', claudeParser, SESSION_CONTEXT);
  return { tokens: session.messages[1]?.tokens ?? null, values: session.outcome.rejectedValues };
}

describe('claude parser: 5-minute and 1-hour cache writes', () => {
  it('takes the cache writes from the split when the total is absent', async () => {
    // 10 000 one-hour tokens and no cache_creation_input_tokens: all 10 000 are cache writes, all 1-hour.
    expect(await billed({ input_tokens: 5, output_tokens: 7, cache_creation: { ephemeral_1h_input_tokens: 10_000 } })).toMatchObject({
      cacheCreationInput: 10_000,
      cacheCreation1hInput: 10_000,
    });
    expect(
      await billed({ input_tokens: 5, output_tokens: 7, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 0 } }),
    ).toMatchObject({ cacheCreationInput: 300, cacheCreation1hInput: 0 });
    expect(
      await billed({ input_tokens: 5, output_tokens: 7, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 200 } }),
    ).toMatchObject({ cacheCreationInput: 500, cacheCreation1hInput: 200 });
  });

  it('keeps total and split when they agree, and counts nothing', async () => {
    const { tokens, values } = await parsedWithCounts({
      input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 500,
      cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 200 },
    });
    expect(tokens).toMatchObject({ cacheCreationInput: 500, cacheCreation1hInput: 200 });
    expect(values.disagreements).toBe(0);
    expect(values.total).toBe(0);
  });

  it('bills the larger of total and split when they disagree, and counts the disagreement', async () => {
    // The split says 300 + 900 = 1200 but the total says 400: 1200 are billed, 900 of them 1-hour.
    const larger = await parsedWithCounts({
      input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 400,
      cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 900 },
    });
    expect(larger.tokens).toMatchObject({ cacheCreationInput: 1200, cacheCreation1hInput: 900 });
    expect(larger.values.disagreements).toBe(1);
    expect(larger.values.disagreementSamples).toEqual([{ lineNumber: 2, kind: 'split', field: 'cache_creation_input_tokens' }]);
    // The total says 1000 but the split only 100 + 200: 1000 are billed, 200 of them 1-hour (the rest 5-minute).
    const total = await parsedWithCounts({
      input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    });
    expect(total.tokens).toMatchObject({ cacheCreationInput: 1000, cacheCreation1hInput: 200 });
    expect(total.values.disagreements).toBe(1);
  });

  it('counts a split value no column can hold as rejected and bills the rest', async () => {
    const { tokens, values } = await parsedWithCounts({
      input_tokens: 5, output_tokens: 7, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: -4 },
    });
    expect(tokens).toMatchObject({ cacheCreationInput: 300, cacheCreation1hInput: 0 });
    expect(values.samples).toEqual([{ lineNumber: 2, kind: 'count', field: 'ephemeral_1h_input_tokens' }]);
  });

  it('leaves the split out when the log gives none', async () => {
    const tokens = await billed({ input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 40 });
    expect(tokens).toEqual({ input: 5, output: 7, cacheCreationInput: 40, cacheReadInput: null, reasoningOutput: null });
  });
});

describe('claude parser: compaction iterations', () => {
  it('sums the compaction iterations apart from the top-level tokens, which leave them out', async () => {
    // Anthropic's example (README "Compaction iterations"): a compaction step of 180 000 in / 3 500 out, then
    // the message of 23 000 in / 1 000 out, which is all the top level reports.
    const tokens = await billed({
      input_tokens: 23_000, output_tokens: 1_000,
      iterations: [
        { type: 'compaction', input_tokens: 180_000, output_tokens: 3_500 },
        { type: 'message', input_tokens: 23_000, output_tokens: 1_000 },
      ],
    });
    expect(tokens).toEqual({
      input: 23_000, output: 1_000, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: null,
      compaction: { input: 180_000, output: 3_500, cacheCreationInput: 0, cacheCreation1hInput: 0, cacheReadInput: 0 },
    });
  });

  it('adds up several compaction iterations with their cache reads and split cache writes', async () => {
    const tokens = await billed({
      input_tokens: 10, output_tokens: 20,
      iterations: [
        { type: 'compaction', input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 1_000, cache_creation_input_tokens: 50,
          cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 30 } },
        { type: 'message', input_tokens: 5, output_tokens: 10 },
        { type: 'compaction', input_tokens: 200, output_tokens: 20, cache_creation: { ephemeral_1h_input_tokens: 70 } },
        { type: 'message', input_tokens: 5, output_tokens: 10 },
      ],
    });
    expect(tokens?.compaction).toEqual({ input: 300, output: 30, cacheCreationInput: 120, cacheCreation1hInput: 100, cacheReadInput: 1_000 });
  });

  it('has no compaction when the iterations hold none (every response with the beta carries iterations)', async () => {
    const tokens = await billed({ input_tokens: 10, output_tokens: 20, iterations: [{ type: 'message', input_tokens: 10, output_tokens: 20 }] });
    expect(tokens).not.toHaveProperty('compaction');
  });

  it('counts iterations that are not a list, entries that are not objects and bad counts inside them', async () => {
    const notAList = await parsedWithCounts({ input_tokens: 1, output_tokens: 1, iterations: { type: 'compaction' } });
    expect(notAList.values.samples).toEqual([{ lineNumber: 2, kind: 'object', field: 'iterations' }]);
    const bad = await parsedWithCounts({
      input_tokens: 1, output_tokens: 1,
      iterations: [7, { type: 'compaction', input_tokens: 1.5, output_tokens: 40 }],
    });
    expect(bad.tokens?.compaction).toEqual({ input: 0, output: 40, cacheCreationInput: 0, cacheCreation1hInput: 0, cacheReadInput: 0 });
    expect(bad.values.samples).toEqual([
      { lineNumber: 2, kind: 'object', field: 'iterations[]' },
      { lineNumber: 2, kind: 'count', field: 'iterations[].input_tokens' },
    ]);
  });
});
