/** Whether a first record is a Claude Code transcript line: every line that carries a message has these. */
export function looksLikeClaude(record: Record<string, unknown>): boolean {
  return typeof record['sessionId'] === 'string' || typeof record['uuid'] === 'string';
}
