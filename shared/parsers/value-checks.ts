import type { ValueChecksState } from './resume-state.js';
import { asCount, asTimestamp, isRecord } from './values.js';

/**
 * Reads the numbers and dates a parser stores, and counts every value that was present but cannot be stored:
 * a token count that is not a whole number in 0 … 2^53−1, a timestamp that is not a date in years 1 … 9999,
 * an object the format defines (`message`, `usage`, `payload`) that is something else.
 * Such a value becomes NULL and the line still lands (DESIGN.md §4: a bad value never fails the object).
 *
 * One instance per parse, owned by the driver (`parse-session.ts`), which sets `lineNumber` before each line.
 */

export const REJECTED_VALUE_KINDS = ['count', 'timestamp', 'object'] as const;
/** What a disagreement is about: a total and the parts it should be the sum of. */
export type DisagreementKind = 'split';
export type RejectedValueKind = (typeof REJECTED_VALUE_KINDS)[number];

export interface RejectedValue {
  lineNumber: number;
  kind: RejectedValueKind | DisagreementKind;
  /** The field as the log names it, e.g. `output_tokens`. Never the value: it may be user content. */
  field: string;
}

const MAX_SAMPLES = 5;

export class ValueChecks {
  /** Line being read, for the samples. */
  lineNumber = 0;
  private readonly byKind: Record<RejectedValueKind, number>;
  readonly samples: RejectedValue[];
  /** Totals that disagree with the parts they should be the sum of (kept, not rejected: see `disagree`). */
  private disagreementTotal: number;
  readonly disagreementSamples: RejectedValue[];

  constructor(state?: ValueChecksState) {
    this.byKind = { count: state?.byKind.count ?? 0, timestamp: state?.byKind.timestamp ?? 0, object: state?.byKind.object ?? 0 };
    this.samples = state === undefined ? [] : state.samples.map((sample) => ({ ...sample }));
    this.disagreementTotal = state?.disagreements?.total ?? 0;
    this.disagreementSamples = state?.disagreements?.samples.map((sample) => ({ ...sample })) ?? [];
  }

  snapshot(): ValueChecksState {
    return {
      byKind: { ...this.byKind },
      samples: this.samples.map((sample) => ({ ...sample })),
      disagreements: { total: this.disagreementTotal, samples: this.disagreementSamples.map((sample) => ({ ...sample })) },
    };
  }

  /** A token count, or null; a present value that is not a storable count is counted. */
  count(value: unknown, field: string): number | null {
    const count = asCount(value);
    if (count === null && isPresent(value)) this.reject('count', field);
    return count;
  }

  /** An ISO-8601 UTC timestamp, or null; a present value that is not a storable date is counted. */
  timestamp(value: unknown, field: string): string | null {
    const timestamp = asTimestamp(value);
    if (timestamp === null && isPresent(value)) this.reject('timestamp', field);
    return timestamp;
  }

  /** A JSON object the format defines, or null; a present value of another type is counted. */
  record(value: unknown, field: string): Record<string, unknown> | null {
    if (isRecord(value)) return value;
    if (isPresent(value)) this.reject('object', field);
    return null;
  }

  /** A JSON array the format defines, or null; a present value of another type is counted as an `object`. */
  list(value: unknown, field: string): unknown[] | null {
    if (Array.isArray(value)) return value;
    if (isPresent(value)) this.reject('object', field);
    return null;
  }

  /**
   * Counts a total that disagrees with the sum of its parts (`field` names the total). Both values are valid, so
   * nothing is stored as NULL: the caller keeps the larger and this count says that it had to choose.
   */
  disagree(field: string): void {
    this.disagreementTotal += 1;
    if (this.disagreementSamples.length < MAX_SAMPLES) this.disagreementSamples.push({ lineNumber: this.lineNumber, kind: 'split', field });
  }

  get disagreements(): number {
    return this.disagreementTotal;
  }

  get total(): number {
    return this.byKind.count + this.byKind.timestamp + this.byKind.object;
  }

  get counts(): Readonly<Record<RejectedValueKind, number>> {
    return this.byKind;
  }

  private reject(kind: RejectedValueKind, field: string): void {
    this.byKind[kind] += 1;
    if (this.samples.length < MAX_SAMPLES) this.samples.push({ lineNumber: this.lineNumber, kind, field });
  }
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}
