import type { AgentDefinition } from '../../agents/definition.js';
import { looksLikeQwen, qwenParser } from './index.js';
import { qwenKeyLayout } from './key-layout.js';

/** Qwen Code: `~/.qwen/projects/<sanitized project>/chats/<sessionId>.jsonl`. */
export const qwen: AgentDefinition = {
  name: 'qwen',
  displayName: 'Qwen Code',
  parser: qwenParser,
  format: 'jsonl',
  content: { matches: looksLikeQwen, underOwnKeys: 'matches' },
  keyLayout: qwenKeyLayout,
  notifySuffixes: ['.jsonl'],
  localFolder: { home: ['.qwen', 'projects'], samples: ['qwen', 'projects'] },
  // QwenSummary's state keeps the first prompt's title and the custom_title (summary.ts).
  savedStateTextKeys: ['title', 'customTitle'],
  priceFamily: { provider: 'Alibaba Cloud', modelPrefixes: ['qwen'] },
  benchSamples: [{ name: 'qwen', file: '-home-alice-proj/chats/7c1e0f52-3a9b-4d8e-9f10-2b3c4d5e6f70.jsonl' }],
};
