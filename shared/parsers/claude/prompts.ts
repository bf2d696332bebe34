/**
 * Which user rows are prompts a person typed (the session title is cut from the first one: ../title.ts).
 * Claude Code writes its own text into user lines (slash-command envelopes, local command output, hook and
 * task notices, resume caveats, the compaction preamble); those are not prompts.
 */

const INJECTED_PREFIXES = [
  '<local-command-caveat>',
  '<local-command-stdout>',
  '<command-name>',
  '<command-message>',
  '<system-reminder>',
  '<task-notification>',
  '[Request interrupted',
  'This session is being continued from a previous conversation',
  'Caveat: The messages below were generated',
] as const;


export interface PromptCandidate {
  text: string | null;
  isMeta: boolean;
  isCompactSummary: boolean;
}

export function isInjectedText(text: string): boolean {
  const trimmed = text.trimStart();
  return INJECTED_PREFIXES.some((prefix) => trimmed.startsWith(prefix));
}

/** A user row (or queued command) holding text the user wrote. */
export function isRealPrompt(candidate: PromptCandidate): boolean {
  if (candidate.isMeta || candidate.isCompactSummary || candidate.text === null) return false;
  if (candidate.text.trim() === '') return false;
  return !isInjectedText(candidate.text);
}
