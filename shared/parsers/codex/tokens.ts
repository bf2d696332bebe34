import type { TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { isRecord } from '../values.js';

/** One usage object as Codex writes it; a null field was absent. */
export interface Usage {
  input: number | null;
  cachedInput: number | null;
  output: number | null;
  reasoningOutput: number | null;
  cacheWrite: number | null;
}

/** `{input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, cache_write_input_tokens}`. */
export function readUsage(value: unknown, values: ValueChecks): Usage | null {
  if (!isRecord(value)) return null;
  return {
    input: values.count(value['input_tokens'], 'input_tokens'),
    cachedInput:
      values.count(value['cached_input_tokens'], 'cached_input_tokens') ??
      values.count(value['cache_read_input_tokens'], 'cache_read_input_tokens'),
    output: values.count(value['output_tokens'], 'output_tokens'),
    reasoningOutput: values.count(value['reasoning_output_tokens'], 'reasoning_output_tokens'),
    cacheWrite: values.count(value['cache_write_input_tokens'], 'cache_write_input_tokens'),
  };
}

/** Usage in the pre-0.51 shapes: `info: {prompt, completion}` or flat `{input_tokens, output_tokens}`. */
export function readLegacyUsage(value: unknown, values: ValueChecks): Usage | null {
  if (!isRecord(value)) return null;
  const usage = readUsage(value, values);
  const input = usage?.input ?? values.count(value['prompt'], 'prompt') ?? values.count(value['prompt_tokens'], 'prompt_tokens');
  const output =
    usage?.output ?? values.count(value['completion'], 'completion') ?? values.count(value['completion_tokens'], 'completion_tokens');
  if (input === null && output === null) return null;
  return {
    input,
    cachedInput: usage?.cachedInput ?? null,
    output,
    reasoningOutput: usage?.reasoningOutput ?? null,
    cacheWrite: usage?.cacheWrite ?? null,
  };
}

export function isZeroUsage(usage: Usage): boolean {
  return !usage.input && !usage.cachedInput && !usage.output && !usage.reasoningOutput && !usage.cacheWrite;
}

function minus(current: number | null, previous: number | null): number | null {
  return current === null ? null : Math.max(current - (previous ?? 0), 0);
}

function sameTotals(a: Usage, b: Usage | null): boolean {
  return (
    b !== null &&
    a.input === b.input &&
    a.cachedInput === b.cachedInput &&
    a.output === b.output &&
    a.reasoningOutput === b.reasoningOutput &&
    a.cacheWrite === b.cacheWrite
  );
}

export type Metered =
  | { kind: 'usage'; usage: Usage }
  /** The cumulative totals equal the previous event's: a re-emission, not a new response. */
  | { kind: 'repeat' }
  /** No usage at all (`info: null`, zero usage, or nothing readable). */
  | { kind: 'none' };

/**
 * Turns the stream of `token_count` events into per-response usage. Holds the last totals only.
 * - `last_token_usage` is the response's usage; without it, the difference of consecutive
 *   `total_token_usage` (each field clamped at 0).
 * - An event whose `total_token_usage` equals the previous event's counts nothing (Codex re-emits the
 *   same totals, e.g. when rate limits refresh at the start of the next request).
 * - Legacy usage (old `info` keys, `turn.completed.usage`) counts only while no modern event has been seen,
 *   so a file carrying both never counts a response twice.
 */
export interface TokenMeterState {
  previousTotals: Usage | null;
  modernSeen: boolean;
}

export class TokenMeter {
  private previousTotals: Usage | null = null;
  private modernSeen = false;

  constructor(
    private readonly values: ValueChecks,
    state?: TokenMeterState,
  ) {
    if (state === undefined) return;
    this.previousTotals = state.previousTotals === null ? null : { ...state.previousTotals };
    this.modernSeen = state.modernSeen;
  }

  snapshot(): TokenMeterState {
    return { previousTotals: this.previousTotals === null ? null : { ...this.previousTotals }, modernSeen: this.modernSeen };
  }

  tokenCount(info: unknown): Metered {
    if (!isRecord(info)) return { kind: 'none' };
    const last = readUsage(info['last_token_usage'], this.values);
    const total = readUsage(info['total_token_usage'], this.values);
    if (last === null && total === null) return this.legacy(readLegacyUsage(info, this.values));
    this.modernSeen = true;
    if (total !== null) {
      if (sameTotals(total, this.previousTotals)) return { kind: 'repeat' };
      const previous = this.previousTotals;
      this.previousTotals = total;
      return metered(last ?? subtract(total, previous));
    }
    return metered(last);
  }

  /** `event_msg` `turn.completed` with a `usage` object (Codex 0.51/0.52 era). */
  turnCompleted(usage: unknown): Metered {
    return this.legacy(readLegacyUsage(usage, this.values));
  }

  private legacy(usage: Usage | null): Metered {
    if (usage === null || this.modernSeen) return { kind: 'none' };
    return metered(usage);
  }
}

function metered(usage: Usage | null): Metered {
  return usage === null || isZeroUsage(usage) ? { kind: 'none' } : { kind: 'usage', usage };
}

function subtract(current: Usage, previous: Usage | null): Usage {
  return {
    input: minus(current.input, previous?.input ?? null),
    cachedInput: minus(current.cachedInput, previous?.cachedInput ?? null),
    output: minus(current.output, previous?.output ?? null),
    reasoningOutput: minus(current.reasoningOutput, previous?.reasoningOutput ?? null),
    cacheWrite: minus(current.cacheWrite, previous?.cacheWrite ?? null),
  };
}

/**
 * One billed response in Claude's meaning, so columns sum across agents: `input` is Codex's `input_tokens`
 * minus the cached part (`cacheReadInput`), never negative; `output` stays Codex's, which includes
 * `reasoningOutput` as Claude's output includes thinking. Apply to a response's usage, never to running totals.
 */
export function toTokenCounts(usage: Usage): TokenCounts {
  return {
    input: minus(usage.input, usage.cachedInput),
    output: usage.output,
    cacheCreationInput: usage.cacheWrite,
    cacheReadInput: usage.cachedInput,
    reasoningOutput: usage.reasoningOutput,
  };
}
