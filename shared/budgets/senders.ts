import { SNSClient } from '@aws-sdk/client-sns';
import { snsSender, webhookSender, type AlertSenders } from './channels.js';

/** The topic budget alerts are published to (the stack sets it to its alarm topic; README "Budgets and alerts"). */
export const BUDGET_TOPIC_ARN = 'SESSIONLAKE_BUDGET_TOPIC_ARN';

/** The channels this process can send to: SNS when a topic is configured, webhooks always (each budget names its secret). */
export function configuredSenders(env: Record<string, string | undefined>, region: string): AlertSenders {
  const topicArn = env[BUDGET_TOPIC_ARN]?.trim();
  return {
    webhook: webhookSender(region),
    ...(topicArn ? { sns: snsSender(new SNSClient({ region }), topicArn) } : {}),
  };
}
