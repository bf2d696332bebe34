import type { MessageRecord, RecordSink, TokenCounts } from '../../model.js';

/** Model name Claude Code writes on locally generated notices; never a billed model. */
export const SYNTHETIC_MODEL = '<synthetic>';

/** A response seen for the first time in the session, with the tokens its carrier row got. */
export interface BilledResponse {
  tokens: TokenCounts | null;
  /** The response's model, `<synthetic>` excluded. */
  model: string | null;
}

interface HeldLine {
  /** Null for a line an earlier ingest already wrote (resumed parse): its tokens are then revised. */
  row: MessageRecord | null;
  ordinal: number;
  model: string | null;
  /** Tokens of this line's own usage object (null when it had none). */
  tokens: TokenCounts | null;
}

export interface ResponseBillerState {
  openKey: string | null;
  openIsRepeat: boolean;
  /** The open response's lines: `[ordinal, tokens, model]`. */
  held: [number, TokenCounts | null, string | null][];
  seenKeys: string[];
  repeats: number;
}

/**
 * Groups assistant lines into responses and decides which single row carries the response's tokens.
 *
 * A response is a run of assistant lines sharing one dedup key; other line types in between do not end it.
 * Its rows are held until the run ends, then the line with the largest output_tokens (the last on a tie)
 * carries the tokens. A key seen before in the session is a repeat: its rows pass straight through with
 * tokens null and the repeat is counted once. Only the open response is held; the set of seen keys grows by
 * one short string per response. A resumed biller holds the open response's earlier lines by reference
 * (ordinal, tokens, model): when the response ends, their tokens go out as revisions.
 */
export class ResponseBiller {
  private openKey: string | null = null;
  private openIsRepeat = false;
  private held: HeldLine[] = [];
  private readonly seenKeys: Set<string>;
  private repeats = 0;

  constructor(
    private readonly onBilled: (response: BilledResponse) => void,
    state?: ResponseBillerState,
  ) {
    this.seenKeys = new Set(state?.seenKeys);
    if (state === undefined) return;
    this.openKey = state.openKey;
    this.openIsRepeat = state.openIsRepeat;
    this.held = state.held.map(([ordinal, tokens, model]) => ({ row: null, ordinal, tokens, model }));
    this.repeats = state.repeats;
  }

  snapshot(): ResponseBillerState {
    return {
      openKey: this.openKey,
      openIsRepeat: this.openIsRepeat,
      held: this.held.map((line) => [line.ordinal, line.tokens, line.model]),
      seenKeys: [...this.seenKeys],
      repeats: this.repeats,
    };
  }

  get duplicateResponses(): number {
    return this.repeats;
  }

  /** `row.tokens` is left null by the caller; `tokens` is what the line's own usage says. */
  add(row: MessageRecord, key: string | null, tokens: TokenCounts | null, sink: RecordSink): void {
    const line: HeldLine = { row, ordinal: row.ordinal, model: row.model, tokens };
    if (key !== null && key === this.openKey) {
      if (this.openIsRepeat) sink.message(row);
      else this.held.push(line);
      return;
    }
    this.close(sink);
    if (key === null) {
      this.bill([line], sink);
      return;
    }
    this.openKey = key;
    if (this.seenKeys.has(key)) {
      this.openIsRepeat = true;
      this.repeats += 1;
      sink.message(row);
      return;
    }
    this.seenKeys.add(key);
    this.held.push(line);
  }

  /** Ends the open response, if any, and emits its rows. */
  close(sink: RecordSink): void {
    if (this.openKey !== null && !this.openIsRepeat) this.bill(this.held, sink);
    this.openKey = null;
    this.openIsRepeat = false;
    this.held = [];
  }

  private bill(lines: HeldLine[], sink: RecordSink): void {
    let carrier: HeldLine | null = null;
    for (const line of lines) {
      if (line.tokens === null) continue;
      if (carrier === null || outputOf(line.tokens) >= outputOf(carrier.tokens)) carrier = line;
    }
    if (carrier?.row) carrier.row.tokens = carrier.tokens;
    this.onBilled({ tokens: carrier?.tokens ?? null, model: responseModel(lines, carrier) });
    for (const line of lines) {
      if (line.row !== null) sink.message(line.row);
      else sink.revise({ kind: 'billed-tokens', ordinal: line.ordinal, tokens: line === carrier ? line.tokens : null });
    }
  }
}

function outputOf(tokens: TokenCounts | null): number {
  return tokens?.output ?? -1;
}

function responseModel(lines: HeldLine[], carrier: HeldLine | null): string | null {
  const preferred = carrier?.model ?? null;
  if (isBillableModel(preferred)) return preferred;
  for (const line of lines) {
    if (isBillableModel(line.model)) return line.model;
  }
  return null;
}

function isBillableModel(model: string | null): model is string {
  return model !== null && model !== SYNTHETIC_MODEL;
}
