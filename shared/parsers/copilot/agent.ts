import type { AgentDefinition } from '../../agents/definition.js';
import { copilotParser, looksLikeCopilot } from './index.js';
import { copilotKeyLayout } from './key-layout.js';

/** GitHub Copilot CLI: `~/.copilot/session-state/<session>/events.jsonl` and the OTel export `~/.copilot/otel/`. */
export const copilot: AgentDefinition = {
  name: 'copilot',
  displayName: 'GitHub Copilot CLI',
  parser: copilotParser,
  format: 'jsonl',
  content: { matches: looksLikeCopilot, underOwnKeys: 'matches' },
  keyLayout: copilotKeyLayout,
  notifySuffixes: ['.jsonl'],
  localFolder: { home: ['.copilot'], samples: ['copilot', 'home'] },
  // The saved state (delta ingest) keeps one text from the log: the session title cut from the first prompt. Tool
  // call arguments and results are not in it (pending calls are kept as ordinal and call index).
  savedStateTextKeys: ['title'],
  // Copilot serves other providers' models under its own spellings (claude-sonnet-4.5): migration 025 aliases them
  // to those providers' prices, so it has no family of its own.
  priceFamily: { provider: 'GitHub Copilot', modelPrefixes: [] },
  // Its two objects, as the CLI wrote them: a resumed session's events, and an OTel export (spans, metrics).
  benchSamples: [
    { name: 'copilot', file: 'session-state/1c1f75ce-95d0-4ab2-89e4-d6f0f4474fa3/events.jsonl' },
    { name: 'copilot-otel', file: 'otel/copilot-otel-run2.jsonl' },
  ],
};
