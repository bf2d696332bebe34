/**
 * ccusage 20.0.11 (the native build, `ccusage` + `@ccusage/ccusage-linux-x64` from npm) run over a copy of the
 * fixture folders, as a user would run it on their own ~/.claude and ~/.codex: `ccusage claude daily` and
 * `ccusage codex daily`, `--offline --json --timezone UTC`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
// The native binary itself: the `ccusage` wrapper package lists a binary for every platform as optional
// dependencies, and the registry these machines reach serves only the Linux x64 one, which `npm ci` then
// refuses as a lock file out of sync. The wrapper only starts this binary. It is an optional dependency (npm
// skips it on other platforms), so where it is missing the parity tests skip, except where it installs.
const CCUSAGE_PACKAGE = '@ccusage/ccusage-linux-x64';
const CCUSAGE_BINARY = fileURLToPath(new URL(`../../node_modules/${CCUSAGE_PACKAGE}/bin/ccusage`, import.meta.url));

export interface Machine {
  os: string;
  cpu: string;
  binaryInstalled: boolean;
}

const thisMachine = (): Machine => ({ os: platform(), cpu: arch(), binaryInstalled: existsSync(CCUSAGE_BINARY) });

/** The platform the binary's package is built for, as package-lock.json records it (`os`, `cpu`). */
function packagePlatform(): { os: string[]; cpu: string[] } {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { os?: string[]; cpu?: string[] } | undefined>;
  };
  const entry = lock.packages[`node_modules/${CCUSAGE_PACKAGE}`];
  if (entry?.os === undefined || entry.cpu === undefined) throw new Error(`package-lock.json has no os/cpu for ${CCUSAGE_PACKAGE}`);
  return { os: entry.os, cpu: entry.cpu };
}

/**
 * Why the ccusage comparison cannot run here, or null when it must run. Where npm installs the binary (linux-x64,
 * what CI runs on), it must run, installed or not: a missing binary there fails the tests instead of hiding them.
 */
export function ccusageSkipReason(machine: Machine = thisMachine()): string | null {
  if (machine.binaryInstalled) return null;
  const built = packagePlatform();
  if (built.os.includes(machine.os) && built.cpu.includes(machine.cpu)) return null;
  return `skipped: ccusage's native binary is not installed for this platform (${machine.os}-${machine.cpu}; ${CCUSAGE_PACKAGE} is built for ${built.os.join('/')}-${built.cpu.join('/')} only)`;
}

export interface CcusageClaudeDaily {
  daily: Array<{
    date: string;
    modelBreakdowns: Array<{
      modelName: string;
      inputTokens: number;
      outputTokens: number;
      cacheCreationTokens: number;
      cacheReadTokens: number;
      cost: number;
    }>;
  }>;
}

export interface CcusageCodexDaily {
  daily: Array<{
    date: string;
    costUSD: number;
    models: Record<
      string,
      { inputTokens: number; cacheReadTokens: number; outputTokens: number; reasoningOutputTokens: number; isFallback: boolean }
    >;
  }>;
}

export interface CcusageReports {
  claude: CcusageClaudeDaily;
  codex: CcusageCodexDaily;
}

