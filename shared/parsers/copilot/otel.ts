import type { TokenCounts } from '../../model.js';
import type { ValueChecks } from '../value-checks.js';
import { asText, isRecord } from '../values.js';
import { tokensFromNumbers } from './tokens.js';

/** A model call's span from Copilot CLI's OpenTelemetry file exporter (`COPILOT_OTEL_EXPORTER_TYPE=file`). */
export interface ChatSpan {
  spanId: string;
  parentSpanId: string | null;
  operation: string;
  model: string | null;
  conversationId: string | null;
  responseId: string;
  timestamp: string | null;
  tokens: TokenCounts | null;
  usage: Record<string, number>;
}

const USAGE_PREFIX = 'gen_ai.usage.';

/**
 * The usage of a `chat` span (gen_ai.operation.name), or null for every other span (invoke_agent, execute_tool…:
 * they repeat or carry no per-call usage). The response id is `gen_ai.response.id`, or the span's own ids when the
 * span has none; the session it belongs to is `gen_ai.conversation.id`; its time is the span's end.
 */
export function readChatSpan(record: Record<string, unknown>, values: ValueChecks): ChatSpan | null {
  const attributes = isRecord(record['attributes']) ? record['attributes'] : {};
  const operation = asText(attributes['gen_ai.operation.name']);
  if (operation !== 'chat') return null;
  const usage: Record<string, number> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith(USAGE_PREFIX) && typeof value === 'number') usage[key] = value;
  }
  const count = (name: string): number | null => values.count(attributes[`${USAGE_PREFIX}${name}`], name);
  const tokens = tokensFromNumbers({
    input: count('input_tokens'),
    output: count('output_tokens'),
    cacheRead: count('cache_read.input_tokens'),
    cacheWrite: count('cache_write.input_tokens'),
    reasoning: count('reasoning.output_tokens'),
  });
  if (tokens === null) return null;
  const spanId = asText(record['spanId']) ?? '';
  const traceId = asText(record['traceId']) ?? '';
  return {
    spanId,
    parentSpanId: asText(record['parentSpanId']) ?? asText(record['parentId']),
    operation,
    model: asText(attributes['gen_ai.response.model']) ?? asText(attributes['gen_ai.request.model']),
    conversationId: asText(attributes['gen_ai.conversation.id']),
    responseId: asText(attributes['gen_ai.response.id']) ?? `span:${traceId}/${spanId}`,
    timestamp: values.timestamp(hrTimeMillis(record['endTime']) ?? hrTimeMillis(record['startTime']), 'endTime'),
    tokens,
    usage,
  };
}

/** OpenTelemetry's HrTime `[seconds, nanoseconds]` in milliseconds (what asTimestamp reads as a Unix time). */
function hrTimeMillis(value: unknown): number | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [seconds, nanos] = value as unknown[];
  if (typeof seconds !== 'number' || typeof nanos !== 'number') return null;
  return seconds * 1000 + Math.floor(nanos / 1e6);
}
