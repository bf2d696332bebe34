import type { TokenCounts } from '../types.js';
import { asCount, isRecord } from '../values.js';

/** Token counts of a Claude `message.usage` object; null when there is no usage object. */
export function tokensFromUsage(usage: unknown): TokenCounts | null {
  if (!isRecord(usage)) return null;
  return {
    input: asCount(usage['input_tokens']),
    output: asCount(usage['output_tokens']),
    cacheCreationInput: asCount(usage['cache_creation_input_tokens']),
    cacheReadInput: asCount(usage['cache_read_input_tokens']),
    // Claude reports thinking inside output_tokens; there is no separate billed reasoning count.
    reasoningOutput: null,
  };
}
