import type { MessageRecord, RecordSink, TokenCounts } from '../types.js';

/** Model name Claude Code writes on locally generated notices; never a billed model. */
export const SYNTHETIC_MODEL = '<synthetic>';

/** A response seen for the first time in the session, with the tokens its carrier row got. */
export interface BilledResponse {
  tokens: TokenCounts | null;
  /** The response's model, `<synthetic>` excluded. */
  model: string | null;
}

interface HeldLine {
  row: MessageRecord;
  /** Tokens of this line's own usage object (null when it had none). */
  tokens: TokenCounts | null;
}

/**
 * Groups assistant lines into responses and decides which single row carries the response's tokens.
 *
 * A response is a run of assistant lines sharing one dedup key; other line types in between do not end it.
 * Its rows are held until the run ends, then the line with the largest output_tokens (the last on a tie)
 * carries the tokens. A key seen before in the session is a repeat: its rows pass straight through with
 * tokens null and the repeat is counted once. Only the open response is held; the set of seen keys grows by
 * one short string per response.
 */
export class ResponseBiller {
  private openKey: string | null = null;
  private openIsRepeat = false;
  private held: HeldLine[] = [];
  private readonly seenKeys = new Set<string>();
  private repeats = 0;

  constructor(private readonly onBilled: (response: BilledResponse) => void) {}

  get duplicateResponses(): number {
    return this.repeats;
  }

  /** `row.tokens` is left null by the caller; `tokens` is what the line's own usage says. */
  add(row: MessageRecord, key: string | null, tokens: TokenCounts | null, sink: RecordSink): void {
    if (key !== null && key === this.openKey) {
      if (this.openIsRepeat) sink.message(row);
      else this.held.push({ row, tokens });
      return;
    }
    this.close(sink);
    if (key === null) {
      this.bill([{ row, tokens }], sink);
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
    this.held.push({ row, tokens });
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
    if (carrier !== null) carrier.row.tokens = carrier.tokens;
    this.onBilled({ tokens: carrier?.tokens ?? null, model: responseModel(lines, carrier) });
    for (const line of lines) sink.message(line.row);
  }
}

function outputOf(tokens: TokenCounts | null): number {
  return tokens?.output ?? -1;
}

function responseModel(lines: HeldLine[], carrier: HeldLine | null): string | null {
  const preferred = carrier?.row.model ?? null;
  if (isBillableModel(preferred)) return preferred;
  for (const line of lines) {
    if (isBillableModel(line.row.model)) return line.row.model;
  }
  return null;
}

function isBillableModel(model: string | null): model is string {
  return model !== null && model !== SYNTHETIC_MODEL;
}
