import type { TokenCounts } from '../../model.js';
import { genaiTokenCounts, isZeroGenaiUsage, readUsageMetadata, type GenaiUsage } from '../genai/usage.js';
import type { ValueChecks } from '../value-checks.js';

/**
 * Billed tokens of an assistant record's `usageMetadata` (the GenAI usage object Qwen Code stores as it got it).
 * Null when there is no usage object or it holds no token.
 */
export function tokensFromUsageMetadata(value: unknown, values: ValueChecks): TokenCounts | null {
  const usage = readUsageMetadata(value, values);
  return usage === null ? null : billed(usage);
}

/**
 * Billed tokens of a `qwen-code.api_response` telemetry event: ApiResponseEvent copies the response's
 * usageMetadata (`input_token_count` = promptTokenCount, `output_token_count` = candidatesTokenCount, …, 0 for
 * what it lacked).
 */
export function tokensFromApiResponse(event: Record<string, unknown>, values: ValueChecks): TokenCounts | null {
  return billed({
    prompt: values.count(event['input_token_count'], 'input_token_count'),
    candidates: values.count(event['output_token_count'], 'output_token_count'),
    cached: values.count(event['cached_content_token_count'], 'cached_content_token_count'),
    thoughts: values.count(event['thoughts_token_count'], 'thoughts_token_count'),
    toolUsePrompt: values.count(event['tool_token_count'], 'tool_token_count'),
    total: values.count(event['total_token_count'], 'total_token_count'),
  });
}

/**
 * The GenAI mapping (shared/parsers/genai/usage.ts: output = candidates + thoughts), after one correction Qwen
 * Code needs. Its OpenAI-compatible converter (DashScope, OpenRouter, local servers: Qwen Code's usual providers)
 * writes candidates = `completion_tokens`, which already includes `reasoning_tokens` (= thoughts), and total =
 * prompt + completion; only Google's own GenAI API counts thoughts apart and adds them to the total. So unless the total
 * says thoughts are outside (total ≥ prompt + candidates + thoughts), they are taken out of candidates first.
 */
function billed(usage: GenaiUsage): TokenCounts | null {
  if (isZeroGenaiUsage(usage)) return null;
  const { prompt, candidates, thoughts, total, toolUsePrompt } = usage;
  if (candidates === null || thoughts === null || thoughts === 0) return genaiTokenCounts(usage);
  const outside = total !== null && total >= (prompt ?? 0) + candidates + thoughts + (toolUsePrompt ?? 0);
  return genaiTokenCounts(outside ? usage : { ...usage, candidates: Math.max(candidates - thoughts, 0) });
}
