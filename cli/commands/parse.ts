import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseSession, type SessionParseOutcome } from '../../shared/parsers/parse-session.js';
import { agentDefinition, allAgentDefinitions } from '../../shared/agents/registry.js';
import { selectParser } from '../../shared/parsers/registry.js';
import { isAgent, type Agent, type RecordSink } from '../../shared/model.js';
import { RedactingSink } from '../../shared/redaction/redacting-sink.js';
import { stringOption, type Command } from '../command.js';
import { expandJsonlPaths } from '../jsonl-files.js';
import { listed } from '../listing.js';

/** Parses local files without Postgres or S3: what would land, and what would be skipped. */
export const parseCommand: Command = {
  name: 'parse',
  summary: 'Parse local JSONL session files and print what would be stored (no database needed)',
  arguments: [
    {
      name: 'file.jsonl|directory',
      description: 'a session file, or a directory whose .jsonl files (at any depth) are each parsed',
      repeatable: true,
    },
  ],
  options: {
    agent: {
      type: 'string',
      description: `${agentNames()} (default: a file name only one agent writes, as Codex's rollout-*.jsonl, names it; else the content decides)`,
    },
  },
  notes: [
    'Prints one JSON report per file on stdout; a file in which nothing was recognised gets a warning on stderr.',
    'Secrets are redacted as the ingest redacts them (the title shows [REDACTED:<rule>:<hash>]); secretsRedacted counts them by rule.',
  ],
  async run(input) {
    const agentOption = stringOption(input, 'agent');
    if (agentOption !== undefined && !isAgent(agentOption)) {
      throw new Error(`--agent must be ${agentNames()}, got "${agentOption}"`);
    }
    for (const file of await expandJsonlPaths(input.positionals)) {
      const fileName = path.basename(file);
      const agent: Agent | null = agentOption ?? agentOwningFileName(fileName);
      let messages = 0;
      let toolCalls = 0;
      const secretsByRule: Record<string, number> = {};
      const counter: RecordSink = { message: () => (messages += 1), toolCall: () => (toolCalls += 1), revise: () => {} };
      // The same redaction as the ingest: what is printed is what would be stored.
      const sink = new RedactingSink(counter, { add: (finding) => (secretsByRule[finding.rule] = (secretsByRule[finding.rule] ?? 0) + 1) });
      const outcome = await parseFile(file, agent, sink);
      const summary = outcome.result === null ? null : sink.redactSummary(outcome.result.summary);
      const report = {
        file,
        agent: outcome.parser?.agent ?? null,
        messages,
        toolCalls,
        lines: outcome.lines,
        truncated: outcome.truncated,
        summary,
        counts: outcome.result?.counts ?? null,
        secretsRedacted: { total: sink.findingsReported, byRule: secretsByRule },
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (messages === 0 && hasRecords(outcome)) {
        process.stderr.write(`warning: ${file}: ${await nothingRecognised(file, agent)}\n`);
      }
    }
    return 0;
  },
};

function parseFile(file: string, agent: Agent | null, sink: Parameters<typeof parseSession>[3]): Promise<SessionParseOutcome> {
  return parseSession(createReadStream(file), selectParser(agent), {
    fileStem: path.basename(file, '.jsonl'),
    projectDir: path.basename(path.dirname(path.resolve(file))),
    parentSourceSessionId: null,
  }, sink);
}

/** The file held JSON objects (so it was not just empty or garbage). */
function hasRecords(outcome: SessionParseOutcome): boolean {
  return outcome.lines.total - outcome.lines.blank - outcome.lines.malformed > 0;
}

/** Why no message came out: the wrong --agent (the content says which is right), or content neither parser knows. */
async function nothingRecognised(file: string, agent: Agent | null): Promise<string> {
  const byContent = (await parseFile(file, null, { message: () => {}, toolCall: () => {}, revise: () => {} })).parser?.agent ?? null;
  if (agent !== null && byContent !== null && byContent !== agent) {
    return (
      `no ${agentDefinition(agent).displayName} messages; it looks like a ${agentDefinition(byContent).displayName} session ` +
      `(try --agent ${byContent}, or leave --agent out)`
    );
  }
  const names = agent === null ? allAgentDefinitions().map((definition) => definition.displayName) : [agentDefinition(agent).displayName];
  const expected = `a ${listed(names, 'or')} session`;
  return `no line was recognised as a message of ${expected}`;
}

/** `claude, codex or …`: the names --agent takes. */
function agentNames(): string {
  return listed(allAgentDefinitions().map((definition) => definition.name), 'or');
}

/** The agent whose key layout owns the file name (Codex's `rollout-*.jsonl`), or null. */
function agentOwningFileName(fileName: string): Agent | null {
  return allAgentDefinitions().find((definition) => definition.keyLayout.ownsFileName(fileName))?.name ?? null;
}
