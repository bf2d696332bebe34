import type { CompactionTokens, TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';

/**
 * Token counts of a Claude `message.usage` object; null when there is no usage object.
 *
 * Cache writes: `cache_creation_input_tokens` is the total, `cache_creation.ephemeral_5m_input_tokens` and
 * `ephemeral_1h_input_tokens` its split by cache lifetime (1-hour writes cost more). A total that is absent is
 * the sum of the split; a total that disagrees with the split is billed as the larger of the two and counted
 * (`ValueChecks.disagree`): tokens are never dropped to make the two agree.
 *
 * Compaction: `usage.iterations[]` entries of type `compaction` are sampling steps Anthropic bills that the
 * top-level fields do not include (README "Compaction iterations"); their sums come back in `compaction`.
 */
export function tokensFromUsage(value: unknown, values: ValueChecks): TokenCounts | null {
  const usage = values.record(value, 'usage');
  if (usage === null) return null;
  const cacheWrites = cacheWritesOf(usage, values, '');
  const tokens: TokenCounts = {
    input: values.count(usage['input_tokens'], 'input_tokens'),
    output: values.count(usage['output_tokens'], 'output_tokens'),
    cacheCreationInput: cacheWrites.total,
    cacheReadInput: values.count(usage['cache_read_input_tokens'], 'cache_read_input_tokens'),
    // Claude reports thinking inside output_tokens; there is no separate billed reasoning count.
    reasoningOutput: null,
  };
  if (cacheWrites.oneHour !== null) tokens.cacheCreation1hInput = cacheWrites.oneHour;
  const compaction = compactionOf(usage['iterations'], values);
  if (compaction !== null) tokens.compaction = compaction;
  return tokens;
}

interface CacheWrites {
  total: number | null;
  /** Null when the usage object gave no split. */
  oneHour: number | null;
}

function cacheWritesOf(usage: Record<string, unknown>, values: ValueChecks, prefix: string): CacheWrites {
  const total = values.count(usage['cache_creation_input_tokens'], `${prefix}cache_creation_input_tokens`);
  const split = values.record(usage['cache_creation'], `${prefix}cache_creation`);
  if (split === null) return { total, oneHour: null };
  const fiveMinutes = values.count(split['ephemeral_5m_input_tokens'], `${prefix}ephemeral_5m_input_tokens`);
  const oneHour = values.count(split['ephemeral_1h_input_tokens'], `${prefix}ephemeral_1h_input_tokens`);
  if (fiveMinutes === null && oneHour === null) return { total, oneHour: null };
  // Two safe counts can add up past 2^53: such a sum is rejected like any count no column holds exactly.
  const splitSum = values.count((fiveMinutes ?? 0) + (oneHour ?? 0), `${prefix}cache_creation`);
  if (splitSum === null) return { total, oneHour: null };
  if (total === null) return { total: splitSum, oneHour: oneHour ?? 0 };
  if (total !== splitSum) values.disagree(`${prefix}cache_creation_input_tokens`);
  return { total: Math.max(total, splitSum), oneHour: oneHour ?? 0 };
}

const COMPACTION = 'compaction';
const ITERATION = 'iterations[]';

/** Sums of the compaction iterations; null when there are none. Other iteration types are in the top level. */
function compactionOf(value: unknown, values: ValueChecks): CompactionTokens | null {
  const iterations = values.list(value, 'iterations');
  if (iterations === null) return null;
  let sums: CompactionTokens | null = null;
  for (const entry of iterations) {
    const iteration = values.record(entry, ITERATION);
    if (iteration === null || iteration['type'] !== COMPACTION) continue;
    const prefix = `${ITERATION}.`;
    const cacheWrites = cacheWritesOf(iteration, values, prefix);
    const step: CompactionTokens = {
      input: values.count(iteration['input_tokens'], `${prefix}input_tokens`) ?? 0,
      output: values.count(iteration['output_tokens'], `${prefix}output_tokens`) ?? 0,
      cacheCreationInput: cacheWrites.total ?? 0,
      cacheCreation1hInput: cacheWrites.oneHour ?? 0,
      cacheReadInput: values.count(iteration['cache_read_input_tokens'], `${prefix}cache_read_input_tokens`) ?? 0,
    };
    sums = sums === null ? step : addCompaction(sums, step, values);
  }
  return sums;
}

function addCompaction(a: CompactionTokens, b: CompactionTokens, values: ValueChecks): CompactionTokens {
  const add = (x: number, y: number, field: string) => values.count(x + y, `${ITERATION}.${field}`) ?? x;
  return {
    input: add(a.input, b.input, 'input_tokens'),
    output: add(a.output, b.output, 'output_tokens'),
    cacheCreationInput: add(a.cacheCreationInput, b.cacheCreationInput, 'cache_creation_input_tokens'),
    cacheCreation1hInput: add(a.cacheCreation1hInput, b.cacheCreation1hInput, 'ephemeral_1h_input_tokens'),
    cacheReadInput: add(a.cacheReadInput, b.cacheReadInput, 'cache_read_input_tokens'),
  };
}
