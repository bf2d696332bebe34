import type { ParserContext, SessionSummary, TokenCounts } from '../../model.js';
import { addTokenCounts, emptyTokenCounts } from '../token-counts.js';
import { asText, maxTimestamp, minTimestamp, mostFrequent, pathBasename } from '../values.js';
import type { BilledResponse } from './responses.js';
import { toTitle } from '../title.js';

const AGENT_FILE_PREFIX = 'agent-';

/** The builder's fields as they are (see resume-state.ts). */
export interface SummaryState {
  firstSessionId: string | null;
  cwd: string | null;
  gitBranch: string | null;
  cliVersion: string | null;
  originator: string | null;
  startedAt: string | null;
  endedAt: string | null;
  mainTitle: string | null;
  anyTitle: string | null;
  messages: number;
  userMessages: number;
  tokens: TokenCounts;
  modelResponses: [string, number][];
}

/** Collects the session-level facts while lines stream past; holds only scalars and a model tally. */
export class SummaryBuilder {
  private firstSessionId: string | null = null;
  private cwd: string | null = null;
  private gitBranch: string | null = null;
  private cliVersion: string | null = null;
  private originator: string | null = null;
  private startedAt: string | null = null;
  private endedAt: string | null = null;
  private mainTitle: string | null = null;
  private anyTitle: string | null = null;
  private messages = 0;
  private userMessages = 0;
  private readonly tokens: TokenCounts = emptyTokenCounts();
  /** Responses per model, in first-billed order (the order breaks ties). */
  private readonly modelResponses = new Map<string, number>();

  static restore(state: SummaryState): SummaryBuilder {
    const builder = new SummaryBuilder();
    const { tokens, modelResponses, ...scalars } = state;
    Object.assign(builder, scalars);
    Object.assign(builder.tokens, tokens);
    for (const [model, count] of modelResponses) builder.modelResponses.set(model, count);
    return builder;
  }

  snapshot(): SummaryState {
    return {
      firstSessionId: this.firstSessionId,
      cwd: this.cwd,
      gitBranch: this.gitBranch,
      cliVersion: this.cliVersion,
      originator: this.originator,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      mainTitle: this.mainTitle,
      anyTitle: this.anyTitle,
      messages: this.messages,
      userMessages: this.userMessages,
      tokens: { ...this.tokens },
      modelResponses: [...this.modelResponses],
    };
  }

  /** Every line, whatever its type, contributes identity, environment and time bounds. */
  observeLine(value: Record<string, unknown>, timestamp: string | null): void {
    this.firstSessionId ??= asText(value['sessionId']);
    this.cwd ??= asText(value['cwd']);
    this.gitBranch ??= asText(value['gitBranch']);
    this.cliVersion ??= asText(value['version']);
    this.originator ??= asText(value['entrypoint']);
    this.startedAt = minTimestamp(this.startedAt, timestamp);
    this.endedAt = maxTimestamp(this.endedAt, timestamp);
  }

  observeRow(): void {
    this.messages += 1;
  }

  observeRealPrompt(text: string, isSidechain: boolean): void {
    this.userMessages += 1;
    if (!isSidechain) this.mainTitle ??= toTitle(text);
    this.anyTitle ??= toTitle(text);
  }

  observeBilled(response: BilledResponse): void {
    if (response.tokens !== null) addTokenCounts(this.tokens, response.tokens);
    if (response.model !== null) {
      this.modelResponses.set(response.model, (this.modelResponses.get(response.model) ?? 0) + 1);
    }
  }

  build(context: ParserContext, toolCallCount: number): SessionSummary {
    return {
      sourceSessionId: this.firstSessionId ?? context.fileStem,
      parentSourceSessionId: this.parentSessionId(context),
      project: pathBasename(this.cwd) ?? context.projectDir,
      cwd: this.cwd,
      gitBranch: this.gitBranch,
      cliVersion: this.cliVersion,
      originator: this.originator,
      title: this.mainTitle ?? this.anyTitle,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      model: mostFrequent(this.modelResponses),
      messageCount: this.messages,
      userMessageCount: this.userMessages,
      toolCallCount,
      tokens: { ...this.tokens },
    };
  }

  private parentSessionId(context: ParserContext): string | null {
    if (context.parentSourceSessionId !== null) return context.parentSourceSessionId;
    // A legacy sidechain file (`agent-<id>.jsonl` beside the sessions) carries its parent's sessionId.
    const stem = context.fileStem;
    const id = this.firstSessionId;
    return stem.startsWith(AGENT_FILE_PREFIX) && id !== null && id !== stem ? id : null;
  }
}

