import type { AgentDefinition } from '../../agents/definition.js';
import { codexParser, looksLikeCodex } from './index.js';
import { codexKeyLayout } from './key-layout.js';

/** Codex CLI: `~/.codex/sessions/YYYY/MM/DD/rollout-<timestamp>-<uuid>.jsonl`. */
export const codex: AgentDefinition = {
  name: 'codex',
  displayName: 'Codex',
  parser: codexParser,
  format: 'jsonl',
  content: { matches: looksLikeCodex, underOwnKeys: 'matches' },
  keyLayout: codexKeyLayout,
  notifySuffixes: ['.jsonl'],
  localFolder: { home: ['.codex', 'sessions'], samples: ['codex', 'sessions'] },
  // CodexSessionParser's snapshot keeps the session's title (session-info.ts).
  savedStateTextKeys: ['title'],
  priceFamily: { provider: 'OpenAI', modelPrefixes: ['gpt-'] },
  benchSamples: [{ name: 'codex', file: '2026/02/23/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl' }],
};
