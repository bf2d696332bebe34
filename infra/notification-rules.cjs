// serverless.yml's `${file(./infra/notification-rules.cjs)}`: osls loads variable files with require(), so this
// loads the TypeScript rules (and the agent registry they read) through tsx, a dependency of the package.
const { require: requireTs } = require('tsx/cjs/api');

module.exports = () => requireTs('./notification-rules.ts', __filename).rawBucketQueueConfigurations();
