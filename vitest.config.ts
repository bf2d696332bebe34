import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one Postgres and one S3/SQS emulator; each suite uses its own schema and bucket.
    fileParallelism: true,
    pool: 'forks',
    // The AWS SDK's Node < 22 NodeVersionSupportWarning, as bin/sessionlake.js does: only that warning.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
