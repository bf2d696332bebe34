import { describe, expect, it } from 'vitest';
import { readParts, responseResult } from '../../../../shared/parsers/genai/parts.js';

describe('readParts', () => {
  it('reads a plain string as one text', () => {
    expect(readParts('hello').texts).toEqual(['hello']);
  });

  it('reads nothing from null, undefined and the empty string', () => {
    for (const content of [null, undefined, '']) {
      const parts = readParts(content);
      expect(parts.texts).toEqual([]);
      expect(parts.other).toBe(0);
    }
  });

  it('splits text, thoughts, calls, responses and media, in order', () => {
    const parts = readParts([
      { text: 'plan', thought: true },
      'a string part',
      { text: 'answer' },
      { functionCall: { id: 'c1', name: 'read_file', args: { path: 'a.ts' } } },
      { functionCall: { name: 'ls', args: {} } },
      { functionResponse: { id: 'c1', name: 'read_file', response: { output: 'x' } } },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { fileUri: 'gs://b/f' } },
      { executableCode: { code: 'print(1)' } },
      42,
    ]);
    expect(parts.thoughts).toEqual(['plan']);
    expect(parts.texts).toEqual(['a string part', 'answer']);
    expect(parts.functionCalls).toEqual([
      { id: 'c1', name: 'read_file', args: { path: 'a.ts' } },
      { id: null, name: 'ls', args: {} },
    ]);
    expect(parts.functionResponses).toEqual([{ id: 'c1', name: 'read_file', response: { output: 'x' } }]);
    expect(parts.media).toEqual(['image/png', null]);
    expect(parts.other).toBe(2);
  });

  it('reads the parts of a Content object', () => {
    const parts = readParts({ role: 'model', parts: [{ text: 'hi' }, { text: 'why', thought: true }] });
    expect(parts.texts).toEqual(['hi']);
    expect(parts.thoughts).toEqual(['why']);
  });

  it('reads one part object given alone', () => {
    expect(readParts({ functionCall: { id: 'x', name: 'shell', args: { command: 'ls' } } }).functionCalls).toHaveLength(1);
  });

  it('does not take thought: "true" (a string) or a nameless call for what they are not', () => {
    const parts = readParts([{ text: 't', thought: 'true' }, { functionCall: { args: {} } }]);
    expect(parts.texts).toEqual(['t']);
    expect(parts.functionCalls).toEqual([]);
    expect(parts.other).toBe(1);
  });
});

describe('responseResult', () => {
  it('takes output text', () => {
    expect(responseResult({ output: 'done' })).toEqual({ text: 'done', isError: false });
  });

  it('takes error text and flags the error', () => {
    expect(responseResult({ error: 'no such file' })).toEqual({ text: 'no such file', isError: true });
  });

  it('keeps an output written beside an error, flagged', () => {
    expect(responseResult({ output: 'partial', error: 'timeout' })).toEqual({ text: 'partial', isError: true });
  });

  it('writes another shape as JSON', () => {
    expect(responseResult({ content: [1, 2] })).toEqual({ text: '{"content":[1,2]}', isError: false });
  });

  it('is null when absent', () => {
    expect(responseResult(undefined)).toEqual({ text: null, isError: false });
    expect(responseResult(null)).toEqual({ text: null, isError: false });
  });
});
