import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { readSecretReference } from '../secrets.js';
import type { AlertChannel, Budget } from '../store/budgets.js';

/** Where an alert goes: each channel sends one message or throws (the alert is then tried again next check). */
export interface AlertMessage {
  subject: string;
  text: string;
}

export type AlertSender = (budget: Budget, message: AlertMessage) => Promise<void>;
export type AlertSenders = Partial<Record<AlertChannel, AlertSender>>;

/** The stack's SNS topic (e-mail, chat or a pager subscribe to it). */
export function snsSender(sns: SNSClient, topicArn: string): AlertSender {
  return async (_budget, message) => {
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: message.subject, Message: message.text }));
  };
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * A Slack-compatible incoming webhook (`{"text": …}`; Mattermost, Discord's /slack endpoint and Teams workflows
 * take the same body). Its URL is a secret, read from the budget's `ssm:` / `secretsmanager:` reference.
 */
export function webhookSender(region: string, fetchImpl: typeof fetch = fetch): AlertSender {
  const urls = new Map<string, Promise<string>>();
  return async (budget, message) => {
    const reference = budget.webhookSecret;
    if (reference === null) throw new Error(`budget ${budget.name}: the webhook channel needs a webhook secret`);
    let url = urls.get(reference);
    if (url === undefined) {
      url = readSecretReference(reference, region, `budget ${budget.name} webhook`);
      urls.set(reference, url);
      url.catch(() => urls.delete(reference));
    }
    const response = await fetchImpl(await url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `*${message.subject}*\n${message.text}` }),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!response.ok) {
      // The URL is a secret: name the budget and the status, not the address.
      throw new Error(`budget ${budget.name}: the webhook answered HTTP ${response.status}`);
    }
  };
}
