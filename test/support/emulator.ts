/**
 * The local S3 + SQS emulator (with the notification bridge) on a free port, for one test file:
 *   const emulator = await startTestEmulator(); … afterAll(() => emulator.stop());
 */
import { randomBytes } from 'node:crypto';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../infra/local/emulator.js';

export type { RunningEmulator } from '../../infra/local/emulator.js';

export function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const suffix = randomBytes(3).toString('hex');
  return startEmulator({
    bucket: `test-raw-${suffix}`,
    queueName: `test-ingest-${suffix}`,
    ...options,
    port: options.port ?? 0,
  });
}
