import { toTitle } from '../title.js';
import type { ParserContext, SessionSummary, TokenCounts } from '../../model.js';
import { asText, isRecord, maxTimestamp, minTimestamp, mostFrequent, pathBasename } from '../values.js';
import type { ValueChecks } from '../value-checks.js';
import { addTokenCounts, emptyTokenCounts } from '../token-counts.js';

const ROLLOUT_UUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/iu;

/** Identity and lineage read from the rollout's own session_meta. */
export interface OwnSession {
  id: string | null;
  parentId: string | null;
  /** The payload's `timestamp`, for dating the session when its id is not a UUIDv7. */
  createdAt: string | null;
}

export function readOwnSession(payload: Record<string, unknown>, values: ValueChecks): OwnSession {
  return {
    id: asText(payload['id']) ?? asText(payload['session_id']),
    parentId: parentOf(payload),
    createdAt: values.timestamp(payload['timestamp'], 'session_meta.timestamp'),
  };
}

/** The id of a session_meta (foreign ones included); null when it has none. */
export function sessionMetaId(payload: Record<string, unknown>): string | null {
  return asText(payload['id']) ?? asText(payload['session_id']);
}

/** The spawning thread of a subagent, else the rollout a fork was copied from. */
function parentOf(payload: Record<string, unknown>): string | null {
  const source = payload['source'];
  const subagent = isRecord(source) && isRecord(source['subagent']) ? source['subagent'] : null;
  const spawn = subagent !== null && isRecord(subagent['thread_spawn']) ? subagent['thread_spawn'] : null;
  return (
    (spawn === null ? null : asText(spawn['parent_thread_id'])) ??
    asText(payload['forked_from_id']) ??
    asText(payload['parent_thread_id'])
  );
}

/** `source` when it is a string (cli, exec, vscode…), `subagent` for a spawned agent, else `originator`. */
function originatorOf(payload: Record<string, unknown>): string | null {
  const source = payload['source'];
  if (typeof source === 'string' && source.length > 0) return source;
  if (isRecord(source) && 'subagent' in source) return 'subagent';
  return asText(payload['originator']);
}

/** The collector's fields as they are (see resume-state.ts). */
export interface SessionInfoState {
  own: OwnSession | null;
  cwd: string | null;
  gitBranch: string | null;
  cliVersion: string | null;
  originator: string | null;
  startedAt: string | null;
  endedAt: string | null;
  title: string | null;
  messages: number;
  prompts: number;
  toolCalls: number;
  tokens: TokenCounts;
  billedByModel: [string, number][];
  turnsByModel: [string, number][];
  /** `[turn id, model]` pairs already counted. */
  countedTurns: [string, string][];
}

const TURN_KEY_SEPARATOR = '\u0000';

/** Collects the session-level facts while lines stream past: scalars and two small model tallies. */
export class SessionInfo {
  private own: OwnSession | null = null;
  private cwd: string | null = null;
  private gitBranch: string | null = null;
  private cliVersion: string | null = null;
  private originator: string | null = null;
  private startedAt: string | null = null;
  private endedAt: string | null = null;
  private title: string | null = null;
  private messages = 0;
  private prompts = 0;
  private toolCalls = 0;
  private readonly tokens: TokenCounts = emptyTokenCounts();
  /** Billed responses per model, in first-billed order (the order breaks ties). */
  private readonly billedByModel = new Map<string, number>();
  /** Turns per model, the fallback when nothing was billed. */
  private readonly turnsByModel = new Map<string, number>();
  private readonly countedTurns = new Set<string>();

  static restore(state: SessionInfoState): SessionInfo {
    const info = new SessionInfo();
    const { tokens, billedByModel, turnsByModel, countedTurns, ...scalars } = state;
    Object.assign(info, scalars);
    Object.assign(info.tokens, tokens);
    for (const [model, count] of billedByModel) info.billedByModel.set(model, count);
    for (const [model, count] of turnsByModel) info.turnsByModel.set(model, count);
    for (const [turnId, model] of countedTurns) info.countedTurns.add(`${turnId}${TURN_KEY_SEPARATOR}${model}`);
    return info;
  }

  snapshot(): SessionInfoState {
    return {
      own: this.own === null ? null : { ...this.own },
      cwd: this.cwd,
      gitBranch: this.gitBranch,
      cliVersion: this.cliVersion,
      originator: this.originator,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      title: this.title,
      messages: this.messages,
      prompts: this.prompts,
      toolCalls: this.toolCalls,
      tokens: { ...this.tokens },
      billedByModel: [...this.billedByModel],
      turnsByModel: [...this.turnsByModel],
      countedTurns: [...this.countedTurns].map((key) => {
        const at = key.lastIndexOf(TURN_KEY_SEPARATOR);
        return [key.slice(0, at), key.slice(at + 1)];
      }),
    };
  }

  observeTimestamp(timestamp: string | null): void {
    this.startedAt = minTimestamp(this.startedAt, timestamp);
    this.endedAt = maxTimestamp(this.endedAt, timestamp);
  }

  observeOwnSession(own: OwnSession, payload: Record<string, unknown>): void {
    this.own = own;
    this.cwd = asText(payload['cwd']) ?? this.cwd;
    const git = payload['git'];
    this.gitBranch = isRecord(git) ? asText(git['branch']) : null;
    this.cliVersion = asText(payload['cli_version']);
    this.originator = originatorOf(payload);
  }

  /** A turn_context: a cwd when the session_meta had none, and the turn's model. */
  observeTurnContext(cwd: string | null, model: string | null, turnId: string | null, lineNumber: number): void {
    this.cwd ??= cwd;
    if (model === null) return;
    // Codex writes a turn_context before every model request; a turn counts once per model.
    if (turnId !== null) {
      const key = `${turnId}${TURN_KEY_SEPARATOR}${model}`;
      if (this.countedTurns.has(key)) return;
      this.countedTurns.add(key);
    }
    this.turnsByModel.set(model, (this.turnsByModel.get(model) ?? 0) + 1);
  }

  observeRow(): void {
    this.messages += 1;
  }

  observePrompt(text: string | null): void {
    this.prompts += 1;
    if (this.title === null && text !== null) {
      const title = toTitle(text);
      if (title.length > 0) this.title = title;
    }
  }

  observeToolCall(): void {
    this.toolCalls += 1;
  }

  observeBilled(tokens: TokenCounts, model: string | null): void {
    addTokenCounts(this.tokens, tokens);
    if (model !== null) this.billedByModel.set(model, (this.billedByModel.get(model) ?? 0) + 1);
  }

  build(context: ParserContext): SessionSummary {
    return {
      sourceSessionId: this.own?.id ?? rolloutUuid(context.fileStem),
      parentSourceSessionId: this.own?.parentId ?? context.parentSourceSessionId,
      project: pathBasename(this.cwd),
      cwd: this.cwd,
      gitBranch: this.gitBranch,
      cliVersion: this.cliVersion,
      originator: this.originator,
      title: this.title,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      model: mostFrequent(this.billedByModel) ?? mostFrequent(this.turnsByModel),
      messageCount: this.messages,
      userMessageCount: this.prompts,
      toolCallCount: this.toolCalls,
      tokens: { ...this.tokens },
    };
  }
}

/** The thread id a rollout's file name ends with; the stem itself when it does not look like one. */
function rolloutUuid(fileStem: string): string | null {
  if (fileStem.length === 0) return null;
  return ROLLOUT_UUID.exec(fileStem)?.[1] ?? fileStem;
}

