import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseSession } from '../../shared/parsers/parse-session.js';
import { selectParser } from '../../shared/parsers/registry.js';
import type { Agent } from '../../shared/parsers/types.js';
import { stringOption, type Command } from '../command.js';

/** Parses local files without Postgres or S3: what would land, and what would be skipped. */
export const parseCommand: Command = {
  name: 'parse',
  summary: 'Parse local JSONL session files and print what would be stored (no database needed)',
  usage: '<file.jsonl>...',
  options: { agent: { type: 'string', description: 'claude or codex (default: rollout-*.jsonl is codex, else the content decides)' } },
  async run(input) {
    if (input.positionals.length === 0) throw new Error('give at least one .jsonl file');
    const agentOption = stringOption(input, 'agent');
    if (agentOption !== undefined && agentOption !== 'claude' && agentOption !== 'codex') {
      throw new Error(`--agent must be claude or codex, got "${agentOption}"`);
    }
    for (const file of input.positionals) {
      const fileName = path.basename(file);
      const agent: Agent | null = agentOption ?? (fileName.startsWith('rollout-') ? 'codex' : null);
      let messages = 0;
      let toolCalls = 0;
      const outcome = await parseSession(
        createReadStream(file),
        selectParser(agent),
        { fileStem: path.basename(file, '.jsonl'), projectDir: path.basename(path.dirname(path.resolve(file))), parentSourceSessionId: null },
        { message: () => (messages += 1), toolCall: () => (toolCalls += 1) },
      );
      const report = {
        file,
        agent: outcome.parser?.agent ?? null,
        messages,
        toolCalls,
        lines: outcome.lines,
        truncated: outcome.truncated,
        summary: outcome.result?.summary ?? null,
        counts: outcome.result?.counts ?? null,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  },
};
