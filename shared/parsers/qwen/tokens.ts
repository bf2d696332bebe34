import type { TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';

/** The five numbers of one model response, as Qwen Code logs them under either name. */
interface ResponseUsage {
  /** Prompt tokens, cached ones included. */
  prompt: number | null;
  candidates: number | null;
  cached: number | null;
  thoughts: number | null;
  total: number | null;
}

/**
 * Billed tokens of an assistant record's `usageMetadata` (the GenAI usage object Qwen Code stores as it got it):
 * `promptTokenCount`, `candidatesTokenCount`, `cachedContentTokenCount`, `thoughtsTokenCount`, `totalTokenCount`.
 * Null when there is no usage object or it holds no count.
 */
export function tokensFromUsageMetadata(value: unknown, values: ValueChecks): TokenCounts | null {
  const usage = values.record(value, 'usageMetadata');
  if (usage === null) return null;
  return toTokenCounts({
    prompt: values.count(usage['promptTokenCount'], 'promptTokenCount'),
    candidates: values.count(usage['candidatesTokenCount'], 'candidatesTokenCount'),
    cached: values.count(usage['cachedContentTokenCount'], 'cachedContentTokenCount'),
    thoughts: values.count(usage['thoughtsTokenCount'], 'thoughtsTokenCount'),
    total: values.count(usage['totalTokenCount'], 'totalTokenCount'),
  });
}

/**
 * Billed tokens of a `qwen-code.api_response` telemetry event (`input_token_count` = promptTokenCount,
 * `output_token_count` = candidatesTokenCount, … — ApiResponseEvent copies the same usageMetadata, with 0 for
 * what it lacked).
 */
export function tokensFromApiResponse(event: Record<string, unknown>, values: ValueChecks): TokenCounts | null {
  return toTokenCounts({
    prompt: values.count(event['input_token_count'], 'input_token_count'),
    candidates: values.count(event['output_token_count'], 'output_token_count'),
    cached: values.count(event['cached_content_token_count'], 'cached_content_token_count'),
    thoughts: values.count(event['thoughts_token_count'], 'thoughts_token_count'),
    total: values.count(event['total_token_count'], 'total_token_count'),
  });
}

/**
 * Onto the columns Claude's rows use (README "Qwen Code"): `input` = prompt minus cached (never negative),
 * `cacheReadInput` = cached, `output` includes reasoning, `reasoningOutput` = thoughts, no cache writes (GenAI
 * usage has none).
 *
 * Whether thoughts are inside candidates depends on the provider Qwen Code talked to: its OpenAI-compatible
 * converter (DashScope, OpenRouter, local servers) sets candidates = `completion_tokens`, which includes
 * `reasoning_tokens`, and total = prompt + completion; the Gemini API counts thoughts apart, and its total adds
 * them. So thoughts are added to output only when the total says they are outside: total ≥ prompt + candidates
 * + thoughts. Without a total they are taken as inside (Qwen Code's usual providers).
 */
function toTokenCounts(usage: ResponseUsage): TokenCounts | null {
  const { prompt, candidates, cached, thoughts, total } = usage;
  if (prompt === null && candidates === null && cached === null && thoughts === null) return null;
  let input = prompt;
  if (prompt !== null && cached !== null) input = Math.max(0, prompt - cached);
  const thoughtsOutside =
    thoughts !== null && thoughts > 0 && total !== null && total >= (prompt ?? 0) + (candidates ?? 0) + thoughts;
  const output = thoughtsOutside ? (candidates ?? 0) + thoughts : candidates;
  return { input, output, cacheCreationInput: null, cacheReadInput: cached, reasoningOutput: thoughts };
}

/** Whether a response reported any tokens at all (an all-zero usage bills nothing). */
export function isEmptyUsage(tokens: TokenCounts): boolean {
  return !tokens.input && !tokens.output && !tokens.cacheReadInput && !tokens.reasoningOutput;
}
