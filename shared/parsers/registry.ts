import { RULESET_VERSION } from '../redaction/rules.js';
import { agentDefinition, allAgentDefinitions } from '../agents/registry.js';
import type { ParserSelector } from './parse-session.js';
import type { ParserDefinition } from './types.js';
import type { Agent } from '../model.js';

/**
 * Which parser reads which object. The key layout names the agent; the first record must not contradict it
 * (each agent's `content` rule in its definition: a Codex rollout under raw/claude/, or anything but a rollout
 * under raw/codex/, is not read as a session). Without an agent (`sessionlake parse` on a local file) the first
 * record decides.
 */

export const PARSERS = Object.fromEntries(
  allAgentDefinitions().map((definition) => [definition.name, definition.parser]),
) as Record<Agent, ParserDefinition>;

export function selectParser(agent: Agent | null): ParserSelector {
  if (agent === null) return routeByContent;
  const own = agentDefinition(agent);
  if (own.content.underOwnKeys === 'matches') return (firstRecord) => (own.content.matches(firstRecord) ? own.parser : null);
  const others = allAgentDefinitions().filter((definition) => definition.name !== agent);
  return (firstRecord) => (others.some((other) => other.content.matches(firstRecord)) ? null : own.parser);
}

/** Agents whose content has a fixed envelope are asked before those that read whatever nobody else claims. */
function routeByContent(firstRecord: Record<string, unknown>): ParserDefinition | null {
  const byStrictness = allAgentDefinitions().sort(
    (a, b) => Number(a.content.underOwnKeys === 'unclaimed') - Number(b.content.underOwnKeys === 'unclaimed'),
  );
  return byStrictness.find((definition) => definition.content.matches(firstRecord))?.parser ?? null;
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
