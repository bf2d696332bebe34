import { RULESET_VERSION } from '../redaction/rules.js';
import { claudeParser } from './claude/index.js';
import { codexParser, looksLikeCodex } from './codex/index.js';
import type { ParserSelector } from './parse-session.js';
import type { ParserDefinition } from './types.js';
import type { Agent } from '../model.js';

/**
 * Which parser reads which object. The key layout names the agent; the first record must not contradict it
 * (a Codex rollout under raw/claude/, or anything but a rollout under raw/codex/, is not read as a session).
 * Without an agent (`sessionlake parse` on a local file) the first record decides.
 */

export const PARSERS: Record<Agent, ParserDefinition> = { claude: claudeParser, codex: codexParser };

export function selectParser(agent: Agent | null): ParserSelector {
  switch (agent) {
    case null:
      return routeByContent;
    case 'claude':
      return (firstRecord) => (looksLikeCodex(firstRecord) ? null : claudeParser);
    case 'codex':
      return (firstRecord) => (looksLikeCodex(firstRecord) ? codexParser : null);
  }
}

function routeByContent(firstRecord: Record<string, unknown>): ParserDefinition | null {
  if (looksLikeCodex(firstRecord)) return codexParser;
  return looksLikeClaude(firstRecord) ? claudeParser : null;
}

function looksLikeClaude(record: Record<string, unknown>): boolean {
  return typeof record['sessionId'] === 'string' || typeof record['uuid'] === 'string';
}

/**
 * The version stored on an objects row: the parser's and the redaction rule set's (`claude/2+r1`), so that a
 * change to either makes the backfill re-ingest the object (and redact what an older rule set let through).
 */
export function storedParserVersion(parser: ParserDefinition): string {
  return `${parser.version}+${RULESET_VERSION}`;
}

/** The parser version an object's stored rows must carry to count as current. */
export function currentParserVersion(agent: Agent | null, stored: string | null): boolean {
  if (stored === null) return false;
  return agent === null
    ? Object.values(PARSERS).some((parser) => storedParserVersion(parser) === stored)
    : storedParserVersion(PARSERS[agent]) === stored;
}
