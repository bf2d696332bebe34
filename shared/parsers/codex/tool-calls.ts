import type { CallResult } from '../pending-calls.js';
import { asString, asText, isRecord, parseJsonText } from '../values.js';
import { jointsOf, type JoinedText } from '../joined-text.js';
import { joinedContent } from './content.js';

/** What a call item says about itself, before it is tied to its message row. */
export interface CallDraft {
  callId: string | null;
  name: string;
  input: unknown;
  inputText: string | null;
  /** Items that never get an output record (web search, image generation) are finished on arrival. */
  settledOnArrival: boolean;
  isError: boolean | null;
}

/** response_item payload types that are a tool call, and the name stored for those that carry none. */
const CALL_ITEM_NAMES: Readonly<Record<string, string>> = {
  function_call: 'function_call',
  custom_tool_call: 'custom_tool_call',
  local_shell_call: 'local_shell',
  tool_search_call: 'tool_search',
  web_search_call: 'web_search',
  image_generation_call: 'image_generation',
};

const OUTPUT_ITEM_TYPES: ReadonlySet<string> = new Set([
  'function_call_output',
  'custom_tool_call_output',
  'local_shell_call_output',
  'tool_search_output',
]);

export function isCallItem(payloadType: string | null): payloadType is string {
  return payloadType !== null && Object.hasOwn(CALL_ITEM_NAMES, payloadType);
}

export function isOutputItem(payloadType: string | null): boolean {
  return payloadType !== null && OUTPUT_ITEM_TYPES.has(payloadType);
}

export function readCall(payloadType: string, payload: Record<string, unknown>): CallDraft {
  const callId = asText(payload['call_id']);
  const fallbackName = CALL_ITEM_NAMES[payloadType] ?? payloadType;
  switch (payloadType) {
    case 'function_call':
      return { callId, name: asText(payload['name']) ?? fallbackName, ...readArguments(payload['arguments']), ...open() };
    case 'custom_tool_call':
      return { callId, name: asText(payload['name']) ?? fallbackName, ...readArguments(payload['input']), ...open() };
    case 'tool_search_call':
      return { callId, name: fallbackName, ...readArguments(payload['arguments']), ...open() };
    case 'local_shell_call':
      return { callId, name: fallbackName, input: payload['action'] ?? null, inputText: null, ...open() };
    case 'image_generation_call': {
      const prompt = asText(payload['revised_prompt']);
      return {
        callId,
        name: fallbackName,
        input: prompt === null ? null : { revised_prompt: prompt },
        inputText: null,
        settledOnArrival: true,
        isError: statusIsError(payload['status']),
      };
    }
    default:
      // web_search_call: the search ran inside the model call; the item is its only record.
      return {
        callId,
        name: fallbackName,
        input: payload['action'] ?? null,
        inputText: null,
        settledOnArrival: true,
        isError: statusIsError(payload['status']),
      };
  }
}

function open(): { settledOnArrival: false; isError: null } {
  return { settledOnArrival: false, isError: null };
}

/** Arguments as JSON when they are JSON text (or already an object); otherwise the text itself. */
function readArguments(value: unknown): { input: unknown; inputText: string | null } {
  if (value === undefined || value === null) return { input: null, inputText: null };
  if (typeof value !== 'string') return { input: value, inputText: null };
  const parsed = parseJsonText(value);
  return parsed.unparsed === null ? { input: parsed.value, inputText: null } : { input: null, inputText: value };
}

/** `completed` → false, `failed`/`incomplete`/`error` → true, anything else (in progress, absent) → unknown. */
function statusIsError(status: unknown): boolean | null {
  if (status === 'completed') return false;
  if (status === 'failed' || status === 'incomplete' || status === 'error') return true;
  return null;
}

export function readOutput(payload: Record<string, unknown>): CallResult {
  const output = payload['output'];
  const joined = outputText(output);
  const resultText = joined?.text ?? (payload['tools'] === undefined ? null : JSON.stringify(payload['tools']));
  const resultJoints = jointsOf(joined);
  return {
    callId: asText(payload['call_id']),
    resultText,
    ...(resultJoints === undefined ? {} : { resultJoints }),
    isError: outputIsError(payload, output, resultText),
  };
}

/** A string as written; content items as their text; any other JSON value serialised. */
function outputText(output: unknown): JoinedText | null {
  if (output === undefined || output === null) return null;
  if (typeof output === 'string') return whole(output);
  if (Array.isArray(output)) return joinedContent(output) ?? whole(JSON.stringify(output));
  if (isRecord(output)) {
    const content = output['content'];
    if (typeof content === 'string') return whole(content);
    const text = joinedContent(content) ?? asString(output['text']);
    return typeof text === 'string' ? whole(text) : (text ?? whole(JSON.stringify(output)));
  }
  return whole(JSON.stringify(output));
}

function whole(text: string): JoinedText {
  return { text, joints: [] };
}

const EXIT_CODE_LINE = /^Process exited with code (-?\d+)\s*$/mu;

/**
 * Whether JSON text can hold an `exit_code` or `success` key: only then is it worth parsing (outputs are often
 * large JSON). A key spelled with `\u` escapes is the one way to hold either without the plain name.
 */
function mayNameErrorKeys(text: string): boolean {
  return text.includes('exit_code') || text.includes('success') || text.includes('\\u');
}

/**
 * The output says the call failed when: the payload or its output object says `success: false` /
 * `isError: true` / a failed status; the output is the JSON `{output, metadata: {exit_code}}` shape with a
 * non-zero exit code; or it is unified-exec text with a `Process exited with code N` line, N ≠ 0.
 */
function outputIsError(payload: Record<string, unknown>, output: unknown, text: string | null): boolean {
  if (statusIsError(payload['status']) === true) return true;
  if (isRecord(output) && (output['success'] === false || output['isError'] === true || output['is_error'] === true)) {
    return true;
  }
  if (text === null) return false;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && mayNameErrorKeys(trimmed)) {
    const parsed = parseJsonText(trimmed).value;
    if (isRecord(parsed)) {
      const metadata = parsed['metadata'];
      if (isRecord(metadata) && typeof metadata['exit_code'] === 'number') return metadata['exit_code'] !== 0;
      if (parsed['success'] === false) return true;
    }
  }
  const exit = EXIT_CODE_LINE.exec(text);
  return exit !== null && Number(exit[1]) !== 0;
}
