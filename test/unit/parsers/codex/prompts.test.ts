import { describe, expect, it } from 'vitest';
import {
  assistantItem,
  developerItem,
  functionCall,
  parseRecords,
  record,
  sessionMeta,
  taskStarted,
  turnContext,
  userEvent,
  userItem,
} from './support.js';

const SESSION = '0195f0a0-0000-7000-8000-000000000001';
const TURN = '0195f0a0-1000-7000-8000-000000000002';

describe('Codex user input', () => {
  it('stores a prompt once when its user_message event follows the response item (Codex 0.10x)', async () => {
    // Prepare: the preamble is redacted, so only the event tells the prompt apart
    const records = [
      sessionMeta(SESSION),
      developerItem('[REDACTED_TEXT len=3640]'),
      userItem('[REDACTED_TEXT len=3019]'),
      userItem('[REDACTED_TEXT len=110]'),
      taskStarted(TURN),
      userItem('Add a retry to the uploader'),
      userEvent('Add a retry to the uploader'),
      turnContext(TURN),
      assistantItem('Done.'),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => [message.role, message.text])).toEqual([
      ['developer', '[REDACTED_TEXT len=3640]'],
      ['system', '[REDACTED_TEXT len=3019]'],
      ['system', '[REDACTED_TEXT len=110]'],
      ['user', 'Add a retry to the uploader'],
      ['assistant', 'Done.'],
    ]);
    expect(result.summary.userMessageCount).toBe(1);
    expect(result.summary.title).toBe('Add a retry to the uploader');
  });

  it('pairs by text when the event names one of several held messages', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      userItem('first'),
      userItem('the prompt'),
      userItem('a trailing note'),
      userEvent('the prompt'),
      assistantItem('ok'),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages.filter((message) => message.role === 'user').map((message) => message.text)).toEqual(['the prompt']);
  });

  it('stores a prompt once when its user_message event comes first (newer Codex)', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      turnContext(TURN),
      userEvent('List the files'),
      taskStarted(TURN),
      userItem('List the files'),
      assistantItem('Found 2 files.'),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => [message.role, message.sourceType, message.lineNumber])).toEqual([
      ['user', 'response_item', 5],
      ['assistant', 'response_item', 6],
    ]);
    expect(result.summary.userMessageCount).toBe(1);
  });

  it('treats user messages as prompts in logs without user_message events, except injected text', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      userItem('<environment_context>\n  <cwd>/home/me/code/shop</cwd>\n</environment_context>'),
      userItem('# AGENTS.md instructions for /home/me/code/shop\n\nUse pnpm.'),
      userItem('<user_instructions>be brief</user_instructions>'),
      userItem('Why is checkout slow?'),
      assistantItem('Looking.'),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => message.role)).toEqual(['system', 'system', 'system', 'user', 'assistant']);
    expect(result.summary.title).toBe('Why is checkout slow?');
  });

  it('stores user-role text that arrives after the prompt event as context', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      taskStarted(TURN),
      userItem('Explain the cache'),
      userEvent('Explain the cache'),
      userItem('[REDACTED_TEXT len=3490]'),
      turnContext(TURN),
      functionCall('call_1', 'exec_command', '{"cmd":"ls"}'),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => message.role)).toEqual(['user', 'system', 'assistant']);
  });

  it('stores a user_message event on its own when no response item twin comes before the model acts', async () => {
    // Prepare
    const records = [sessionMeta(SESSION), userEvent('Only the event'), turnContext(TURN), assistantItem('Answer')];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages[0]).toMatchObject({
      role: 'user',
      sourceType: 'event_msg',
      sourceSubtype: 'user_message',
      text: 'Only the event',
      lineNumber: 2,
    });
    expect(result.summary.userMessageCount).toBe(1);
  });

  it('keeps line order for rows queued behind undecided user input', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      userItem('[preamble]'),
      developerItem('developer note'),
      userItem('Ship it'),
      userEvent('Ship it'),
      assistantItem('Shipped'),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => [message.ordinal, message.lineNumber, message.role])).toEqual([
      [0, 2, 'system'],
      [1, 3, 'developer'],
      [2, 4, 'user'],
      [3, 6, 'assistant'],
    ]);
  });

  it('stores assistant text and reasoning summaries once, not again from their events', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      userItem('Hi'),
      record('event_msg', { type: 'agent_reasoning', text: 'Thinking about hi' }),
      record('response_item', {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Thinking about hi' }],
        encrypted_content: 'gAAAA',
      }),
      record('event_msg', { type: 'agent_message', message: 'Hello!' }),
      assistantItem('Hello!'),
    ];

    // Act
    const { messages, result } = await parseRecords(records);

    // Assess
    expect(messages.map((message) => [message.role, message.text, message.thinking])).toEqual([
      ['user', 'Hi', null],
      ['assistant', null, 'Thinking about hi'],
      ['assistant', 'Hello!', null],
    ]);
    expect(result.counts.ignoredLines).toBe(2);
  });

  it('marks compacted records as compaction boundaries', async () => {
    // Prepare
    const records = [
      sessionMeta(SESSION),
      record('compacted', { message: 'Summary of the work so far', replacement_history: [] }),
      record('event_msg', { type: 'context_compacted' }),
    ];

    // Act
    const { messages } = await parseRecords(records);

    // Assess
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      role: 'system',
      sourceType: 'compacted',
      isCompactBoundary: true,
      text: 'Summary of the work so far',
    });
  });
});
