#!/usr/bin/env node
// Entry point of the `sessionlake` command: runs the TypeScript CLI through tsx, no build step needed.
import { register } from 'tsx/esm/api';

// On Node < 22 the AWS SDK prints a NodeVersionSupportWarning block on every start: nothing for a user to act on,
// since Node 20 is supported here. The SDK's own switch silences that one warning and no other; a value already
// set (`false` to see it) is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
