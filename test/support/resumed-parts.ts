/**
 * Rows of a parse resumed from a saved state, applied the way the writer applies them (SessionWriter: rows from
 * the state's ordinal on replaced, revisions set, new rows added), so they can be compared with one full parse.
 */
import type { CollectedSession } from '../../shared/parsers/parse-session.js';
import { readResumePoint, type ResumePoint } from '../../shared/parsers/resume-state.js';
import type { MessageRecord, ToolCallRecord } from '../../shared/model.js';

export interface Table {
  messages: Map<number, MessageRecord>;
  toolCalls: Map<string, ToolCallRecord>;
}

const callKey = (ordinal: number, index: number) => `${ordinal}/${index}`;

export function tableOf(part: CollectedSession): Table {
  return {
    messages: new Map(part.messages.map((m) => [m.ordinal, m])),
    toolCalls: new Map(part.toolCalls.map((t) => [callKey(t.messageOrdinal, t.callIndex), t])),
  };
}

/** What SessionWriter does with a resumed part (see resume-state.ts). */
export function applyResumed(table: Table, fromOrdinal: number, part: CollectedSession): void {
  for (const ordinal of [...table.messages.keys()]) if (ordinal >= fromOrdinal) table.messages.delete(ordinal);
  for (const [key, call] of [...table.toolCalls]) if (call.messageOrdinal >= fromOrdinal) table.toolCalls.delete(key);
  for (const revision of part.revisions) {
    if (revision.kind === 'tool-result') {
      const call = table.toolCalls.get(callKey(revision.messageOrdinal, revision.callIndex));
      if (call === undefined) throw new Error(`revision of a call never written: ${JSON.stringify(revision)}`);
      Object.assign(call, {
        resultText: revision.resultText,
        isError: revision.isError,
        resultTimestamp: revision.resultTimestamp,
        resultFile: revision.resultFile,
      });
    } else {
      const message = table.messages.get(revision.ordinal);
      if (message === undefined) throw new Error(`revision of a row never written: ${revision.ordinal}`);
      message.tokens = revision.tokens;
    }
  }
  for (const message of part.messages) {
    if (table.messages.has(message.ordinal)) throw new Error(`row ${message.ordinal} written twice`);
    table.messages.set(message.ordinal, message);
  }
  for (const call of part.toolCalls) {
    const key = callKey(call.messageOrdinal, call.callIndex);
    if (table.toolCalls.has(key)) throw new Error(`call ${key} written twice`);
    table.toolCalls.set(key, call);
  }
}

/** The state as it comes back from the database: through JSON. */
export function stored(point: ResumePoint | null): ResumePoint | null {
  return point === null ? null : readResumePoint(JSON.parse(JSON.stringify(point)));
}

/** The last part's session facts and the table's rows, in a form two parses can be compared in. */
export function comparable(part: CollectedSession, table: Table) {
  const { outcome } = part;
  return {
    messages: [...table.messages.values()].sort((a, b) => a.ordinal - b.ordinal),
    toolCalls: [...table.toolCalls.values()].sort((a, b) => a.messageOrdinal - b.messageOrdinal || a.callIndex - b.callIndex),
    summary: outcome.result?.summary,
    counts: outcome.result?.counts,
    lines: outcome.lines,
    truncated: outcome.truncated,
    bytesComplete: outcome.bytesComplete,
    rejected: { total: outcome.rejectedValues.total, samples: outcome.rejectedValues.samples },
    resumePoint: stored(outcome.resumePoint),
  };
}
