import type { BudgetStatus } from '../store/budgets.js';

/** The alert's text, the same on every channel: what, how much, of what, and where it is heading. */
export function alertMessage(status: BudgetStatus, threshold: number): { subject: string; text: string } {
  const scope = status.scope === 'all' ? 'all usage' : `${status.scope} ${status.scopeValue}`;
  const usd = (value: number) => `$${value.toFixed(2)}`;
  const start = status.periodStart.slice(0, 10);
  const subject = `sessionlake budget ${status.name}: ${status.percent.toFixed(1)} % of ${usd(status.limitUsd)} (${threshold} % reached)`;
  const lines = [
    `Budget "${status.name}" (${scope}, the ${status.period} from ${start} in ${status.timeZone}) has reached ${threshold} % of its limit:`,
    `${usd(status.spentUsd)} of ${usd(status.limitUsd)} spent (${status.percent.toFixed(1)} %).`,
    `Forecast to ${status.periodEnd.slice(0, 10)}: ${usd(status.forecastUsd)}, at the rate of the last ${status.forecastDays} days.`,
  ];
  if (status.unpricedResponses > 0) {
    lines.push(
      `${status.unpricedResponses} responses (${status.unpricedTokens} tokens) have a model with no price and are not in the spend: it is higher than shown.`,
    );
  }
  return { subject: subject.slice(0, 100), text: lines.join('\n') };
}
