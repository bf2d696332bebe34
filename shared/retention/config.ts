import { ConfigError } from '../config.js';
import { parseRetentionAge, type RetentionAge } from './age.js';

/** The scheduled function's retention settings (README.md "Configuration"). */
export interface RetentionConfig {
  /** `SESSIONLAKE_TRANSCRIPT_RETENTION` (`18mo`, `2y`, `540d`); unset or empty: transcripts are never dropped. */
  age: RetentionAge | null;
  /** `SESSIONLAKE_PARTITION_MONTHS_AHEAD` (default 2): months of partitions created ahead of this one. */
  monthsAhead: number;
}

export function loadRetentionConfig(env: Record<string, string | undefined> = process.env): RetentionConfig {
  const rawAge = env['SESSIONLAKE_TRANSCRIPT_RETENTION']?.trim() ?? '';
  let age: RetentionAge | null = null;
  if (rawAge !== '') {
    try {
      age = parseRetentionAge(rawAge);
    } catch (error) {
      throw new ConfigError(`SESSIONLAKE_TRANSCRIPT_RETENTION: ${(error as Error).message}`);
    }
  }
  const rawAhead = env['SESSIONLAKE_PARTITION_MONTHS_AHEAD']?.trim() ?? '';
  const monthsAhead = rawAhead === '' ? 2 : Number(rawAhead);
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 24) {
    throw new ConfigError(`SESSIONLAKE_PARTITION_MONTHS_AHEAD must be an integer from 0 to 24, got "${rawAhead}"`);
  }
  return { age, monthsAhead };
}
