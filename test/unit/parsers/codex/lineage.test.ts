import { describe, expect, it } from 'vitest';
import { uuidV7Millis } from '../../../../shared/parsers/codex/index.js';
import {
  assistantItem,
  billedRows,
  functionCall,
  functionOutput,
  parseRecords,
  sessionMeta,
  taskComplete,
  taskStarted,
  tokenCount,
  turnContext,
  userEvent,
  userItem,
} from './support.js';

// UUIDv7 ids: the first 48 bits are the minting time, so parent ids sort before the fork, child ids after.
const PARENT = '0195f000-0000-7000-8000-00000000000a';
const PARENT_TURN = '0195f001-0000-7000-8000-000000000001';
const CHILD = '0195f100-0000-7000-8000-00000000000c';
const CHILD_TURN = '0195f101-0000-7000-8000-000000000002';

function parentHistory(): Record<string, unknown>[] {
  const usage = { input: 100, cached: 40, output: 10, reasoning: 4 };
  return [
    sessionMeta(PARENT),
    taskStarted(PARENT_TURN),
    turnContext(PARENT_TURN),
    userItem('parent prompt'),
    userEvent('parent prompt'),
    functionCall('call_parent', 'exec_command', '{"cmd":"ls"}'),
    functionOutput('call_parent', 'a.txt'),
    assistantItem('parent answer'),
    tokenCount(usage, usage),
    taskComplete(PARENT_TURN),
  ];
}

function childTurn(): Record<string, unknown>[] {
  return [
    taskStarted(CHILD_TURN),
    turnContext(CHILD_TURN),
    userItem('child prompt'),
    userEvent('child prompt'),
    assistantItem('child answer'),
    tokenCount({ input: 160, cached: 90, output: 15, reasoning: 6 }, { input: 60, cached: 50, output: 5, reasoning: 2 }),
  ];
}

describe('Codex forked and subagent rollouts', () => {
  it('reads the minting time of a UUIDv7 and nothing from other ids', () => {
    // Prepare / Act / Assess
    expect(uuidV7Millis('019c8a4c-ed82-79a1-aa28-7738fc5ab61a')).toBe(Date.parse('2026-02-23T11:40:23.298Z'));
    expect(uuidV7Millis('3f2b8c1e-5a47-4d29-8e6b-1c0a9f7d2e41')).toBeNull();
    expect(uuidV7Millis('turn-1')).toBeNull();
  });

  it('skips the parent history a fork copies in and keeps the child turn', async () => {
    // Prepare
    const records = [sessionMeta(CHILD, { forked_from_id: PARENT }), ...parentHistory(), ...childTurn()];

    // Act
    const { messages, toolCalls, result } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => [message.role, message.text])).toEqual([
      ['user', 'child prompt'],
      ['assistant', 'child answer'],
      ['assistant', null],
    ]);
    expect(toolCalls).toEqual([]);
    expect(billedRows(messages).map((row) => row.tokens?.input)).toEqual([60 - 50]);
    expect(result.summary).toMatchObject({
      sourceSessionId: CHILD,
      parentSourceSessionId: PARENT,
      title: 'child prompt',
      userMessageCount: 1,
    });
    expect(result.counts.duplicateResponses).toBe(1);
  });

  it('does not bill the child re-emitting the copied totals', async () => {
    // Prepare
    const copiedTotals = { input: 100, cached: 40, output: 10, reasoning: 4 };
    const records = [
      sessionMeta(CHILD, { source: { subagent: { thread_spawn: { parent_thread_id: PARENT, depth: 1 } } } }),
      ...parentHistory(),
      taskStarted(CHILD_TURN),
      turnContext(CHILD_TURN),
      tokenCount(copiedTotals, copiedTotals),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(billedRows(messages)).toEqual([]);
    expect(result.summary.originator).toBe('subagent');
    expect(result.counts.duplicateResponses).toBe(2);
  });

  it('keeps everything in a subagent rollout that copied no history', async () => {
    // Prepare
    const usage = { input: 4200, cached: 3600, output: 180, reasoning: 64 };
    const records = [
      sessionMeta(CHILD, { source: { subagent: { thread_spawn: { parent_thread_id: PARENT } } } }),
      taskStarted('turn-1'),
      turnContext('turn-1'),
      userItem('Explore the parser package.'),
      userEvent('Explore the parser package.'),
      tokenCount(usage, usage),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(billedRows(messages)).toHaveLength(1);
  });

  it('ends the copied region at a turn it cannot date, rather than dropping the child work', async () => {
    // Prepare
    const usage = { input: 500, cached: 0, output: 20, reasoning: 0 };
    const records = [
      sessionMeta(CHILD, { forked_from_id: PARENT }),
      sessionMeta(PARENT),
      turnContext('legacy-turn'),
      userItem('undated prompt'),
      tokenCount(usage, usage),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
  });

  it('keeps what follows a stray session_meta in a rollout that names no parent', async () => {
    // Prepare
    const records = [sessionMeta(CHILD), sessionMeta(PARENT), ...childTurn()];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages).toHaveLength(3);
    expect(result.summary.sourceSessionId).toBe(CHILD);
    expect(result.counts.ignoredLines).toBe(1);
  });
});
