/**
 * Runs a packaged function the way the Lambda runtime does, as far as the bundle can tell: its zip unpacked
 * into a task folder outside the repository (so no node_modules of ours can be found from it), plain `node`
 * (no tsx), the handler named as in the template (`dist/ingest/index.handler`), an event and a context with a
 * deadline, and only the environment given. The Lambda runtime also offers `@aws-sdk/*`; this one does not, so
 * a bundle that relied on it fails here.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const run = promisify(execFile);

// The runtime's part: load the handler module, call it once, hand back its result. Plain JavaScript.
const BOOTSTRAP = `
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const handlerName = process.env._HANDLER;
const dot = handlerName.lastIndexOf('.');
const modulePath = path.join(process.env.LAMBDA_TASK_ROOT, handlerName.slice(0, dot) + '.mjs');
const exported = handlerName.slice(dot + 1);
const deadline = Date.now() + Number(process.env.SESSIONLAKE_TEST_TIMEOUT_MS);
const context = {
  awsRequestId: randomUUID(),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const module = await import(pathToFileURL(modulePath).href);
const event = JSON.parse(readFileSync(process.env.SESSIONLAKE_TEST_EVENT_FILE, 'utf8'));
const result = await module[exported](event, context);
writeFileSync(process.env.SESSIONLAKE_TEST_RESULT_FILE, JSON.stringify(result ?? null));
// A real runtime freezes the environment here; the pool's open connection would keep this process alive.
process.exit(0);
`;

export interface PackagedFunction {
  /** Where the zip was unpacked (the runtime's /var/task). */
  taskRoot: string;
  /** Files the zip holds. */
  files: string[];
  invoke(event: unknown, env: Record<string, string>, timeoutMs?: number): Promise<{ result: unknown; stdout: string; stderr: string }>;
}

export async function unpackFunction(zipFile: string, handler: string, functionName: string): Promise<PackagedFunction> {
  const root = await mkdtemp(path.join(tmpdir(), `sessionlake-lambda-${functionName}-`));
  const taskRoot = path.join(root, 'task');
  const files = Object.entries(unzipSync(await readFile(zipFile)));
  for (const [name, bytes] of files) {
    if (name.endsWith('/')) continue;
    await mkdir(path.join(taskRoot, path.dirname(name)), { recursive: true });
    await writeFile(path.join(taskRoot, name), bytes);
  }
  const bootstrap = path.join(root, 'runtime', 'bootstrap.mjs');
  await mkdir(path.dirname(bootstrap), { recursive: true });
  await writeFile(bootstrap, BOOTSTRAP);
  let invocation = 0;
  return {
    taskRoot,
    files: files.map(([name]) => name).filter((name) => !name.endsWith('/')),
    async invoke(event, env, timeoutMs = 60_000) {
      invocation += 1;
      const eventFile = path.join(root, `event-${invocation}.json`);
      const resultFile = path.join(root, `result-${invocation}.json`);
      await writeFile(eventFile, JSON.stringify(event));
      const { stdout, stderr } = await run(process.execPath, [bootstrap], {
        cwd: taskRoot,
        env: {
          PATH: process.env['PATH'] ?? '',
          LAMBDA_TASK_ROOT: taskRoot,
          _HANDLER: handler,
          AWS_LAMBDA_FUNCTION_NAME: functionName,
          SESSIONLAKE_TEST_TIMEOUT_MS: String(timeoutMs),
          SESSIONLAKE_TEST_EVENT_FILE: eventFile,
          SESSIONLAKE_TEST_RESULT_FILE: resultFile,
          ...env,
        },
        timeout: timeoutMs + 10_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return { result: JSON.parse(await readFile(resultFile, 'utf8')) as unknown, stdout, stderr };
    },
  };
}
