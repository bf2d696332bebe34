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

export function emptyTokenTotals(): TokenCounts {
  return { input: null, output: null, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: null };
}

/** Adds `tokens` into `totals`; a column stays null until some response reports it. */
export function addTokens(totals: TokenCounts, tokens: TokenCounts): void {
  totals.input = addCount(totals.input, tokens.input);
  totals.output = addCount(totals.output, tokens.output);
  totals.cacheCreationInput = addCount(totals.cacheCreationInput, tokens.cacheCreationInput);
  totals.cacheReadInput = addCount(totals.cacheReadInput, tokens.cacheReadInput);
  totals.reasoningOutput = addCount(totals.reasoningOutput, tokens.reasoningOutput);
}

function addCount(total: number | null, value: number | null): number | null {
  if (value === null) return total;
  return (total ?? 0) + value;
}
