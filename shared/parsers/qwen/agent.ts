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
};
