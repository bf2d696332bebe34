import type { TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { isRecord } from '../values.js';

/**
 * Copilot's usage numbers in sessionlake's token columns. Copilot CLI's `inputTokens` (session events) and OTel's
 * `gen_ai.usage.input_tokens` count the whole prompt, cached parts included; sessionlake's `input` is the uncached
 * part, so cache reads and writes come off it (never below 0). Reasoning is already inside the output count.
 */
export interface CopilotUsageNumbers {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  reasoning: number | null;
}

export function tokensFromNumbers(numbers: CopilotUsageNumbers): TokenCounts | null {
  const { input, output, cacheRead, cacheWrite, reasoning } = numbers;
  if (input === null && output === null && cacheRead === null && cacheWrite === null) return null;
  return {
    input: input === null ? null : Math.max(input - (cacheRead ?? 0) - (cacheWrite ?? 0), 0),
    output,
    cacheCreationInput: cacheWrite,
    cacheReadInput: cacheRead,
    reasoningOutput: reasoning,
  };
}

/** `{inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens}` (usage records, modelMetrics). */
export function numbersFromEventUsage(usage: unknown, values: ValueChecks): CopilotUsageNumbers | null {
  if (!isRecord(usage)) return null;
  return {
    input: values.count(usage['inputTokens'], 'inputTokens'),
    output: values.count(usage['outputTokens'], 'outputTokens'),
    cacheRead: values.count(usage['cacheReadTokens'], 'cacheReadTokens'),
    cacheWrite: values.count(usage['cacheWriteTokens'], 'cacheWriteTokens'),
    reasoning: values.count(usage['reasoningTokens'], 'reasoningTokens'),
  };
}

/**
 * What a later cumulative snapshot adds to an earlier one of the same model, or null when the later one is not a
 * continuation (a count went down: the process restarted its totals, as Copilot CLIs before usage checkpoints did
 * on every resume) — then the later snapshot is new usage as a whole.
 */
export function snapshotIncrease(later: CopilotUsageNumbers, earlier: CopilotUsageNumbers): CopilotUsageNumbers | null {
  const keys = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;
  const increase: CopilotUsageNumbers = { input: null, output: null, cacheRead: null, cacheWrite: null, reasoning: null };
  for (const key of keys) {
    const now = later[key] ?? 0;
    const before = earlier[key] ?? 0;
    if (now < before) return null;
    increase[key] = later[key] === null && earlier[key] === null ? null : now - before;
  }
  return increase;
}

export function isZeroUsage(numbers: CopilotUsageNumbers): boolean {
  return [numbers.input, numbers.output, numbers.cacheRead, numbers.cacheWrite].every((n) => n === null || n === 0);
}
