/**
 * Commands docs/deploy.md gives an operator, read out of the page so the tests run what it says.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const DEPLOY_DOC = fileURLToPath(new URL('../../docs/deploy.md', import.meta.url));

async function jqProgram(command: RegExp, what: string): Promise<string> {
  const page = await readFile(DEPLOY_DOC, 'utf8');
  const found = command.exec(page)?.[1];
  if (found === undefined) throw new Error(`docs/deploy.md: the jq ${what} command is not where the tests look for it`);
  return found;
}

/**
 * The jq program of "An existing bucket" that merges one stage's notification rules into the bucket's
 * configuration, run as the page runs it:
 * `jq -n --arg queue "$QUEUE_ARN" --arg prefix "$PREFIX" --arg stage "$STAGE" '<program>' current.json`.
 */
export function notificationMergeProgram(): Promise<string> {
  return jqProgram(
    /jq -n --arg queue "\$QUEUE_ARN" --arg prefix "\$PREFIX" --arg stage "\$STAGE" '([\s\S]*?)' current\.json > merged\.json/,
    'merge',
  );
}

/**
 * The jq program of "Teardown" that takes one stage's rules out of an existing bucket's configuration:
 * `jq --arg queue "$QUEUE_ARN" --arg stage "$STAGE" '<program>' current.json`.
 */
export function notificationTeardownProgram(): Promise<string> {
  return jqProgram(/jq --arg queue "\$QUEUE_ARN" --arg stage "\$STAGE" '([\s\S]*?)' current\.json > remaining\.json/, 'teardown');
}
