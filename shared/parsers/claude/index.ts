/**
 * Claude Code transcript parser (`~/.claude/projects/<dir>/<session>.jsonl` and subagent files).
 *
 * Rows
 * - One message row per `user`, `assistant` and `system` line, and per `attachment` line of type
 *   `queued_command` (role user, source type `attachment`, subtype `queued_command`), numbered from 0 in line
 *   order. A line with no `type` whose `message.role` is user/assistant (ccusage's usage-only lines) counts as
 *   that type and its row's source type is that role.
 * - A queued command's `attachment.prompt` is read like message content: a string, or the text of its text
 *   blocks (newer versions write blocks there, images included).
 * - Text is the string content or the text blocks joined with "\n"; empty text is null. Thinking blocks
 *   likewise. Other block kinds (image, fallback, …) are not text.
 * - Compaction: a `system` `compact_boundary` line and a user/assistant line with `isCompactSummary` are
 *   boundaries.
 * - Known bookkeeping record types and non-queued attachments count as ignored lines; any other type is
 *   counted by name (`<missing>` when absent). Odd field types read as null; nothing throws.
 *
 * Tool calls
 * - Each `tool_use` block is a call (any message row; index among the line's tool_use blocks). `tool_result`
 *   blocks of user lines pair by `tool_use_id` with a call anywhere earlier in the session. A paired call has
 *   isError true/false (false when `is_error` is absent) and the result text (string content, or its text
 *   blocks joined with "\n"; null when the content is neither). Pending calls keep isError null.
 * - A call goes out when its result arrives or, still pending, at the end. A call without an id can never
 *   be paired and goes out at once. A result matching no waiting call is dropped without a count.
 * - A second call reusing a waiting call's id sends the first one out as pending (the result pairs with
 *   the latest).
 *
 * Tokens (see responses.ts)
 * - Assistant lines sharing `message.id` + `requestId` form one response; only assistant lines with another
 *   key end it. The line with the largest output_tokens (last on a tie) carries the tokens; a response whose
 *   lines have no usage carries none. A key seen earlier in the session is a repeat: no tokens, counted once
 *   in `duplicateResponses`.
 *
 * Summary
 * - Session model: the model with the most first-seen responses (`<synthetic>` never; ties → first
 *   billed); a response's model is that of its token-carrying line, else of any of its lines.
 * - userMessageCount counts real prompts in every row, sidechain rows included; the title prefers the first
 *   real prompt outside sidechains. See prompts.ts for what is not a real prompt.
 * - Timestamps are normalised to ISO-8601 UTC; startedAt/endedAt span every line that has a valid one.
 * - The first non-empty `sessionId`, `cwd`, `gitBranch`, `version` and `entrypoint` of any line win.
 */

import type { ParserDefinition } from '../types.js';
import { ClaudeSessionParser } from './session-parser.js';
import { ValueChecks } from '../value-checks.js';

export const CLAUDE_PARSER_VERSION = 'claude/3';

export const claudeParser: ParserDefinition = {
  agent: 'claude',
  version: CLAUDE_PARSER_VERSION,
  create: (context, values = new ValueChecks()) => new ClaudeSessionParser(context, values),
  resume: (context, values, state) => ClaudeSessionParser.resume(context, values, state),
};

export { responseDedupKey } from './response-key.js';
export { isRealPrompt } from './prompts.js';
export { classifyRecord, IGNORED_RECORD_TYPES } from './record-kind.js';
