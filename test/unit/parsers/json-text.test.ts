import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../../shared/parsers/values.js';

/** The reference: JSON.parse, and the text back when it throws. */
function reference(text: string): { value: unknown; unparsed: string | null } {
  try {
    return { value: JSON.parse(text), unparsed: null };
  } catch {
    return { value: null, unparsed: text };
  }
}

describe('parseJsonText', () => {
  it.each([
    '{"cmd":["ls","-la"]}', ' \n\t{ "a" : 1 }', '[]', '[ 1, 2 ]', '["x"]', '[{"a":1}]', '[[]]', '[-1]', '[true]', '[null]',
    '{}', '{ }', '"text"', '42', '-0.5e3', 'true', 'false', 'null',
    '[REDACTED_ARGUMENTS len=83 sha=b4e1e5f7]', '{oops}', '{ "a": }', '[,]', '[ ]x', '', '   ', 'ls -la', '\uFEFF{}', '\u00a0{}',
    'nul', 'tru', '-', '{"a":1}trailing', '[1,]', 'NaN', 'Infinity', "{'a':1}", '[\n', '{\n',
  ])('%j parses exactly as JSON.parse does', (text) => {
    expect(parseJsonText(text)).toEqual(reference(text));
  });
});
