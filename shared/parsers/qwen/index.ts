/**
 * Qwen Code chat parser (`~/.qwen/projects/<sanitized project>/chats/<sessionId>.jsonl`, and the subagent
 * transcripts `…/subagents/<sessionId>/agent-<agentId>.jsonl`), read from @qwen-code/qwen-code 0.24.4.
 *
 * Every line is a record `{uuid, parentUuid, sessionId, timestamp, type, provenance, cwd, version, gitBranch, …}`
 * (subagent transcripts add `agentId` and `isSidechain: true`); the body is a GenAI `Content`
 * (`message: {role, parts}`). The file is only appended to. Nothing throws on odd shapes: a field of the wrong
 * type reads as absent; a record type other than the four below is counted in `unknownTypes`.
 *
 * Rows (ordinals in line order; uuid as written; parentUuid = the nearest ancestor that has a row, so the chain
 * can be walked over rows alone)
 * - `user`: role `user` when the user typed it (no subtype, `mid_turn_user_message`, `realtime_message`; provenance
 *   absent or `real_user`), else role `system` (notifications, cron, goal runtime…). Text = the text parts joined;
 *   a prompt for the title and count is `systemPayload.displayText` when present, else that text.
 * - `assistant`: role `assistant`, model = the record's `model`, text = text parts, thinking = `thought: true`
 *   parts, one tool call per `functionCall` part (callIndex in part order, callId = `functionCall.id`, input =
 *   `args`).
 * - `tool_result`: a role `tool` row (text null: the result lives on the call; the text of a result whose call is
 *   not in the log stays on the row) and, per `functionResponse` part,
 *   the result of the waiting call with that id (else `toolCallResult.callId`): `response.output` or
 *   `response.error` when text, else the response as JSON; isError when `toolCallResult.status` is `error` or the
 *   response holds only an `error`. A call never answered stays pending (result null).
 * - `system`: `chat_compression` gives a compact-boundary row, `rewind` a system row; `custom_title` (the latest
 *   wins over the first prompt as the title), `parent_session` (parentSourceSessionId), `session_source`
 *   (originator) set session facts; every other subtype (telemetry, snapshots, slash commands…) is an ignored line.
 *
 * Tokens (tokens.ts maps the numbers): each model response is logged twice in a chat, as the assistant record's
 * `usageMetadata` and as a `system/ui_telemetry` `qwen-code.api_response` event. One is billed, never both:
 * - main conversation: the assistant record's `usageMetadata` (the telemetry event is a `duplicateResponses`);
 * - subagent calls: the parent chat's api_response event that names the subagent (`subagent_id`/`subagent_name`),
 *   as a row of its own (role `assistant`, source `system`/`ui_telemetry`, isSidechain, model = the event's,
 *   responseId = `response_id`, requestId = `prompt_id`). The subagent's own transcript repeats the usage without
 *   a model: there it is kept as rawUsage and counted as a duplicate.
 * The `~/.qwen/usage/token-usage-YYYY-MM.jsonl` ledger is not read (README "Qwen Code" says why).
 *
 * Rewind: `/rewind` re-roots `parentUuid` and appends a `rewind` record; the abandoned branch stays in the file.
 * Its records give rows like any other (they were shown, and their responses billed: the tokens count), so a
 * session's totals are what was spent; the active conversation is the parentUuid chain from the session's last
 * row (README "Qwen Code" has the query).
 *
 * Resume (delta ingest): the state holds the next ordinal, the counts, the session facts (the custom title among
 * them: `savedStateTextKeys`), the calls waiting for a result (id → row), the uuid links of records without a row
 * and the last record's uuid. Every record is final when written, so any line boundary can be resumed from.
 */

import type { ParserDefinition } from '../types.js';
import { ValueChecks } from '../value-checks.js';
import { QwenSessionParser } from './parser.js';

export const QWEN_PARSER_VERSION = 'qwen/1';

export const qwenParser: ParserDefinition = {
  agent: 'qwen',
  version: QWEN_PARSER_VERSION,
  create: (context, values = new ValueChecks()) => new QwenSessionParser(context, values),
  resume: (context, values, state) => QwenSessionParser.resume(context, values, state),
};

export { looksLikeQwen } from './detect.js';
