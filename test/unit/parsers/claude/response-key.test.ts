import { describe, expect, it } from 'vitest';
import { responseDedupKey } from '../../../../shared/parsers/claude/index.js';

describe('responseDedupKey', () => {
  it('joins message id and request id', () => {
    // Act
    const key = responseDedupKey('msg_018mu4atNCkxSiLt7VVQquTL', 'req_011CSkYbys3h16Qf2ezt44jA');

    // Assess
    expect(key).toBe('msg_018mu4atNCkxSiLt7VVQquTL:req_011CSkYbys3h16Qf2ezt44jA');
  });

  it('gives no key to a line without message id, so that line is a response of its own', () => {
    // Act
    const keys = [responseDedupKey(null, 'req_1'), responseDedupKey('', 'req_1'), responseDedupKey(null, null)];

    // Assess
    expect(keys).toEqual([null, null, null]);
  });

  it('uses the message id alone when the request id is missing or empty', () => {
    // Act
    const keys = [responseDedupKey('msg_1', null), responseDedupKey('msg_1', '')];

    // Assess
    expect(keys).toEqual(['msg_1', 'msg_1']);
  });

  it('tells apart the same message id sent under different requests', () => {
    // Act
    const first = responseDedupKey('msg_1', 'req_a');
    const second = responseDedupKey('msg_1', 'req_b');

    // Assess
    expect(first).not.toBe(second);
  });
});
