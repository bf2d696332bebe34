import { describe, expect, it } from 'vitest';
import { claudeParser } from '../../../../shared/parsers/claude/index.js';
import type { MessageRecord, RecordSink, ToolCallRecord } from '../../../../shared/model.js';
import { assistantLine, parseFixture, parseRecords, SESSION_CONTEXT, userLine } from './support.js';

const INIT = '-path-to-Demo/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl';

describe('claude parser: billed tokens', () => {
  it('bills a response split over five lines once, on the line with the largest output', async () => {
    // Prepare: msg_018mu4… spans lines 6-10 with output_tokens 30, 30, 30, 30, 285.

    // Act
    const { messages } = await parseFixture(INIT);

    // Assess
    const pieces = messages.filter((m) => m.responseId === 'msg_018mu4atNCkxSiLt7VVQquTL');
    expect(pieces.map((m) => m.lineNumber)).toEqual([6, 7, 8, 9, 10]);
    expect(pieces.map((m) => m.tokens?.output ?? null)).toEqual([null, null, null, null, 285]);
    // Line 10's usage splits its 304 cache writes as ephemeral_5m 304, ephemeral_1h 0.
    expect(pieces[4]?.tokens).toEqual({
      input: 6,
      output: 285,
      cacheCreationInput: 304,
      cacheReadInput: 15550,
      reasoningOutput: null,
      cacheCreation1hInput: 0,
    });
  });

  it('keeps the usage as written on every piece of a split response', async () => {
    // Act
    const { messages } = await parseFixture(INIT);

    // Assess
    const pieces = messages.filter((m) => m.responseId === 'msg_018mu4atNCkxSiLt7VVQquTL');
    expect(pieces.map((m) => (m.rawUsage as { output_tokens: number }).output_tokens)).toEqual([30, 30, 30, 30, 285]);
  });

  it('puts the tokens on the last piece when pieces tie on output', async () => {
    // Prepare: msg_01RaR4… (lines 24-25) reports output 1 on both lines.

    // Act
    const { messages } = await parseFixture(INIT);

    // Assess
    const pieces = messages.filter((m) => m.responseId === 'msg_01RaR4giiko9W2SCE3aCLQjb');
    expect(pieces.map((m) => m.tokens !== null)).toEqual([false, true]);
  });

  it('sums only billed responses into the session totals', async () => {
    // Act
    const { messages, result } = await parseFixture(INIT);

    // Assess: 7 responses, output 322 + 285 + 146 + 41 + 1 + 86 + 72.
    expect(messages.filter((m) => m.tokens !== null)).toHaveLength(7);
    expect(result.summary.tokens.output).toBe(953);
    expect(result.counts.duplicateResponses).toBe(0);
  });

  it('never bills a response again when its key comes back later in the session', async () => {
    // Prepare: a resumed session repeats msg_a after msg_b.
    const usage = { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 1, cache_read_input_tokens: 2 };
    const records = [
      userLine('first question'),
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage }),
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage }),
      userLine('second question'),
      assistantLine({ id: 'msg_b', requestId: 'req_b', usage }),
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage }),
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage }),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((m) => m.tokens?.output ?? null)).toEqual([null, null, 20, null, 20, null, null]);
    expect(result.summary.tokens).toEqual({
      input: 20,
      output: 40,
      cacheCreationInput: 2,
      cacheReadInput: 4,
      reasoningOutput: null,
    });
    expect(result.counts.duplicateResponses).toBe(1);
  });

  it('keeps a response open across user lines until an assistant line with another key', async () => {
    // Prepare
    const records = [
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage: { input_tokens: 1, output_tokens: 5 } }),
      userLine([{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'ok' }]),
      assistantLine({ id: 'msg_a', requestId: 'req_a', usage: { input_tokens: 1, output_tokens: 9 } }),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((m) => m.tokens?.output ?? null)).toEqual([null, null, 9]);
    expect(result.counts.duplicateResponses).toBe(0);
  });

  it('bills every assistant line without message id as its own response', async () => {
    // Act: valid-session has two assistant lines with usage and no message.id.
    const { messages, result } = await parseFixture('-Users-alice-code-my-app/890b132b-4b14-4407-b0a5-b58bf8f46f2e.jsonl');

    // Assess
    expect(messages.filter((m) => m.role === 'assistant').map((m) => m.tokens?.input ?? null)).toEqual([100, 150]);
    expect(result.summary.tokens).toEqual({
      input: 250,
      output: 125,
      cacheCreationInput: 200,
      cacheReadInput: 800,
      reasoningOutput: null,
    });
  });

  it('reads ccusage usage-only lines without a type as assistant responses', async () => {
    // Act
    const { messages, result } = await parseFixture('-Users-dev-project-alpha/2774dd33-dd96-41cc-827b-13ea916c86d1.jsonl');

    // Assess
    expect(messages.map((m) => [m.role, m.sourceType, m.model, m.tokens?.output ?? null])).toEqual([
      ['assistant', 'assistant', 'claude-sonnet-4-20250514', 50],
      ['assistant', 'assistant', 'claude-opus-4-20250514', 75],
      ['assistant', 'assistant', 'claude-sonnet-4-20250514', 125],
    ]);
    expect(result.summary.model).toBe('claude-sonnet-4-20250514');
    expect(result.counts.unknownTypes).toEqual({});
  });

  it('leaves a token column null when no response reported it', async () => {
    // Act: todowrite-examples has usage with input/output only.
    const { result } = await parseFixture('-tmp/af62d9fd-e4a3-4650-8146-16aae13c3340.jsonl');

    // Assess
    expect(result.summary.tokens).toEqual({
      input: 883,
      output: 328,
      cacheCreationInput: null,
      cacheReadInput: null,
      reasoningOutput: null,
    });
  });

  it('never picks <synthetic> as the session model', async () => {
    // Prepare
    const usage = { input_tokens: 0, output_tokens: 0 };
    const records = [
      assistantLine({ id: 'msg_1', requestId: 'req_1', usage, model: '<synthetic>' }),
      assistantLine({ id: 'msg_2', requestId: 'req_2', usage, model: '<synthetic>' }),
      assistantLine({ id: 'msg_3', requestId: 'req_3', usage, model: 'claude-opus-4-20250514' }),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages[0]?.model).toBe('<synthetic>');
    expect(result.summary.model).toBe('claude-opus-4-20250514');
  });

  it('chooses the first billed model when two models tie', async () => {
    // Act: stage0-small bills one claude-opus-5 response, then one claude-sonnet-5 run.
    const { result } = await parseFixture('-tmp/17f0522f-f31d-4a64-92aa-c67e09c1ed84.jsonl');

    // Assess
    expect(result.summary.model).toBe('claude-opus-5');
  });

  it('holds the rows of the open response and emits other rows at once', () => {
    // Prepare
    const emitted: number[] = [];
    const sink: RecordSink = {
      message: (record: MessageRecord) => emitted.push(record.ordinal),
      toolCall: (_record: ToolCallRecord) => undefined,
      revise: () => undefined,
    };
    const parser = claudeParser.create(SESSION_CONTEXT);
    const feed = (value: Record<string, unknown>, lineNumber: number): void =>
      parser.line({ value, lineNumber, byteOffset: 0 }, sink);

    // Act + Assess, line by line
    feed(userLine('hello'), 1);
    expect(emitted).toEqual([0]);
    feed(assistantLine({ id: 'msg_a', requestId: 'req_a', usage: { output_tokens: 1 } }), 2);
    feed(assistantLine({ id: 'msg_a', requestId: 'req_a', usage: { output_tokens: 2 } }), 3);
    expect(emitted).toEqual([0]);
    feed(assistantLine({ id: 'msg_b', requestId: 'req_b', usage: { output_tokens: 3 } }), 4);
    expect(emitted).toEqual([0, 1, 2]);
    parser.finish(sink);
    expect(emitted).toEqual([0, 1, 2, 3]);
  });
});
