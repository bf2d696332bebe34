import { describe, expect, it } from 'vitest';
import { genaiTokenCounts, isZeroGenaiUsage, readUsageMetadata, type GenaiUsage } from '../../../../shared/parsers/genai/usage.js';
import { ValueChecks } from '../../../../shared/parsers/value-checks.js';

const usage = (fields: Partial<GenaiUsage>): GenaiUsage => ({
  prompt: null,
  candidates: null,
  cached: null,
  thoughts: null,
  toolUsePrompt: null,
  total: null,
  ...fields,
});

describe('readUsageMetadata', () => {
  it('reads the GenAI field names', () => {
    const values = new ValueChecks();
    const read = readUsageMetadata(
      { promptTokenCount: 1000, candidatesTokenCount: 50, cachedContentTokenCount: 600, thoughtsTokenCount: 20, toolUsePromptTokenCount: 7, totalTokenCount: 1077 },
      values,
    );
    expect(read).toEqual({ prompt: 1000, candidates: 50, cached: 600, thoughts: 20, toolUsePrompt: 7, total: 1077 });
    expect(values.total).toBe(0);
  });

  it('leaves absent fields null and counts a value that is not a count', () => {
    const values = new ValueChecks();
    const read = readUsageMetadata({ promptTokenCount: 10, candidatesTokenCount: 1.5 }, values);
    expect(read).toEqual(usage({ prompt: 10 }));
    expect(values.counts.count).toBe(1);
  });

  it('is null for a value that is not an object', () => {
    expect(readUsageMetadata('x', new ValueChecks())).toBeNull();
  });
});

describe('genaiTokenCounts', () => {
  it('takes the cached part out of input and puts thoughts inside output', () => {
    // 1000 prompt of which 600 cached → 400 uncached + 7 tool-use prompt; 50 answer + 20 thoughts.
    expect(genaiTokenCounts(usage({ prompt: 1000, candidates: 50, cached: 600, thoughts: 20, toolUsePrompt: 7, total: 1077 }))).toEqual({
      input: 407,
      output: 70,
      cacheCreationInput: null,
      cacheReadInput: 600,
      reasoningOutput: 20,
    });
  });

  it('never makes input negative', () => {
    expect(genaiTokenCounts(usage({ prompt: 5, cached: 9 })).input).toBe(0);
  });

  it('keeps a column null only when all its fields are absent', () => {
    expect(genaiTokenCounts(usage({}))).toEqual({ input: null, output: null, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: null });
    expect(genaiTokenCounts(usage({ thoughts: 3 })).output).toBe(3);
    expect(genaiTokenCounts(usage({ toolUsePrompt: 4 })).input).toBe(4);
  });
});

describe('isZeroGenaiUsage', () => {
  it('is true only when no field counts a token', () => {
    expect(isZeroGenaiUsage(usage({ prompt: 0, candidates: 0, total: 0 }))).toBe(true);
    expect(isZeroGenaiUsage(usage({ thoughts: 1 }))).toBe(false);
  });
});
