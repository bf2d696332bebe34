/**
 * Codex CLI rollout parser (`~/.codex/sessions/YYYY/MM/DD/rollout-<timestamp>-<uuid>.jsonl`).
 *
 * Lines are `{timestamp, type, payload}`; `type` is session_meta, turn_context, response_item, event_msg or
 * compacted, and `payload.type` tells response items and events apart. Any other top-level type is counted
 * by name in `unknownTypes` (`<missing>` when absent), as are response items of an unknown payload type
 * (`response_item:<type>`). Event types other than those below are UI echoes of response items and count as
 * ignored lines. Nothing throws on odd shapes: a field of the wrong type reads as absent.
 *
 * Session
 * - The first session_meta is the rollout's own: id (`id`, else `session_id`), cwd (else the first
 *   turn_context's), project = last path segment of cwd, `git.branch`, `cli_version`. Originator: `source`
 *   when it is a string (cli, exec, vscode…), `subagent` when it is an object naming a subagent, else the
 *   `originator` field. Parent: `source.subagent.thread_spawn.parent_thread_id`, else `forked_from_id`,
 *   else `parent_thread_id`. Without a session_meta, the id is the uuid the file name ends with.
 * - Model of the session: the model with the most billed responses (ties: first billed); with none billed,
 *   the model of the most turns.
 * - startedAt/endedAt: earliest and latest valid line timestamp (normalised to ISO-8601 UTC).
 * - Title: the first real prompt, whitespace collapsed, 200 characters (same rule as Claude).
 *
 * Messages (ordinals from 0 in line order; `requestId` = the current turn id, from task_started or
 * turn_context, cleared at task_complete/turn_aborted)
 * - Text comes from response items; the event_msg copies (user_message, agent_message, agent_reasoning)
 *   are not stored again. User prompts: see prompts.ts — a response_item user message is a prompt (role
 *   `user`) when Codex also wrote a user_message event for it (or, in logs that have no such events at all,
 *   when its text is not injected). Harness-injected user-role text (AGENTS.md, `<environment_context>`,
 *   `<user_instructions>`, skills…) is stored with role `system`. A user_message event whose response_item
 *   twin never came is stored itself (source type event_msg).
 * - `developer` messages are rows with role `developer` (never prompts); `system` ones role `system`.
 * - Assistant messages: role `assistant`, text = output_text items joined with "\n", model = the current
 *   turn_context model.
 * - Reasoning items: role `assistant` rows with `thinking` = summary text (else raw reasoning content);
 *   encrypted-only reasoning stores nothing (ignored line).
 * - `compacted` records: role `system` rows with isCompactBoundary and text = `payload.message` (the
 *   replacement history is not stored). The context_compacted event is its echo.
 * - Inter-agent `agent_message` response items: role `system` (input, but not the user's).
 * - isSidechain is false: a Codex subagent is its own rollout, linked through parentSourceSessionId.
 *
 * Tool calls
 * - function_call, custom_tool_call, local_shell_call, tool_search_call, web_search_call and
 *   image_generation_call each get their own role `assistant` row (text null) holding one call (index 0).
 *   Arguments (`arguments`, or `input` for custom tools) that are JSON text are stored parsed in `input`;
 *   other text goes to `inputText`. local_shell/web_search store their `action` as input.
 * - Outputs (`*_output`) pair by call_id: resultText is the output string, or the text of its content
 *   items, or the JSON of anything else; isError is true when the output says so (see tool-calls.ts),
 *   else false. An output whose call is not waiting is an ignored line.
 * - A call with no output yet stays pending (resultText and isError null) and is written at finish().
 *   web_search/image_generation calls have no output record: written at once, isError from `status`.
 *
 * Tokens
 * - One billed row per `token_count` event that reports new usage: role `assistant`, source type
 *   event_msg / token_count, text null, tokens set (null on every other row), rawUsage = `payload.info`,
 *   model = the model the event names (`info.model`…, as ccusage) else the current turn_context model,
 *   requestId = the last turn started (kept past task_complete/turn_aborted: usage always has a turn).
 * - Usage is `info.last_token_usage`; without it, the difference of consecutive `total_token_usage`
 *   (never negative). An event repeating the previous totals counts once (`duplicateResponses`); `info:
 *   null` or zero usage counts nothing (ignored line).
 * - Numbers mean what Claude rows' numbers mean, so columns sum across agents: `input` is input_tokens
 *   MINUS the cached part (never negative; as written when cached is absent), `cacheReadInput` =
 *   cached_input_tokens, `output` = output_tokens, which INCLUDES `reasoningOutput` (as Claude's output
 *   includes thinking). The subtraction is per billed response, after the rules above. cacheCreationInput
 *   is `cache_write_input_tokens`, null when absent. Codex's own input (as @ccusage/codex reports it) is
 *   input + cacheReadInput.
 * - Legacy usage (`turn.completed.usage`, `info: {prompt, completion}`) is billed the same way, but only in
 *   files that have no modern token_count usage before it.
 * - README.md lists where the totals deliberately differ from @ccusage/codex.
 *
 * Forks and subagents: a child rollout's copy of its parent's history is skipped (rows, calls and
 * billing; copied responses count as duplicateResponses) — see lineage.ts for how it is recognised. A
 * session_meta of another session in a rollout that names no parent is an ignored line.
 *
 * Memory: rows leave as soon as they are final; the parser keeps session scalars, calls waiting for their
 * output, the previous token totals and a turn's undecided user input (a few messages).
 */

import type { ParserDefinition } from '../types.js';
import { CodexSessionParser } from './parser.js';
import { ValueChecks } from '../value-checks.js';

export const CODEX_PARSER_VERSION = 'codex/3';

export const codexParser: ParserDefinition = {
  agent: 'codex',
  version: CODEX_PARSER_VERSION,
  create: (context, values = new ValueChecks()) => new CodexSessionParser(context, values),
  resume: (context, values, state) => CodexSessionParser.resume(context, values, state),
};

export { looksLikeCodex } from './detect.js';
export { uuidV7Millis } from './lineage.js';
