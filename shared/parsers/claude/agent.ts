import type { AgentDefinition } from '../../agents/definition.js';
import { looksLikeClaude } from './detect.js';
import { claudeParser } from './index.js';
import { claudeKeyLayout } from './key-layout.js';

/** Claude Code: `~/.claude/projects/<project-dir>/<session>.jsonl`, its subagents and tool-result files. */
export const claude: AgentDefinition = {
  name: 'claude',
  displayName: 'Claude Code',
  parser: claudeParser,
  format: 'jsonl',
  // Its lines have no fixed envelope: under raw/claude/ anything not another agent's is read (and judged by the parser).
  content: { matches: looksLikeClaude, underOwnKeys: 'unclaimed' },
  keyLayout: claudeKeyLayout,
  // Sessions, and the tool-result sidecars (`<session>/tool-results/<id>.txt`) that make their session re-read.
  notifySuffixes: ['.jsonl', '.txt'],
  localFolder: { home: ['.claude', 'projects'], samples: ['claude', 'projects'] },
  // ClaudeSessionParser's snapshot keeps the session's title candidates (summary.ts).
  savedStateTextKeys: ['mainTitle', 'anyTitle'],
  priceFamily: { provider: 'Anthropic', modelPrefixes: ['claude-'] },
  benchSamples: [{ name: 'claude', file: '-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl' }],
};
