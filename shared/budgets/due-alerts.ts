/**
 * Which thresholds of a budget a check must alert about: the highest one its spend has reached carries the
 * message; the lower ones reached in the same check are recorded as covered, so a budget that jumps from 40 %
 * to 120 % sends one alert (100 %), not three.
 */
export interface DueThresholds {
  /** The threshold the message is about, or null when none is reached. */
  alert: number | null;
  /** Reached too, recorded without a message of their own. */
  covered: number[];
}

export function dueThresholds(percent: number, thresholds: readonly number[]): DueThresholds {
  const reached = [...new Set(thresholds)].filter((threshold) => percent >= threshold).sort((a, b) => b - a);
  const [alert = null, ...covered] = reached;
  return { alert, covered };
}