/** Copies `claudeProjectDirs` into one `projects/` and `codexSessionDirs` into one `sessions/`, then runs both reports. */
export async function runCcusageDaily(claudeProjectDirs: string[], codexSessionDirs: string[]): Promise<CcusageReports> {
  if (!existsSync(CCUSAGE_BINARY)) {
    throw new Error(`ccusage's native binary is missing (${CCUSAGE_BINARY}), on ${platform()}-${arch()}, where \`npm ci\` installs ${CCUSAGE_PACKAGE}: the parity tests must run here`);
  }
  const home = await mkdtemp(path.join(tmpdir(), 'sessionlake-ccusage-'));
  try {
    const claudeDir = path.join(home, '.claude');
    const codexDir = path.join(home, '.codex');
    for (const dir of claudeProjectDirs) await cp(dir, path.join(claudeDir, 'projects'), { recursive: true });
    for (const dir of codexSessionDirs) await cp(dir, path.join(codexDir, 'sessions'), { recursive: true });
    const env = { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: claudeDir, CODEX_HOME: codexDir, NO_COLOR: '1' };
    // npm installs the file without its execute bit (the package declares no bin); run a copy that has it.
    const binary = path.join(home, 'ccusage');
    await copyFile(CCUSAGE_BINARY, binary);
    await chmod(binary, 0o755);
    const run = async (agent: 'claude' | 'codex'): Promise<string> => {
      const args = [agent, 'daily', '--offline', '--json', '--timezone', 'UTC'];
      const { stdout } = await execFileAsync(binary, args, { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    };
    const [claude, codex] = await Promise.all([run('claude'), run('codex')]);
    return { claude: JSON.parse(claude) as CcusageClaudeDaily, codex: JSON.parse(codex) as CcusageCodexDaily };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** ccusage 20.0.11's Gemini CLI daily report: per day only (its JSON has no per-model breakdown for Gemini). */
export interface CcusageGeminiDaily {
  daily: Array<{
    date: string;
    inputTokens: number;
    outputTokens: number;
    cacheCreationTokens: number;
    cacheReadTokens: number;
    totalCost: number;
    modelsUsed: string[];
  }>;
}

/** Copies `geminiTmpDir` to `<home>/.gemini/tmp` and runs `ccusage gemini daily` (GEMINI_DATA_DIR = that .gemini). */
export async function runCcusageGeminiDaily(geminiTmpDir: string): Promise<CcusageGeminiDaily> {
  if (!existsSync(CCUSAGE_BINARY)) {
    throw new Error(`ccusage's native binary is missing (${CCUSAGE_BINARY}), on ${platform()}-${arch()}, where \`npm ci\` installs ${CCUSAGE_PACKAGE}: the parity tests must run here`);
  }
  const home = await mkdtemp(path.join(tmpdir(), 'sessionlake-ccusage-gemini-'));
  try {
    const geminiDir = path.join(home, '.gemini');
    await cp(geminiTmpDir, path.join(geminiDir, 'tmp'), { recursive: true });
    const binary = path.join(home, 'ccusage');
    await copyFile(CCUSAGE_BINARY, binary);
    await chmod(binary, 0o755);
    const env = { ...process.env, HOME: home, GEMINI_DATA_DIR: geminiDir, NO_COLOR: '1' };
    const { stdout } = await execFileAsync(binary, ['gemini', 'daily', '--offline', '--json', '--timezone', 'UTC'], {
      env,
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as CcusageGeminiDaily;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** `ccusage qwen daily` (no per-model breakdown: the models of each day are listed in `modelsUsed`). */
export interface CcusageQwenDaily {
  daily: Array<{
    date: string;
    modelsUsed: string[];
    inputTokens: number;
    outputTokens: number;
    cacheCreationTokens: number;
    cacheReadTokens: number;
    totalCost: number;
  }>;
}

/** Copies `qwenProjectDirs` into one `~/.qwen/projects/` and runs `ccusage qwen daily` over it (QWEN_DATA_DIR). */
export async function runCcusageQwenDaily(qwenProjectDirs: string[]): Promise<CcusageQwenDaily> {
  if (!existsSync(CCUSAGE_BINARY)) {
    throw new Error(`ccusage's native binary is missing (${CCUSAGE_BINARY}), on ${platform()}-${arch()}, where \`npm ci\` installs ${CCUSAGE_PACKAGE}: the parity tests must run here`);
  }
  const home = await mkdtemp(path.join(tmpdir(), 'sessionlake-ccusage-'));
  try {
    const qwenDir = path.join(home, '.qwen');
    for (const dir of qwenProjectDirs) await cp(dir, path.join(qwenDir, 'projects'), { recursive: true });
    const env = { ...process.env, HOME: home, QWEN_DATA_DIR: qwenDir, NO_COLOR: '1' };
    const binary = path.join(home, 'ccusage');
    await copyFile(CCUSAGE_BINARY, binary);
    await chmod(binary, 0o755);
    const args = ['qwen', 'daily', '--offline', '--json', '--timezone', 'UTC'];
    const { stdout } = await execFileAsync(binary, args, { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as CcusageQwenDaily;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}


/** `ccusage copilot daily`: totals per day, the models of each day in `modelsUsed` (the Gemini report's shape). */
export type CcusageCopilotDaily = CcusageGeminiDaily;

/**
 * Runs `ccusage <agent> daily --offline --json --timezone UTC` in a fresh home that `populate` fills (it returns
 * the environment variables naming what it put there), with a copy of the binary that has its execute bit.
 */
async function runDailyInFreshHome<T>(agent: string, populate: (home: string) => Promise<NodeJS.ProcessEnv>): Promise<T> {
  if (!existsSync(CCUSAGE_BINARY)) {
    throw new Error(`ccusage's native binary is missing (${CCUSAGE_BINARY}), on ${platform()}-${arch()}, where \`npm ci\` installs ${CCUSAGE_PACKAGE}: the parity tests must run here`);
  }
  const home = await mkdtemp(path.join(tmpdir(), `sessionlake-ccusage-${agent}-`));
  try {
    const env = { ...process.env, HOME: home, NO_COLOR: '1', ...(await populate(home)) };
    const binary = path.join(home, 'ccusage');
    await copyFile(CCUSAGE_BINARY, binary);
    await chmod(binary, 0o755);
    const args = [agent, 'daily', '--offline', '--json', '--timezone', 'UTC'];
    const { stdout } = await execFileAsync(binary, args, { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Copies `copilotHome` to `~/.copilot` of a fresh home and runs `ccusage copilot daily` over it. */
export function runCcusageCopilotDaily(copilotHome: string): Promise<CcusageCopilotDaily> {
  return runDailyInFreshHome('copilot', async (home) => {
    const copilotDir = path.join(home, '.copilot');
    await cp(copilotHome, copilotDir, { recursive: true });
    return { COPILOT_HOME: copilotDir };
  });
}
