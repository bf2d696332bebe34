/**
 * Resuming a parse where an earlier ingest of the same object stopped (delta ingest, issue 11).
 *
 * Session logs only grow, and `aws s3 sync` uploads the whole file each time. When a new version starts with
 * the bytes already ingested, only the new bytes are read and the parser continues from a saved state. The
 * result must be exactly what a full parse of the whole object would store; anything that cannot promise that
 * falls back to a full ingest.
 *
 * Where a state is taken: at the end of the last line that has a newline — before the object's final line when
 * that one has none (torn, or complete JSON that more bytes may still turn into a longer line), so that line
 * is always read again, whole, by the next delta. `byteOffset` is that point; everything after it is re-read.
 *
 * The rule that makes a small state possible: everything the parser holds at that point (pending tool calls,
 * the open Claude response) will have been written by the end of the ingest that took the state, because
 * `finish` emits it. So the state keeps only *references* to those rows (ordinal, call index, the tokens a
 * response's lines reported), never their content, and a resumed parser changes them with `RowRevision`s:
 * a result for a call that was pending, the billed tokens moving to a later line of the same response. Rows
 * with an ordinal ≥ the state's `nextOrdinal` were written after the state was taken (from the final line
 * without newline, or released at `finish`): a resumed ingest deletes them first, and the parser writes them
 * again. Undecided Codex user input (held to pair prompts with their event) has no ordinal yet; a state taken
 * while some is held is not resumable (`snapshot()` returns null) — it is a window of seconds per turn.
 *
 * What the state holds (JSON; all of it scalars, ids and counts — no message text except the session title):
 * - driver (this module): the byte offset and line count it ends at, the line statistics (totals, malformed
 *   by reason and the first samples), and the rejected-value counts and samples, so the objects row after a
 *   delta equals the one a full ingest writes;
 * - Claude: the next ordinal, ignored/unknown line counts, the summary builder's scalars and model tally, the
 *   tool-call count and the pending calls (id → ordinal, index), the open response (its dedup key, whether it is
 *   a repeat, and per held line its ordinal, reported tokens and model), the dedup keys seen and repeats;
 * - Codex: the next ordinal, counts, current and last turn, model, whether the own session_meta was seen, the
 *   replay gate, the token meter's last totals, the pending calls (id → ordinal), whether prompt events were
 *   seen, and the session facts (including the turns already counted per model);
 * - every other agent: its parser's doc comment (in the agent's folder) lists what its state holds.
 * It grows with the number of responses (one dedup key each) and turns, not with the bytes of the log.
 *
 * Versioning: `RESUME_FORMAT` covers the shape of every part (bump it when any part changes), and a state is
 * used only by the parser version that wrote it (stored beside it); otherwise the object is ingested in full.
 */

import type { MalformedReason } from './parse-session.js';
import type { RejectedValue, RejectedValueKind } from './value-checks.js';

export const RESUME_FORMAT = 1;

export interface LineStatsState {
  total: number;
  blank: number;
  malformed: number;
  malformedByReason: Record<MalformedReason, number>;
  malformedSamples: { lineNumber: number; byteOffset: number; reason: MalformedReason }[];
  records: number;
  controlCharacters: number;
  invalidUtf8: number;
}

export interface ValueChecksState {
  byKind: Record<RejectedValueKind, number>;
  samples: RejectedValue[];
  /** Absent in states written before disagreements were counted. */
  disagreements?: { total: number; samples: RejectedValue[] };
}

/** Everything needed to continue reading an object at `byteOffset`. */
export interface ResumePoint {
  format: typeof RESUME_FORMAT;
  /** End of the last line with a newline that the state includes; a delta reads from here. */
  byteOffset: number;
  /** Lines before `byteOffset` (the next line read is number `linesBefore + 1`). */
  linesBefore: number;
  /** Rows (ordinals) the state accounts for: a resumed ingest rewrites every row from this ordinal on. */
  nextOrdinal: number;
  lines: LineStatsState;
  values: ValueChecksState;
  /** The agent parser's own `snapshot()`. */
  parser: unknown;
}

/** The resume point read back from storage, or null when it is not one this code wrote. */
export function readResumePoint(value: unknown): ResumePoint | null {
  if (typeof value !== 'object' || value === null) return null;
  const point = value as Partial<ResumePoint>;
  if (point.format !== RESUME_FORMAT) return null;
  if (!isCount(point.byteOffset) || !isCount(point.linesBefore) || !isCount(point.nextOrdinal)) return null;
  if (typeof point.lines !== 'object' || point.lines === null || typeof point.values !== 'object' || point.values === null) {
    return null;
  }
  if (point.parser === undefined || point.parser === null) return null;
  return point as ResumePoint;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
