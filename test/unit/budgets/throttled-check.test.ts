import { describe, expect, it } from 'vitest';
import { budgetCheckIntervalMs, throttledBudgetCheck } from '../../../shared/budgets/throttled-check.js';
import { silentLogger } from '../../../shared/log.js';

describe('throttledBudgetCheck', () => {
  it('checks at most once per interval, and a failed check neither throws nor stops the next', async () => {
    let clock = 1_000_000;
    let calls = 0;
    let fail = false;
    const maybeCheck = throttledBudgetCheck(
      async () => {
        calls += 1;
        if (fail) throw new Error('database down');
      },
      { intervalMs: 300_000, log: silentLogger, now: () => clock },
    );

    await maybeCheck();
    await maybeCheck();
    clock += 299_999;
    await maybeCheck();
    expect(calls).toBe(1);

    clock += 1;
    fail = true;
    await expect(maybeCheck()).resolves.toBeUndefined();
    expect(calls).toBe(2);
    clock += 300_000;
    fail = false;
    await maybeCheck();
    expect(calls).toBe(3);
  });

  it('never checks with an interval of 0', async () => {
    let calls = 0;
    const maybeCheck = throttledBudgetCheck(async () => void (calls += 1), { intervalMs: 0, log: silentLogger });
    await maybeCheck();
    expect(calls).toBe(0);
  });
});

describe('budgetCheckIntervalMs', () => {
  it.each([
    [undefined, 300_000],
    ['', 300_000],
    ['0', 0],
    ['60000', 60_000],
  ])('%s → %s', (raw, expected) => {
    expect(budgetCheckIntervalMs({ SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS: raw })).toBe(expected);
  });
  it('refuses what is not a number of milliseconds', () => {
    expect(() => budgetCheckIntervalMs({ SESSIONLAKE_BUDGET_CHECK_INTERVAL_MS: '5m' })).toThrow(/non-negative integer/);
  });
});
