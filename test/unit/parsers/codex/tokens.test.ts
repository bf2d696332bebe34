import { describe, expect, it } from 'vitest';
import {
  billedRows,
  parseRecords,
  record,
  sessionMeta,
  taskStarted,
  tokenCount,
  tokenCountWithoutInfo,
  turnContext,
} from './support.js';

const SESSION = '0195f0a0-0000-7000-8000-000000000001';
const TURN = '0195f0a0-1000-7000-8000-000000000002';

describe('Codex token accounting', () => {
  it('bills each token_count from last_token_usage, with input net of the cached part as Claude counts it', async () => {
    // Prepare
    const first = { input: 1000, cached: 800, output: 50, reasoning: 20 };
    const second = { input: 1200, cached: 1000, output: 70, reasoning: 30 };
    const records = [
      sessionMeta(SESSION),
      turnContext(TURN),
      tokenCount(first, first),
      tokenCount({ input: 2200, cached: 1800, output: 120, reasoning: 50 }, second),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(billedRows(messages).map((row) => row.tokens)).toEqual([
      { input: 1000 - 800, output: 50, cacheCreationInput: null, cacheReadInput: 800, reasoningOutput: 20 },
      { input: 1200 - 1000, output: 70, cacheCreationInput: null, cacheReadInput: 1000, reasoningOutput: 30 },
    ]);
    expect(result.summary.tokens).toEqual({
      input: 200 + 200,
      output: 120,
      cacheCreationInput: null,
      cacheReadInput: 1800,
      reasoningOutput: 50,
    });
  });

  it('derives the usage from consecutive totals when last_token_usage is absent, netting cached per response', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      turnContext(TURN),
      tokenCount({ input: 100, cached: 20, output: 10, reasoning: 5 }, null),
      tokenCount({ input: 250, cached: 60, output: 30, reasoning: 12 }, null),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(billedRows(messages).map((row) => row.tokens)).toEqual([
      { input: 100 - 20, output: 10, cacheCreationInput: null, cacheReadInput: 20, reasoningOutput: 5 },
      { input: 150 - 40, output: 20, cacheCreationInput: null, cacheReadInput: 40, reasoningOutput: 7 },
    ]);
  });

  it('never bills a negative difference when the totals go down', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      tokenCount({ input: 500, cached: 100, output: 50, reasoning: 10 }, null),
      tokenCount({ input: 300, cached: 150, output: 60, reasoning: 5 }, null),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)[1]?.tokens).toEqual({
      input: 0,
      output: 10,
      cacheCreationInput: null,
      cacheReadInput: 50,
      reasoningOutput: 0,
    });
  });

  it('never stores a negative input when a response reports more cached than input', async () => {
    // Prepare
    const usage = { input: 300, cached: 450, output: 12, reasoning: 4 };
    const records = [sessionMeta(SESSION), tokenCount(usage, usage)];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)[0]?.tokens).toEqual({
      input: 0,
      output: 12,
      cacheCreationInput: null,
      cacheReadInput: 450,
      reasoningOutput: 4,
    });
  });

  it('keeps input as written when the usage has no cached part, and null when it has no input', async () => {
    // Prepare
    const noCached = record('event_msg', {
      type: 'token_count',
      info: { last_token_usage: { input_tokens: 700, output_tokens: 30 } },
    });
    const noInput = record('event_msg', {
      type: 'token_count',
      info: { last_token_usage: { cached_input_tokens: 500, output_tokens: 8 } },
    });
    const records = [sessionMeta(SESSION), noCached, noInput];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(billedRows(messages).map((row) => row.tokens)).toEqual([
      { input: 700, output: 30, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: null },
      { input: null, output: 8, cacheCreationInput: null, cacheReadInput: 500, reasoningOutput: null },
    ]);
  });

  it('counts a token_count that repeats the previous totals once', async () => {
    // Prepare
    const usage = { input: 17561, cached: 3456, output: 229, reasoning: 64 };
    const records = [
      sessionMeta(SESSION),
      turnContext(TURN),
      tokenCount(usage, usage),
      turnContext(TURN),
      tokenCount(usage, usage),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)).toHaveLength(1);
    expect(result.summary.tokens.input).toBe(17561 - 3456);
    expect(result.counts.duplicateResponses).toBe(1);
  });

  it('counts nothing for info: null or zero usage', async () => {
    // Prepare
    const zero = { input: 0, cached: 0, output: 0, reasoning: 0 };
    const records = [sessionMeta(SESSION), tokenCountWithoutInfo(), tokenCount(zero, zero)];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)).toEqual([]);
    expect(result.summary.tokens.input).toBeNull();
    expect(result.counts.ignoredLines).toBe(2);
  });

  it('puts billed tokens on a dedicated row stamped with the turn id and the turn model', async () => {
    // Prepare
    const usage = { input: 10, cached: 0, output: 5, reasoning: 0 };
    const records = [
      sessionMeta(SESSION),
      taskStarted(TURN),
      turnContext(TURN, 'gpt-5.2-codex'),
      tokenCount(usage, usage),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      role: 'assistant',
      sourceType: 'event_msg',
      sourceSubtype: 'token_count',
      text: null,
      requestId: TURN,
      model: 'gpt-5.2-codex',
      lineNumber: 4,
    });
    expect(messages[0]?.rawUsage).toMatchObject({ last_token_usage: { input_tokens: 10 } });
  });

  it('takes the model the token_count names over the turn model, as ccusage does', async () => {
    // Prepare
    const usage = { input: 10, cached: 0, output: 5, reasoning: 0 };
    const named = tokenCount(usage, usage);
    (named['payload'] as { info: Record<string, unknown> }).info['model'] = 'gpt-5.3-codex';
    const records = [sessionMeta(SESSION), turnContext(TURN, 'gpt-5.2-codex'), named];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)[0]?.model).toBe('gpt-5.3-codex');
  });

  it('bills legacy turn.completed usage only in files without modern token_count usage', async () => {
    // Prepare
    const legacy = record('event_msg', {
      type: 'turn.completed',
      usage: { input_tokens: 900, cached_input_tokens: 100, output_tokens: 40 },
    });
    const usage = { input: 10, cached: 0, output: 5, reasoning: 0 };
    const legacyOnly = [sessionMeta(SESSION), legacy];
    const both = [sessionMeta(SESSION), tokenCount(usage, usage), legacy];

    // Act
    const fromLegacy = await parseRecords(legacyOnly);
    const fromBoth = await parseRecords(both);

    // Assess
    expect(billedRows(fromLegacy.messages).map((row) => row.tokens)).toEqual([
      { input: 900 - 100, output: 40, cacheCreationInput: null, cacheReadInput: 100, reasoningOutput: null },
    ]);
    expect(billedRows(fromBoth.messages).map((row) => row.tokens?.input)).toEqual([10]);
  });

  it('names the model with the most billed responses as the session model', async () => {
    // Prepare
    const usage = (n: number) => ({ input: n, cached: 0, output: 1, reasoning: 0 });
    const records = [
      sessionMeta(SESSION),
      turnContext('turn-1', 'gpt-5.1'),
      tokenCount(usage(10), usage(10)),
      turnContext('turn-2', 'gpt-5.3-codex'),
      tokenCount(usage(30), usage(20)),
      tokenCount(usage(60), usage(30)),
    ];

    // Act
    const { result } = await parseRecords(records);

    // Assess
    expect(result.summary.model).toBe('gpt-5.3-codex');
  });
});
