/**
 * The key that identifies one billed model response: Claude Code writes one line per content block and
 * every line of a response repeats `message.id` and the top-level `requestId`. The same pair is what ccusage
 * hashes and what the database deduplicates on. A line without `message.id` has no key: it is a response
 * of its own. A missing `requestId` leaves the message id alone as the key.
 */
export function responseDedupKey(messageId: string | null, requestId: string | null): string | null {
  if (messageId === null || messageId === '') return null;
  if (requestId === null || requestId === '') return messageId;
  return `${messageId}:${requestId}`;
}
