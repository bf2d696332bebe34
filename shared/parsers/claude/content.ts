import { joinPieces, jointsOf, type JoinedText } from '../joined-text.js';
import { asBoolean, asString, asText, isRecord, parseJsonText } from '../values.js';

/** A `tool_use` block, positioned among the tool_use blocks of its line. */
export interface ToolUseBlock {
  callIndex: number;
  callId: string | null;
  name: string;
  input: unknown;
  inputText: string | null;
}

/** A `tool_result` block (only read from user lines). */
export interface ToolResultBlock {
  toolUseId: string | null;
  text: string | null;
  /** Where `text` was joined from blocks (joined-text.ts). */
  joints: readonly number[] | undefined;
  isError: boolean;
  /** The file the full output was saved to, when the text is only Claude Code's `<persisted-output>` preview. */
  savedTo: string | null;
}

export interface MessageContent {
  text: string | null;
  thinking: string | null;
  /** Where text and thinking were joined from blocks (joined-text.ts). */
  textJoints: readonly number[] | undefined;
  thinkingJoints: readonly number[] | undefined;
  toolUses: ToolUseBlock[];
  toolResults: ToolResultBlock[];
}

/** Name stored for a tool_use block that has none. */
export const MISSING_TOOL_NAME = '<missing>';

/**
 * Reads `message.content`: a plain string, or an array of blocks. Text blocks are joined with "\n";
 * image, fallback and any other block kinds carry no text and are skipped.
 */
export function readContent(content: unknown, readToolResults: boolean): MessageContent {
  if (typeof content === 'string') {
    return { text: asText(content), thinking: null, textJoints: undefined, thinkingJoints: undefined, toolUses: [], toolResults: [] };
  }
  const texts: string[] = [];
  const thoughts: string[] = [];
  const toolUses: ToolUseBlock[] = [];
  const toolResults: ToolResultBlock[] = [];
  if (Array.isArray(content)) {
    for (const block of content) {
      if (!isRecord(block)) continue;
      switch (block['type']) {
        case 'text': {
          const text = asString(block['text']);
          if (text !== null) texts.push(text);
          break;
        }
        case 'thinking': {
          const thinking = asString(block['thinking']);
          if (thinking !== null) thoughts.push(thinking);
          break;
        }
        case 'tool_use':
          toolUses.push(readToolUse(block, toolUses.length));
          break;
        case 'tool_result':
          if (readToolResults) toolResults.push(readToolResult(block));
          break;
        default:
          break;
      }
    }
  }
  const text = joinNonEmpty(texts);
  const thinking = joinNonEmpty(thoughts);
  return {
    text: text?.text ?? null,
    thinking: thinking?.text ?? null,
    textJoints: jointsOf(text),
    thinkingJoints: jointsOf(thinking),
    toolUses,
    toolResults,
  };
}

/** The text of a string or of the text blocks of an array (a queued prompt), with where blocks were joined. */
export function readText(content: unknown): { text: string | null; joints: readonly number[] | undefined } {
  if (typeof content === 'string') return { text: asText(content), joints: undefined };
  const read = readContent(content, false);
  return { text: read.text, joints: read.textJoints };
}

function readToolUse(block: Record<string, unknown>, callIndex: number): ToolUseBlock {
  const rawInput = block['input'];
  // Claude writes input as an object; a string is kept parsed when it holds JSON, verbatim otherwise.
  if (typeof rawInput === 'string') {
    const parsed = parseJsonText(rawInput);
    return { callIndex, callId: asText(block['id']), name: toolName(block), input: parsed.value, inputText: parsed.unparsed };
  }
  return { callIndex, callId: asText(block['id']), name: toolName(block), input: rawInput ?? null, inputText: null };
}

function toolName(block: Record<string, unknown>): string {
  return asText(block['name']) ?? MISSING_TOOL_NAME;
}

function readToolResult(block: Record<string, unknown>): ToolResultBlock {
  const joined = resultText(block['content']);
  const text = joined?.text ?? null;
  return {
    toolUseId: asText(block['tool_use_id']),
    text,
    joints: jointsOf(joined),
    isError: asBoolean(block['is_error']) ?? false,
    savedTo: text === null ? null : persistedOutputPath(text),
  };
}

const PERSISTED_OUTPUT = /<persisted-output>[\s\S]*?Full output saved to: ([^\r\n]+)/u;

/** `<persisted-output>\nOutput too large (34.3KB). Full output saved to: /…/tool-results/x.txt\n…` → the path. */
export function persistedOutputPath(text: string): string | null {
  // Most results are not previews; a plain search rules them out faster than the pattern does.
  if (!text.includes('<persisted-output>')) return null;
  const match = PERSISTED_OUTPUT.exec(text);
  return asText(match?.[1]?.trim());
}

function resultText(content: unknown): JoinedText | null {
  if (typeof content === 'string') return { text: content, joints: [] };
  if (!Array.isArray(content)) return null;
  const texts: string[] = [];
  for (const block of content) {
    if (isRecord(block) && block['type'] === 'text') {
      const text = asString(block['text']);
      if (text !== null) texts.push(text);
    }
  }
  return joinPieces(texts);
}

function joinNonEmpty(parts: string[]): JoinedText | null {
  const joined = joinPieces(parts);
  return asText(joined.text) === null ? null : joined;
}
