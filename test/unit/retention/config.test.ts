import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config.js';
import { loadRetentionConfig } from '../../../shared/retention/config.js';

describe('the scheduled function\'s retention settings', () => {
  it('drops nothing unless an age is set, and keeps two months of partitions ahead by default', () => {
    expect(loadRetentionConfig({})).toEqual({ age: null, monthsAhead: 2 });
    expect(loadRetentionConfig({ SESSIONLAKE_TRANSCRIPT_RETENTION: '' })).toEqual({ age: null, monthsAhead: 2 });
    expect(loadRetentionConfig({ SESSIONLAKE_TRANSCRIPT_RETENTION: '18mo', SESSIONLAKE_PARTITION_MONTHS_AHEAD: '3' })).toEqual({
      age: { amount: 18, unit: 'month', text: '18mo' },
      monthsAhead: 3,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadRetentionConfig({ SESSIONLAKE_TRANSCRIPT_RETENTION: '18 months ago' })).toThrow(ConfigError);
    expect(() => loadRetentionConfig({ SESSIONLAKE_TRANSCRIPT_RETENTION: '18m' })).toThrow(/SESSIONLAKE_TRANSCRIPT_RETENTION/);
    expect(() => loadRetentionConfig({ SESSIONLAKE_PARTITION_MONTHS_AHEAD: '-1' })).toThrow(/SESSIONLAKE_PARTITION_MONTHS_AHEAD/);
  });
});
