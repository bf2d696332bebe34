import type pg from 'pg';
import type { Logger } from '../log.js';
import { alertSent, budgetStatuses, claimAlert, type AlertChannel, type BudgetStatus } from '../store/budgets.js';
import { alertMessage } from './alert-message.js';
import type { AlertSenders } from './channels.js';
import { dueThresholds } from './due-alerts.js';

export interface SentAlert {
  budget: string;
  threshold: number;
  channel: AlertChannel;
}

export interface FailedAlert extends SentAlert {
  error: string;
}

export interface BudgetCheck {
  statuses: BudgetStatus[];
  sent: SentAlert[];
  failed: FailedAlert[];
  /** Budgets at or over 100 % of their limit. */
  over: string[];
}

/**
 * Reads every budget's status and sends each alert that is due, once per (budget, period, threshold, channel)
 * however many checkers run at once: the alert is claimed and sent in one transaction, so a failed send is
 * tried again by the next check and a concurrent checker waits, then finds it sent.
 */
export async function checkBudgets(pool: pg.Pool, senders: AlertSenders, log: Logger): Promise<BudgetCheck> {
  const statuses = await budgetStatuses(pool);
  const sent: SentAlert[] = [];
  const failed: FailedAlert[] = [];
  for (const status of statuses) {
    const due = dueThresholds(status.percent, status.thresholds);
    if (due.alert === null) continue;
    for (const channel of status.channels) {
      const send = senders[channel];
      const alert = { budget: status.name, threshold: due.alert, channel };
      if (send === undefined) {
        // A checker without this channel (the CLI on a laptop) has nothing to report once one that has it sent it.
        if (await alertSent(pool, { ...alert, periodStart: status.periodStart })) continue;
        failed.push({ ...alert, error: `no ${channel} channel is configured here` });
        continue;
      }
      try {
        if (await claimAndSend(pool, status, due.alert, due.covered, channel, () => send(status, alertMessage(status, due.alert ?? 0)))) {
          sent.push(alert);
          log.info('budget alert sent', { ...alert, percent: status.percent, spentUsd: status.spentUsd });
        }
      } catch (error) {
        failed.push({ ...alert, error: (error as Error).message });
        log.warn('budget alert not sent; the next check tries again', { ...alert, error });
      }
    }
  }
  return { statuses, sent, failed, over: statuses.filter((status) => status.percent >= 100).map((status) => status.name) };
}

async function claimAndSend(
  pool: pg.Pool,
  status: BudgetStatus,
  threshold: number,
  covered: number[],
  channel: AlertChannel,
  send: () => Promise<void>,
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claim = { budget: status.name, periodStart: status.periodStart, channel, percent: status.percent, spentUsd: status.spentUsd };
    const mine = await claimAlert(client, { ...claim, threshold, covered: false });
    for (const lower of covered) await claimAlert(client, { ...claim, threshold: lower, covered: true });
    if (mine) await send();
    await client.query('COMMIT');
    return mine;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
