import type { TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { isRecord } from '../values.js';

/**
 * Google GenAI `usageMetadata` (`GenerateContentResponseUsageMetadata`) of one model response, and how it maps
 * onto sessionlake's token columns. Shared by the agents that log GenAI usage (Gemini CLI, Qwen Code).
 *
 * What Google's fields mean: `promptTokenCount` is the whole prompt, the cached part
 * (`cachedContentTokenCount`) included; `candidatesTokenCount` is the answer without the reasoning
 * (`thoughtsTokenCount`); `toolUsePromptTokenCount` is the prompt of server-side tool use (search grounding,
 * code execution), not part of `promptTokenCount`; `totalTokenCount` = prompt + candidates + thoughts + tool use.
 */
export interface GenaiUsage {
  prompt: number | null;
  candidates: number | null;
  cached: number | null;
  thoughts: number | null;
  toolUsePrompt: number | null;
  total: number | null;
}

/** A `usageMetadata` object by its GenAI field names; null when the value is not an object. */
export function readUsageMetadata(value: unknown, values: ValueChecks): GenaiUsage | null {
  if (!isRecord(value)) return null;
  return {
    prompt: values.count(value['promptTokenCount'], 'promptTokenCount'),
    candidates: values.count(value['candidatesTokenCount'], 'candidatesTokenCount'),
    cached: values.count(value['cachedContentTokenCount'], 'cachedContentTokenCount'),
    thoughts: values.count(value['thoughtsTokenCount'], 'thoughtsTokenCount'),
    toolUsePrompt: values.count(value['toolUsePromptTokenCount'], 'toolUsePromptTokenCount'),
    total: values.count(value['totalTokenCount'], 'totalTokenCount'),
  };
}

/** No token of any kind: nothing was billed (a placeholder, or a response that never happened). */
export function isZeroGenaiUsage(usage: GenaiUsage): boolean {
  return !usage.prompt && !usage.candidates && !usage.cached && !usage.thoughts && !usage.toolUsePrompt;
}

/**
 * One billed response in the columns' meaning (README "Data model"), so they sum across agents:
 * - `input`: the prompt without its cached part (never negative) plus the tool-use prompt, which Google bills
 *   as input and leaves out of `promptTokenCount`;
 * - `cacheReadInput`: `cachedContentTokenCount`; `cacheCreationInput`: null (GenAI reports no cache writes);
 * - `output`: candidates plus thoughts (reasoning is billed as output and counted inside output, as Claude's
 *   thinking and Codex's reasoning are); `reasoningOutput`: thoughts.
 * A column is null only when every field it is made of is absent.
 */
export function genaiTokenCounts(usage: GenaiUsage): TokenCounts {
  const uncachedPrompt = usage.prompt === null ? null : Math.max(usage.prompt - (usage.cached ?? 0), 0);
  return {
    input: sum(uncachedPrompt, usage.toolUsePrompt),
    output: sum(usage.candidates, usage.thoughts),
    cacheCreationInput: null,
    cacheReadInput: usage.cached,
    reasoningOutput: usage.thoughts,
  };
}

function sum(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : a + b;
}
