import type { Agent, SkippedLayout } from '../model.js';

/** Pieces the agents' key-layout rules share (shared/agents/definition.ts `KeyLayoutRule`). */

export const JSONL = '.jsonl';

/** The file name without `.jsonl` (exact, lower case, as both agents write it), or null. */
export function jsonlStem(fileName: string): string | null {
  return fileName.endsWith(JSONL) && fileName.length > JSONL.length ? fileName.slice(0, -JSONL.length) : null;
}

export function skipped(machine: string | null, agent: Agent | null, reason: string): SkippedLayout {
  return { kind: 'skipped', machine, agent, reason };
}

/** The folder part of a key. */
export function dirname(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}
