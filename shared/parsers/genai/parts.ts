import { isRecord } from '../values.js';

/**
 * Reading Google GenAI `Part`s (`@google/genai`), as Gemini CLI and Qwen Code write them into their logs:
 * `{text}`, `{text, thought: true}` (reasoning), `{functionCall: {id?, name, args}}`,
 * `{functionResponse: {id?, name, response}}`, `{inlineData: {mimeType, data}}`, `{fileData: {mimeType, fileUri}}`,
 * and others (`executableCode`, `codeExecutionResult`, …) that carry nothing stored. Pure, total functions:
 * anything of another shape is counted, never thrown on.
 */

export interface FunctionCallPart {
  /** `functionCall.id`; null when the part has none (older models send none). */
  id: string | null;
  name: string;
  /** `functionCall.args` as written (an object, normally); null when absent. */
  args: unknown;
}

export interface FunctionResponsePart {
  id: string | null;
  name: string | null;
  /** `functionResponse.response` as written (`{output}` or `{error}`, normally). */
  response: unknown;
}

export interface GenaiParts {
  /** Text of the parts that are not thoughts, in order (empty texts left out). */
  readonly texts: readonly string[];
  /** Text of the `thought: true` parts, in order. */
  readonly thoughts: readonly string[];
  readonly functionCalls: readonly FunctionCallPart[];
  readonly functionResponses: readonly FunctionResponsePart[];
  /** MIME type of each `inlineData` / `fileData` part (their bytes are not kept); `null` when it named none. */
  readonly media: readonly (string | null)[];
  /** Parts of no kind above (not an object, or a kind we do not store). */
  readonly other: number;
}

// Read once per message and per tool result: most lists stay empty, so they are shared until a part needs one.
const NONE: readonly never[] = Object.freeze([]);
const NO_PARTS: GenaiParts = Object.freeze({ texts: NONE, thoughts: NONE, functionCalls: NONE, functionResponses: NONE, media: NONE, other: 0 });

interface PartLists {
  texts: string[] | null;
  thoughts: string[] | null;
  functionCalls: FunctionCallPart[] | null;
  functionResponses: FunctionResponsePart[] | null;
  media: (string | null)[] | null;
  other: number;
}

/**
 * The parts of a `PartListUnion` (a string, one part, or an array of strings and parts) or of a `Content`
 * (`{role, parts}`).
 */
export function readParts(content: unknown): GenaiParts {
  if (content === undefined || content === null) return NO_PARTS;
  if (typeof content === 'string') {
    return content.length > 0 ? { texts: [content], thoughts: NONE, functionCalls: NONE, functionResponses: NONE, media: NONE, other: 0 } : NO_PARTS;
  }
  const into: PartLists = { texts: null, thoughts: null, functionCalls: null, functionResponses: null, media: null, other: 0 };
  if (Array.isArray(content)) {
    for (const part of content) readPart(part, into);
  } else if (isRecord(content) && Array.isArray(content['parts'])) {
    for (const part of content['parts']) readPart(part, into);
  } else {
    readPart(content, into);
  }
  return {
    texts: into.texts ?? NONE,
    thoughts: into.thoughts ?? NONE,
    functionCalls: into.functionCalls ?? NONE,
    functionResponses: into.functionResponses ?? NONE,
    media: into.media ?? NONE,
    other: into.other,
  };
}

function readPart(part: unknown, into: PartLists): void {
  if (typeof part === 'string') {
    if (part.length > 0) (into.texts ??= []).push(part);
    return;
  }
  if (!isRecord(part)) {
    into.other += 1;
    return;
  }
  const text = part['text'];
  if (typeof text === 'string') {
    if (text.length > 0) {
      if (part['thought'] === true) (into.thoughts ??= []).push(text);
      else (into.texts ??= []).push(text);
    }
    return;
  }
  const call = part['functionCall'];
  if (isRecord(call) && typeof call['name'] === 'string') {
    (into.functionCalls ??= []).push({ id: stringOrNull(call['id']), name: call['name'], args: call['args'] ?? null });
    return;
  }
  const response = part['functionResponse'];
  if (isRecord(response)) {
    (into.functionResponses ??= []).push({ id: stringOrNull(response['id']), name: stringOrNull(response['name']), response: response['response'] ?? null });
    return;
  }
  const media = isRecord(part['inlineData']) ? part['inlineData'] : isRecord(part['fileData']) ? part['fileData'] : null;
  if (media !== null) {
    (into.media ??= []).push(stringOrNull(media['mimeType']));
    return;
  }
  into.other += 1;
}

/** What a `functionResponse.response` says: its text, and whether it reports an error. */
export interface ResponseResult {
  /** `output` when it is text, else `error` when it is text, else the response as JSON; null when absent. */
  text: string | null;
  /** True when the response has an `error` member (the GenAI convention for a failed call). */
  isError: boolean;
}

export function responseResult(response: unknown): ResponseResult {
  if (response === undefined || response === null) return { text: null, isError: false };
  if (typeof response === 'string') return { text: response, isError: false };
  if (!isRecord(response)) return { text: JSON.stringify(response), isError: false };
  const isError = response['error'] !== undefined && response['error'] !== null;
  const output = response['output'];
  if (typeof output === 'string') return { text: output, isError };
  const error = response['error'];
  if (typeof error === 'string') return { text: error, isError };
  return { text: JSON.stringify(response), isError };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
