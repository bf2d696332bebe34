import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { joinPieces } from '../../../shared/parsers/joined-text.js';
import type { MessageRecord, RowRevision, ToolCallRecord } from '../../../shared/model.js';
import { RedactingSink, type SecretFinding } from '../../../shared/redaction/redacting-sink.js';
import { plantSecrets } from '../../support/planted-secrets.js';

const shortHash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);
const planted = plantSecrets(44);
const secret = (rule: string) => planted.find((p) => p.rule === rule)?.value ?? '';
const marker = (rule: string) => `[REDACTED:${rule}:${shortHash(secret(rule))}]`;

function sinkCollecting() {
  const rows: { messages: MessageRecord[]; calls: ToolCallRecord[]; revisions: RowRevision[]; findings: SecretFinding[] } = { messages: [], calls: [], revisions: [], findings: [] };
  const sink = new RedactingSink(
    { message: (r) => rows.messages.push(r), toolCall: (r) => rows.calls.push(r), revise: (r) => rows.revisions.push(r) },
    { add: (f) => rows.findings.push(f) },
  );
  return { sink, rows };
}

const call = (input: unknown): ToolCallRecord => ({
  messageOrdinal: 3, callIndex: 0, callId: 'toolu_1', name: 'WebFetch', input, inputText: null, resultText: null, isError: null, resultTimestamp: null, resultFile: null,
});
const message = (fields: Partial<MessageRecord>): MessageRecord => ({
  ordinal: 1, role: 'assistant', sourceType: 'assistant', sourceSubtype: null, uuid: null, parentUuid: null, timestamp: null, model: null,
  text: null, thinking: null, isSidechain: false, isCompactBoundary: false, responseId: null, requestId: null, tokens: null, rawUsage: null,
  lineNumber: 1, byteOffset: 0, ...fields,
});

describe('redacting sink', () => {
  it('redacts secrets used as keys of tool input, at any depth, keeping the key order and the values', () => {
    const { sink, rows } = sinkCollecting();
    sink.toolCall(call({ url: 'https://x.test', headers: { [secret('github-pat')]: 'Authorization', Accept: 'json' }, list: [{ [secret('stripe-access-token')]: 1 }] }));

    expect(rows.calls[0]?.input).toEqual({ url: 'https://x.test', headers: { [marker('github-pat')]: 'Authorization', Accept: 'json' }, list: [{ [marker('stripe-access-token')]: 1 }] });
    expect(Object.keys((rows.calls[0]?.input as { headers: object }).headers)).toEqual([marker('github-pat'), 'Accept']);
    expect(rows.findings.map((f) => [f.field, f.rule, f.callIndex])).toEqual([['tool_input', 'github-pat', 0], ['tool_input', 'stripe-access-token', 0]]);
  });

  it('passes input without a secret on as the very same object', () => {
    const { sink, rows } = sinkCollecting();
    const input = { command: 'ls -la', env: { PATH: '/usr/bin' } };
    sink.toolCall(call(input));
    expect(rows.calls[0]?.input).toBe(input);
  });

  it('redacts keys and values of the usage object the message stores as written', () => {
    const { sink, rows } = sinkCollecting();
    sink.message(message({ rawUsage: { input_tokens: 3, [secret('gitlab-pat')]: 1, note: secret('gcp-api-key') } }));
    expect(rows.messages[0]?.rawUsage).toEqual({ input_tokens: 3, [marker('gitlab-pat')]: 1, note: marker('gcp-api-key') });
    expect(rows.findings.map((f) => [f.field, f.messageOrdinal])).toEqual([['usage', 1], ['usage', 1]]);
  });

  it('uses the joints of text, thinking and results joined from blocks, and of a revised result', () => {
    const { sink, rows } = sinkCollecting();
    const pat = secret('github-pat');
    const text = joinPieces([`token ${pat.slice(0, 9)}`, `${pat.slice(9)} ok`]);
    sink.message(message({ text: text.text, textJoints: text.joints, thinking: text.text, thinkingJoints: text.joints }));
    sink.toolCall({ ...call({}), resultText: text.text, resultJoints: text.joints });
    sink.revise({ kind: 'tool-result', messageOrdinal: 3, callIndex: 0, resultText: text.text, resultJoints: text.joints, isError: false, resultTimestamp: null, resultFile: null });

    const expected = `token ${marker('github-pat')}\n${marker('github-pat')} ok`;
    expect([rows.messages[0]?.text, rows.messages[0]?.thinking, rows.calls[0]?.resultText]).toEqual([expected, expected, expected]);
    expect(rows.revisions[0]).toMatchObject({ resultText: expected });
    expect(rows.findings.map((f) => f.field)).toEqual(['text', 'thinking', 'tool_result', 'tool_result']);
  });
});
