import type { RecordSink, ToolCallRecord } from '../../model.js';

/** A pending call an earlier ingest already wrote (resumed parse): only where its row is. */
export interface WrittenCall {
  messageOrdinal: number;
  callIndex: number;
}

/** `[callId, messageOrdinal, callIndex]` per waiting call, in arrival order. */
export type WaitingCallsState = [string, number, number][];

export interface ToolCallPairingState {
  calls: number;
  waiting: WaitingCallsState;
}

/**
 * Pairs tool calls with their results across the session. A call waits here until its result arrives
 * (then both go out as one row) or until the session ends (then it goes out pending). Calls without an id
 * can never be paired, so they go out at once, exactly as they would at the end. After a resume, calls
 * waiting since the earlier ingest are already written: their result goes out as a revision of that row.
 */
export class ToolCallPairing {
  private readonly waiting = new Map<string, ToolCallRecord | WrittenCall>();
  private calls = 0;

  constructor(state?: ToolCallPairingState) {
    if (state === undefined) return;
    this.calls = state.calls;
    for (const [callId, messageOrdinal, callIndex] of state.waiting) this.waiting.set(callId, { messageOrdinal, callIndex });
  }

  snapshot(): ToolCallPairingState {
    return { calls: this.calls, waiting: waitingState(this.waiting) };
  }

  get callCount(): number {
    return this.calls;
  }

  call(record: ToolCallRecord, sink: RecordSink): void {
    this.calls += 1;
    if (record.callId === null) {
      sink.toolCall(record);
      return;
    }
    // A second call reusing an id: the first can no longer be told apart, so it leaves as pending.
    const earlier = this.waiting.get(record.callId);
    if (earlier !== undefined && isRecord(earlier)) sink.toolCall(earlier);
    this.waiting.set(record.callId, record);
  }

  /** Returns false when no waiting call has that id (the result is then dropped). */
  result(
    toolUseId: string | null,
    result: { text: string | null; joints?: readonly number[]; isError: boolean; timestamp: string | null; savedTo: string | null },
    sink: RecordSink,
  ): boolean {
    if (toolUseId === null) return false;
    const record = this.waiting.get(toolUseId);
    if (record === undefined) return false;
    this.waiting.delete(toolUseId);
    if (!isRecord(record)) {
      sink.revise({
        kind: 'tool-result',
        messageOrdinal: record.messageOrdinal,
        callIndex: record.callIndex,
        resultText: result.text,
        ...(result.joints === undefined ? {} : { resultJoints: result.joints }),
        isError: result.isError,
        resultTimestamp: result.timestamp,
        resultFile: result.savedTo,
      });
      return true;
    }
    record.resultText = result.text;
    if (result.joints !== undefined) record.resultJoints = result.joints;
    record.isError = result.isError;
    record.resultTimestamp = result.timestamp;
    record.resultFile = result.savedTo;
    sink.toolCall(record);
    return true;
  }

  /** Emits every call still waiting, as pending. */
  flush(sink: RecordSink): void {
    for (const record of this.waiting.values()) {
      if (isRecord(record)) sink.toolCall(record);
    }
    this.waiting.clear();
  }
}

function isRecord(call: ToolCallRecord | WrittenCall): call is ToolCallRecord {
  return 'callId' in call;
}

/** The waiting calls as references: each is written by the end of the ingest that takes the state. */
export function waitingState(waiting: ReadonlyMap<string, WrittenCall>): WaitingCallsState {
  return [...waiting].map(([callId, call]) => [callId, call.messageOrdinal, call.callIndex]);
}
