import type { RecordSink, ToolCallRecord } from '../types.js';

/**
 * Pairs tool calls with their results across the session. A call waits here until its result arrives
 * (then both go out as one row) or until the session ends (then it goes out pending). Calls without an id
 * can never be paired, so they go out at once, exactly as they would at the end.
 */
export class ToolCallPairing {
  private readonly waiting = new Map<string, ToolCallRecord>();
  private calls = 0;

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
    if (earlier !== undefined) sink.toolCall(earlier);
    this.waiting.set(record.callId, record);
  }

  /** Returns false when no waiting call has that id (the result is then dropped). */
  result(
    toolUseId: string | null,
    result: { text: string | null; isError: boolean; timestamp: string | null; savedTo: string | null },
    sink: RecordSink,
  ): boolean {
    if (toolUseId === null) return false;
    const record = this.waiting.get(toolUseId);
    if (record === undefined) return false;
    this.waiting.delete(toolUseId);
    record.resultText = result.text;
    record.isError = result.isError;
    record.resultTimestamp = result.timestamp;
    record.resultFile = result.savedTo;
    sink.toolCall(record);
    return true;
  }

  /** Emits every call still waiting, as pending. */
  flush(sink: RecordSink): void {
    for (const record of this.waiting.values()) sink.toolCall(record);
    this.waiting.clear();
  }
}
