import type { Agent } from '../model.js';
import { claude } from '../parsers/claude/agent.js';
import { codex } from '../parsers/codex/agent.js';
import { copilot } from '../parsers/copilot/agent.js';
import { gemini } from '../parsers/gemini/agent.js';
import { qwen } from '../parsers/qwen/agent.js';
import type { AgentDefinition } from './definition.js';

/**
 * Every agent sessionlake reads, one definition each. A name added to AGENTS (shared/model.ts) does not compile
 * until it has its line here; everything agent-specific elsewhere is read from this object
 * (docs/adding-an-agent.md).
 */
export const AGENT_DEFINITIONS = { claude, codex, gemini, qwen, copilot } satisfies Record<Agent, AgentDefinition>;

export function agentDefinition(agent: Agent): AgentDefinition {
  return AGENT_DEFINITIONS[agent];
}

export function allAgentDefinitions(): AgentDefinition[] {
  return Object.values(AGENT_DEFINITIONS);
}

/** The key suffixes the bucket notifies the ingest about: every agent's, once each, in registry order. */
export function notificationSuffixes(): string[] {
  return [...new Set(allAgentDefinitions().flatMap((definition) => definition.notifySuffixes))];
}
