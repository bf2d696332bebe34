import { joinPieces, type JoinedText } from '../joined-text.js';
import { asString, isRecord } from '../values.js';

/** Content item kinds that carry readable text in messages, outputs and reasoning. */
const TEXT_ITEM_TYPES: ReadonlySet<string> = new Set([
  'input_text',
  'output_text',
  'text',
  'summary_text',
  'reasoning_text',
  'inputText',
]);

/**
 * The text of message content: a string as is, or the text items of an array joined with "\n" (images and
 * other items are not text), with where they were joined (joined-text.ts). Null when there is no non-empty text.
 */
export function joinedContent(content: unknown): JoinedText | null {
  if (typeof content === 'string') return content.length > 0 ? { text: content, joints: [] } : null;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const item of content) {
    if (typeof item === 'string') {
      if (item.length > 0) parts.push(item);
    } else if (isRecord(item)) {
      const type = asString(item['type']);
      const text = asString(item['text']);
      if (text !== null && text.length > 0 && (type === null || TEXT_ITEM_TYPES.has(type))) parts.push(text);
    }
  }
  const joined = joinPieces(parts);
  return joined.text.length > 0 ? joined : null;
}

/** Reasoning summaries (what Codex shows), else raw reasoning content when the log has it. */
export function reasoningText(payload: Record<string, unknown>): JoinedText | null {
  return joinedContent(payload['summary']) ?? joinedContent(payload['content']);
}

/**
 * Openings of text that Codex itself puts into user-role messages: the environment and instruction
 * preambles, skills, notices about aborted turns and subagents, and the record of a shell command the user
 * ran with `!`. None of them is a prompt the user typed.
 */
const INJECTED_OPENINGS = [
  '<environment_context>',
  '<user_instructions>',
  '<INSTRUCTIONS>',
  '# AGENTS.md instructions',
  '<skill>',
  '<turn_aborted>',
  '<user_shell_command>',
  '<subagent_notification>',
] as const;

export function isInjectedContext(text: string | null): boolean {
  if (text === null) return false;
  const start = text.trimStart();
  return INJECTED_OPENINGS.some((opening) => start.startsWith(opening));
}
