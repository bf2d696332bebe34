import { describe, expect, it } from 'vitest';
import { ValueChecks } from '../../../shared/parsers/value-checks.js';
import { asCount, asTimestamp } from '../../../shared/parsers/values.js';

describe('asCount', () => {
  it.each([0, 1, 200_000, Number.MAX_SAFE_INTEGER])('keeps the whole number %s', (value) => {
    expect(asCount(value)).toBe(value);
  });

  it.each([1.5, -1, 1e20, 1e300, Number.MAX_SAFE_INTEGER + 1, Infinity, NaN, '12', true])('rejects %s', (value) => {
    expect(asCount(value)).toBeNull();
  });
});

describe('asTimestamp', () => {
  it('normalises a date to ISO-8601 UTC', () => {
    expect(asTimestamp('2024-01-01T12:00:00+02:00')).toBe('2024-01-01T10:00:00.000Z');
    expect(asTimestamp('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(asTimestamp('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59.000Z');
  });

  it.each(['0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', 'yesterday', 8.64e15 + 1])(
    'rejects %s, which Postgres cannot store or is not a date',
    (value) => {
      expect(asTimestamp(value)).toBeNull();
    },
  );
});

describe('ValueChecks', () => {
  it('counts present values it rejects, by kind, with the line and field, but not absent ones', () => {
    const values = new ValueChecks();
    values.lineNumber = 3;
    expect(values.count(undefined, 'input_tokens')).toBeNull();
    expect(values.count(null, 'input_tokens')).toBeNull();
    expect(values.count(7, 'input_tokens')).toBe(7);
    expect(values.count(1e20, 'output_tokens')).toBeNull();
    values.lineNumber = 4;
    expect(values.timestamp('0000-01-01T00:00:00Z', 'timestamp')).toBeNull();

    expect(values.total).toBe(2);
    expect(values.counts).toEqual({ count: 1, timestamp: 1, object: 0 });
    expect(values.samples).toEqual([
      { lineNumber: 3, kind: 'count', field: 'output_tokens' },
      { lineNumber: 4, kind: 'timestamp', field: 'timestamp' },
    ]);
  });

  it('counts a field the format defines as an object that holds something else', () => {
    const values = new ValueChecks();
    values.lineNumber = 7;
    expect(values.record({ a: 1 }, 'usage')).toEqual({ a: 1 });
    expect(values.record(undefined, 'usage')).toBeNull();
    expect(values.record('x', 'usage')).toBeNull();
    expect(values.record([1], 'message')).toBeNull();
    expect(values.counts).toEqual({ count: 0, timestamp: 0, object: 2 });
    expect(values.samples).toEqual([
      { lineNumber: 7, kind: 'object', field: 'usage' },
      { lineNumber: 7, kind: 'object', field: 'message' },
    ]);
  });

  it('counts disagreements apart from rejected values, and carries both across a snapshot (delta ingest)', () => {
    const values = new ValueChecks();
    values.lineNumber = 9;
    values.disagree('cache_creation_input_tokens');
    expect(values.list('x', 'iterations')).toBeNull();
    expect(values.list([1], 'iterations')).toEqual([1]);

    const resumed = new ValueChecks(values.snapshot());
    resumed.lineNumber = 12;
    resumed.disagree('iterations[].cache_creation_input_tokens');

    expect(resumed.total).toBe(1);
    expect(resumed.disagreements).toBe(2);
    expect(resumed.disagreementSamples).toEqual([
      { lineNumber: 9, kind: 'split', field: 'cache_creation_input_tokens' },
      { lineNumber: 12, kind: 'split', field: 'iterations[].cache_creation_input_tokens' },
    ]);
    // A state written before disagreements were counted has none.
    expect(new ValueChecks({ byKind: { count: 0, timestamp: 0, object: 0 }, samples: [] }).disagreements).toBe(0);
  });
});
