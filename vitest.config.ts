import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // Integration files mostly wait (on Postgres, the emulators, child processes); vitest's default, one worker per
    // core but one, ran them one at a time on a 2-core CI machine.
    maxWorkers: 3,
    pool: 'forks',
    // The AWS SDK's Node < 22 NodeVersionSupportWarning, as bin/sessionlake.js does: only that warning.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // `npm run test:unit` runs the first alone, without starting Postgres; `npm test` runs both.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Integration suites share one Postgres and one S3/SQS emulator; each suite uses its own schema and bucket.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
