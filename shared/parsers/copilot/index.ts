/**
 * GitHub Copilot CLI parser, read from @github/copilot 1.0.102 (its native runtime writes the files; the package's
 * schemas/session-events.schema.json describes every event). docs/agents/copilot.md has the layout and decisions.
 *
 * Two kinds of object, one parser (each line says which it is):
 * - `session-state/<session>/events.jsonl`: `{type, data, id, timestamp, parentId, agentId?}` events.
 *   `user.message` → role user (text `content`); `assistant.message` → role assistant (text `content`, thinking
 *   `reasoningText`, model = its `model` or the session's current one), one tool call per `toolRequests[]`
 *   (`toolCallId`, `name`, `arguments`), answered by `tool.execution_complete` (`result.content`, or
 *   `error.message` with `success: false`); a result without its call is a role `tool` row. Events of a subagent
 *   carry `agentId`: their rows are sidechain rows. `session.compaction_complete` is a compact boundary.
 *   `session.start` / `session.resume` give the session id, CLI version, cwd, branch and model, and open a process
 *   window; `session.model_change` changes the model.
 * - `otel/…/*.jsonl`: the OpenTelemetry file export, `{type: "span", traceId, spanId, name, endTime, attributes}`;
 *   each `chat` span is one model call (otel.ts), a row with source type `otel`.
 *
 * Tokens (tokens.ts maps them): the CLI writes no per-response usage into assistant messages (`assistant.usage` is
 * ephemeral). What bills, one row each:
 * - `session.usage_record` (per call, newer CLIs): responseId = `apiCallId` (else the accounting `usageId`),
 *   requestId = the session id;
 * - an OTel `chat` span: responseId = `gen_ai.response.id`, requestId = `gen_ai.conversation.id` (the session id).
 *   A call logged both ways has the same pair and bills once (migration 012's response key);
 * - `session.shutdown` `modelMetrics`: per model, what the snapshot adds to the file's previous one (see
 *   parser.ts), with the process's start in requestId. Not billed when the same process wrote usage records (a
 *   duplicate), and not billed at write time when OTel spans of that session fall in the process window
 *   (migration 025: spans are per call, the shutdown is their sum).
 *
 * Resume (delta ingest), both kinds: the state holds the next ordinal, the counts, the last shutdown snapshot per
 * model, the running process's start and whether it wrote usage records, the session facts (the title among them:
 * `savedStateTextKeys`) with the billed tokens and model tallies, and the calls waiting for a result (id → row).
 * Every record is final when written, so any line boundary can be resumed from.
 */

import type { ParserDefinition } from '../types.js';
import { ValueChecks } from '../value-checks.js';
import { CopilotSessionParser } from './parser.js';

export const COPILOT_PARSER_VERSION = 'copilot/1';

export const copilotParser: ParserDefinition = {
  agent: 'copilot',
  version: COPILOT_PARSER_VERSION,
  create: (context, values = new ValueChecks()) => new CopilotSessionParser(context, values),
  resume: (context, values, state) => CopilotSessionParser.resume(context, values, state),
};

export { looksLikeCopilot } from './detect.js';
