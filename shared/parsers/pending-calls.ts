import type { ToolCallRecord } from '../model.js';

/**
 * Tool calls waiting for their result, shared by the parsers whose logs write a call and its result as separate
 * records paired by a call id. On resume (delta ingest, resume-state.ts) a waiting call is only a reference to
 * the row the earlier ingest wrote as pending.
 */

/** A call's result as a parser read it, to pair with the waiting call of the same id. */
export interface CallResult {
  callId: string | null;
  resultText: string | null;
  /** Where resultText was joined from content items (joined-text.ts). */
  resultJoints?: readonly number[];
  isError: boolean;
}

/** A waiting call an earlier ingest already wrote as pending (resumed parse): where its row is. */
export interface WrittenCall {
  messageOrdinal: number;
  callIndex: number;
}

/** `[callId, messageOrdinal, callIndex]` per waiting call, in arrival order. */
export type PendingCallsState = [string, number, number][];

/**
 * Calls waiting for their output, by call_id: the only rows the parser holds on to. A call that reuses the
 * id of a waiting call pushes the waiting one out as pending; the output pairs with the latest. After a
 * resume, calls waiting since the earlier ingest are held as `WrittenCall`s: their row exists already.
 */
export class PendingCalls {
  private readonly waiting = new Map<string, ToolCallRecord | WrittenCall>();

  constructor(state?: PendingCallsState) {
    for (const [callId, messageOrdinal, callIndex] of state ?? []) this.waiting.set(callId, { messageOrdinal, callIndex });
  }

  snapshot(): PendingCallsState {
    return [...this.waiting].map(([callId, call]) => [callId, call.messageOrdinal, call.callIndex]);
  }

  /** Returns the call pushed out, if any. */
  add(callId: string, call: ToolCallRecord): ToolCallRecord | WrittenCall | null {
    const previous = this.waiting.get(callId) ?? null;
    this.waiting.set(callId, call);
    return previous;
  }

  /** The waiting call completed by this output, or null when no call waits for its id. */
  complete(result: CallResult, timestamp: string | null): ToolCallRecord | CompletedWrittenCall | null {
    if (result.callId === null) return null;
    const call = this.waiting.get(result.callId);
    if (call === undefined) return null;
    this.waiting.delete(result.callId);
    const joints = result.resultJoints === undefined ? {} : { resultJoints: result.resultJoints };
    return { ...call, resultText: result.resultText, ...joints, isError: result.isError, resultTimestamp: timestamp };
  }

  drain(): (ToolCallRecord | WrittenCall)[] {
    const calls = [...this.waiting.values()];
    this.waiting.clear();
    return calls;
  }
}

export type CompletedWrittenCall = WrittenCall & Pick<ToolCallRecord, 'resultText' | 'resultJoints' | 'isError' | 'resultTimestamp'>;

export function isWrittenCall<T extends WrittenCall>(call: T | ToolCallRecord): call is T {
  return !('callId' in call);
}
