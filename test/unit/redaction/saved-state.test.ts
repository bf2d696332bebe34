import { describe, expect, it } from 'vitest';
import { agentDefinition } from '../../../shared/agents/registry.js';
import type { Agent } from '../../../shared/model.js';
import { parseSessionBytes } from '../../../shared/parsers/parse-session.js';
import { RedactingSink } from '../../../shared/redaction/redacting-sink.js';
import { plantSecrets } from '../../support/planted-secrets.js';

/**
 * A parser's saved state (kept for the next delta ingest) holds the session's title, cut from the first prompt.
 * Each agent's definition names the keys that hold such text (`savedStateTextKeys`); a secret in the prompt must
 * not survive in the state once those keys are redacted.
 */

const secret = plantSecrets().find((planted) => planted.rule === 'github-pat');
if (secret === undefined) throw new Error('no github-pat among the planted secrets');
const at = '2026-01-01T00:00:00Z';

const sessions: Record<Agent, object[]> = {
  claude: [
    { type: 'user', sessionId: 's1', uuid: 'u1', timestamp: at, message: { role: 'user', content: secret.context } },
    {
      type: 'assistant', sessionId: 's1', uuid: 'u2', parentUuid: 'u1', timestamp: at, requestId: 'r1',
      message: { id: 'm1', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 1, output_tokens: 1 } },
    },
  ],
  codex: [
    { timestamp: at, type: 'session_meta', payload: { id: 'x', cwd: '/w' } },
    { timestamp: at, type: 'event_msg', payload: { type: 'user_message', message: secret.context } },
    { timestamp: at, type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: secret.context }] } },
    { timestamp: at, type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] } },
  ],
  gemini: [
    { sessionId: 's1', projectHash: 'h', startTime: at, lastUpdated: at, kind: 'main' },
    { id: 'u1', timestamp: at, type: 'user', content: [{ text: secret.context }] },
    { id: 'g1', timestamp: at, type: 'gemini', content: 'ok', model: 'gemini-2.5-pro', tokens: { input: 1, output: 1, cached: 0, thoughts: 0, tool: 0, total: 2 } },
  ],
  qwen: [
    { uuid: 'q1', parentUuid: null, sessionId: 's1', timestamp: at, type: 'user', provenance: 'real_user', message: { role: 'user', parts: [{ text: secret.context }] } },
    { uuid: 'q2', parentUuid: 'q1', sessionId: 's1', timestamp: at, type: 'system', subtype: 'custom_title', systemPayload: { customTitle: secret.context, titleSource: 'manual' } },
    {
      uuid: 'q3', parentUuid: 'q2', sessionId: 's1', timestamp: at, type: 'assistant', model: 'qwen3-coder-plus',
      message: { role: 'model', parts: [{ text: 'ok' }] }, usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 },
    },
  ],
  copilot: [
    { type: 'session.start', id: 'c1', parentId: null, timestamp: at, data: { sessionId: 's1', version: 1, producer: 'copilot-agent', copilotVersion: '1.0.102', startTime: at } },
    { type: 'user.message', id: 'c2', parentId: 'c1', timestamp: at, data: { content: secret.context } },
    { type: 'assistant.message', id: 'c3', parentId: 'c2', timestamp: at, data: { messageId: 'm1', content: 'ok' } },
  ],
};

describe("redacting a parser's saved state by its agent's savedStateTextKeys", () => {
  it.each(Object.keys(sessions) as Agent[])('%s: the state keeps the prompt’s text, and none of the secret once redacted', async (agent) => {
    const definition = agentDefinition(agent);
    const text = sessions[agent].map((line) => JSON.stringify(line)).join('\n') + '\n';
    const parsed = await parseSessionBytes(text, definition.parser, { fileStem: 'f', projectDir: null, parentSourceSessionId: null });
    if (definition.savedStateTextKeys.length === 0) {
      // An agent that names no text keys must keep no state at all (its parser is never resumed).
      expect(parsed.outcome.resumePoint).toBeNull();
      expect(parsed.outcome.result?.summary.title).toContain(secret.value);
      return;
    }
    const state = parsed.outcome.resumePoint?.parser;
    expect(JSON.stringify(state)).toContain(secret.value);

    const findings: unknown[] = [];
    const sink = new RedactingSink({ message: () => {}, toolCall: () => {}, revise: () => {} }, { add: (finding) => findings.push(finding) });
    const redacted = JSON.stringify(sink.redactTitles(state, definition.savedStateTextKeys));
    expect(redacted).not.toContain(secret.value);
    expect(redacted).toContain('[REDACTED:github-pat:');
  });
});
