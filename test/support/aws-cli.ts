/**
 * The real AWS CLI against the local emulator, for the tests that sync as a machine's cron job would.
 * `findAwsCli()` is null where it is not installed (the test then says it is skipped).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function findAwsCli(): Promise<string | null> {
  for (const candidate of ['aws', '/usr/bin/aws', '/usr/local/bin/aws']) {
    try {
      await run(candidate, ['--version']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The emulator's test credentials and region, and nothing from the user's own AWS configuration. */
export function awsCliEnv(region: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}
