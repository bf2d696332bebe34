import { describe, expect, it } from 'vitest';
import { inlineParameters, sqlJson, sqlLiteral, sqlText } from '../../../shared/store/sql-values.js';

describe('NUL stripping for Postgres', () => {
  it('removes NUL from text', () => {
    expect(sqlText('a\u0000b')).toBe('ab');
    expect(sqlText(null)).toBeNull();
  });

  it('removes NUL from JSON strings and keys but keeps an escaped backslash-u sequence', () => {
    const json = sqlJson({ 'k\u0000': 'v\u0000', literal: '\\u0000' });

    expect(JSON.parse(json ?? 'null')).toEqual({ k: 'v', literal: '\\u0000' });
  });

  it('maps undefined and null to SQL NULL', () => {
    expect(sqlJson(undefined)).toBeNull();
    expect(sqlJson(null)).toBeNull();
  });
});

describe('values as SQL literals (statements sent in a simple query)', () => {
  // pg's escapeLiteral for text without a backslash (none of the inputs here holds one): quotes doubled.
  const escape = (text: string) => `'${text.replace(/'/g, "''")}'`;

  it('writes each kind of value the deferred statements hold', () => {
    expect(sqlLiteral(null, escape)).toBe('NULL');
    expect(sqlLiteral(undefined, escape)).toBe('NULL');
    expect(sqlLiteral(true, escape)).toBe('true');
    expect(sqlLiteral(-12, escape)).toBe('-12');
    expect(sqlLiteral("it's", escape)).toBe("'it''s'");
    expect(sqlLiteral(new Date('2026-05-01T10:00:00.000Z'), escape)).toBe("'2026-05-01T10:00:00.000Z'");
    expect(sqlLiteral(Buffer.from([0, 255]), escape)).toBe("decode('00ff', 'hex')");
    expect(sqlLiteral([1, null, 'a'], escape)).toBe("ARRAY[1, NULL, 'a']");
    expect(() => sqlLiteral(Number.NaN, escape)).toThrow();
    expect(() => sqlLiteral({}, escape)).toThrow();
  });

  it('replaces $1 and $12 by their own values, and values holding $n are not read again', () => {
    const values = ['$12', 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 'twelve'];
    expect(inlineParameters('SELECT $1, $12, $1::text', values, escape)).toBe("SELECT '$12', 'twelve', '$12'::text");
    expect(() => inlineParameters('SELECT $13', values, escape)).toThrow();
  });
});
