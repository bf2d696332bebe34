import type { TokenCounts } from '../types.js';
import type { ValueChecks } from '../value-checks.js';

/** Token counts of a Claude `message.usage` object; null when there is no usage object. */
export function tokensFromUsage(value: unknown, values: ValueChecks): TokenCounts | null {
  const usage = values.record(value, 'usage');
  if (usage === null) return null;
  return {
    input: values.count(usage['input_tokens'], 'input_tokens'),
    output: values.count(usage['output_tokens'], 'output_tokens'),
    cacheCreationInput: values.count(usage['cache_creation_input_tokens'], 'cache_creation_input_tokens'),
    cacheReadInput: values.count(usage['cache_read_input_tokens'], 'cache_read_input_tokens'),
    // Claude reports thinking inside output_tokens; there is no separate billed reasoning count.
    reasoningOutput: null,
  };
}
