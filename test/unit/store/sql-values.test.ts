import { describe, expect, it } from 'vitest';
import { sqlJson, sqlText } from '../../../shared/store/sql-values.js';

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
