import { describe, expect, it } from 'vitest';
import { dueThresholds } from '../../../shared/budgets/due-alerts.js';

describe('dueThresholds', () => {
  it.each([
    [49.9, [50, 80, 100], null, []],
    [50, [50, 80, 100], 50, []],
    [85, [50, 80, 100], 80, [50]],
    [135, [50, 80, 100], 100, [80, 50]],
    [100, [100, 80, 80], 100, [80]],
    [0, [1], null, []],
  ])('%s %% of %j: alert %s, covered %j', (percent, thresholds, alert, covered) => {
    expect(dueThresholds(percent, thresholds)).toEqual({ alert, covered });
  });
});
