import type { AgentDefinition } from '../../agents/definition.js';
import { geminiParser, looksLikeGemini } from './index.js';
import { geminiKeyLayout } from './key-layout.js';

/** Gemini CLI: `~/.gemini/tmp/<project id>/chats/session-*.jsonl` (older `session-*.json`) and subagent chats. */
export const gemini: AgentDefinition = {
  name: 'gemini',
  displayName: 'Gemini CLI',
  parser: geminiParser,
  // Appended to, but a later line can change or drop any earlier message (index.ts): read whole every time.
  format: 'json-document',
  content: { matches: looksLikeGemini, underOwnKeys: 'matches' },
  keyLayout: geminiKeyLayout,
  // Sessions: JSONL, and the one-document files older CLIs wrote (still on disk, and kept beside a resumed .jsonl).
  notifySuffixes: ['.jsonl', '.json'],
  localFolder: { home: ['.gemini', 'tmp'], samples: ['gemini', 'tmp'] },
  // The parser keeps no saved state (its snapshot() is null).
  savedStateTextKeys: [],
  priceFamily: { provider: 'Google', modelPrefixes: ['gemini-'] },
  // The real JSONL session (metadata, $set, messages with tokens and a tool call); the parser holds every message
  // until finish(), so its peak heap grows with the object.
  benchSamples: [{ name: 'gemini', file: 'agentsessions/chats/session-2026-04-29T21-39-gemini_s.jsonl' }],
};
