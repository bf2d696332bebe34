import type { TokenCounts } from '../model.js';

/** Session token totals: every column null until some billed response reports it. */
export function emptyTokenCounts(): TokenCounts {
  return { input: null, output: null, cacheCreationInput: null, cacheReadInput: null, reasoningOutput: null };
}

/** Adds one billed response into `totals`; a column stays null until some response reports it. */
export function addTokenCounts(totals: TokenCounts, tokens: TokenCounts): void {
  totals.input = addCount(totals.input, tokens.input);
  totals.output = addCount(totals.output, tokens.output);
  totals.cacheCreationInput = addCount(totals.cacheCreationInput, tokens.cacheCreationInput);
  totals.cacheReadInput = addCount(totals.cacheReadInput, tokens.cacheReadInput);
  totals.reasoningOutput = addCount(totals.reasoningOutput, tokens.reasoningOutput);
}

function addCount(total: number | null, value: number | null): number | null {
  return value === null ? total : (total ?? 0) + value;
}
