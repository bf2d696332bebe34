// Imported first by run.ts: on Node < 22 the AWS SDK prints a NodeVersionSupportWarning at load, nothing for a
// user to act on (see bin/sessionlake.js). A value already set (`false` to see it) is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
