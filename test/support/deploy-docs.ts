/**
 * Commands docs/deploy.md gives an operator, read out of the page so the tests run what it says.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const DEPLOY_DOC = fileURLToPath(new URL('../../docs/deploy.md', import.meta.url));

/**
 * The jq program of "An existing bucket" that merges our notification rules into the bucket's configuration,
 * run as the page runs it: `jq -n --arg queue "$QUEUE_ARN" --arg prefix "$PREFIX" '<program>' current.json`.
 */
export async function notificationMergeProgram(): Promise<string> {
  const page = await readFile(DEPLOY_DOC, 'utf8');
  const found = /jq -n --arg queue "\$QUEUE_ARN" --arg prefix "\$PREFIX" '([\s\S]*?)' current\.json > merged\.json/.exec(page)?.[1];
  if (found === undefined) throw new Error('docs/deploy.md: the jq merge command is not where the tests look for it');
  return found;
}
