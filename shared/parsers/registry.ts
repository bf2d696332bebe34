import { claudeParser } from './claude/index.js';
import { codexParser, looksLikeCodex } from './codex/index.js';
import type { ParserSelector } from './parse-session.js';
import type { Agent, ParserDefinition } from './types.js';

/** Which parser reads which object. The key layout decides; when it says nothing, the first record does. */

export const PARSERS: Record<Agent, ParserDefinition> = { claude: claudeParser, codex: codexParser };

export function selectParser(agent: Agent | null): ParserSelector {
  return agent === null ? routeByContent : PARSERS[agent];
}

function routeByContent(firstRecord: Record<string, unknown>): ParserDefinition | null {
  if (looksLikeCodex(firstRecord)) return codexParser;
  return looksLikeClaude(firstRecord) ? claudeParser : null;
}

function looksLikeClaude(record: Record<string, unknown>): boolean {
  return typeof record['sessionId'] === 'string' || typeof record['uuid'] === 'string';
}

/** The parser version an object's stored rows must carry to count as current. */
export function currentParserVersion(agent: Agent | null, stored: string | null): boolean {
  if (stored === null) return false;
  return agent === null
    ? Object.values(PARSERS).some((parser) => parser.version === stored)
    : PARSERS[agent].version === stored;
}
