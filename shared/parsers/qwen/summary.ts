import { toTitle } from '../title.js';
import type { ParserContext, SessionSummary, TokenCounts } from '../../model.js';
import { addTokenCounts, emptyTokenCounts } from '../token-counts.js';
import { asText, maxTimestamp, minTimestamp, mostFrequent, pathBasename } from '../values.js';

/** The collector's fields as they are (see resume-state.ts); `customTitle` and `title` are text from the log. */
export interface QwenSummaryState {
  sessionId: string | null;
  /** A subagent transcript's own id (`agentId`); its records carry the parent's sessionId. */
  agentId: string | null;
  parentSessionId: string | null;
  cwd: string | null;
  gitBranch: string | null;
  cliVersion: string | null;
  originator: string | null;
  title: string | null;
  customTitle: string | null;
  startedAt: string | null;
  endedAt: string | null;
  messages: number;
  prompts: number;
  toolCalls: number;
  tokens: TokenCounts;
  billedByModel: [string, number][];
  rowsByModel: [string, number][];
}

/** Session-level facts collected while lines stream past: scalars and two small model tallies. */
export class QwenSummary {
  private state: QwenSummaryState;
  private readonly billedByModel: Map<string, number>;
  private readonly rowsByModel: Map<string, number>;

  constructor(state?: QwenSummaryState) {
    this.state = state === undefined ? emptyState() : { ...state, tokens: { ...state.tokens } };
    this.billedByModel = new Map(state?.billedByModel);
    this.rowsByModel = new Map(state?.rowsByModel);
  }

  snapshot(): QwenSummaryState {
    return { ...this.state, tokens: { ...this.state.tokens }, billedByModel: [...this.billedByModel], rowsByModel: [...this.rowsByModel] };
  }

  /**
   * The envelope every record carries (createBaseRecord): the first value of each wins (so a field is read from
   * the record only until one is found), times widen the span.
   */
  observeEnvelope(record: Record<string, unknown>, fields: { agentId: string | null; timestamp: string | null }): void {
    const state = this.state;
    state.sessionId ??= asText(record['sessionId']);
    state.agentId ??= fields.agentId;
    state.cwd ??= asText(record['cwd']);
    state.gitBranch ??= asText(record['gitBranch']);
    state.cliVersion ??= asText(record['version']);
    state.startedAt = minTimestamp(state.startedAt, fields.timestamp);
    state.endedAt = maxTimestamp(state.endedAt, fields.timestamp);
  }

  observeParentSession(parentSessionId: string): void {
    this.state.parentSessionId ??= parentSessionId;
  }

  observeOriginator(originator: string): void {
    this.state.originator ??= originator;
  }

  /** A `custom_title` record: the latest one names the session (a rename after an auto title wins). */
  observeCustomTitle(title: string): void {
    const cut = toTitle(title);
    if (cut.length > 0) this.state.customTitle = cut;
  }

  observeRow(model: string | null): void {
    this.state.messages += 1;
    if (model !== null) this.rowsByModel.set(model, (this.rowsByModel.get(model) ?? 0) + 1);
  }

  observePrompt(text: string): void {
    this.state.prompts += 1;
    if (this.state.title === null) {
      const title = toTitle(text);
      if (title.length > 0) this.state.title = title;
    }
  }

  observeToolCall(): void {
    this.state.toolCalls += 1;
  }

  observeBilled(tokens: TokenCounts, model: string | null): void {
    addTokenCounts(this.state.tokens, tokens);
    if (model !== null) this.billedByModel.set(model, (this.billedByModel.get(model) ?? 0) + 1);
  }

  build(context: ParserContext): SessionSummary {
    const state = this.state;
    return {
      // A subagent transcript is its agent's; the sessionId its records carry is the parent's.
      sourceSessionId: state.agentId ?? state.sessionId ?? (context.fileStem.length > 0 ? context.fileStem : null),
      parentSourceSessionId:
        state.parentSessionId ?? (state.agentId === null ? null : state.sessionId) ?? context.parentSourceSessionId,
      project: pathBasename(state.cwd),
      cwd: state.cwd,
      gitBranch: state.gitBranch,
      cliVersion: state.cliVersion,
      originator: state.originator,
      title: state.customTitle ?? state.title,
      startedAt: state.startedAt,
      endedAt: state.endedAt,
      model: mostFrequent(this.billedByModel) ?? mostFrequent(this.rowsByModel),
      messageCount: state.messages,
      userMessageCount: state.prompts,
      toolCallCount: state.toolCalls,
      tokens: { ...state.tokens },
    };
  }
}

function emptyState(): QwenSummaryState {
  return {
    sessionId: null,
    agentId: null,
    parentSessionId: null,
    cwd: null,
    gitBranch: null,
    cliVersion: null,
    originator: null,
    title: null,
    customTitle: null,
    startedAt: null,
    endedAt: null,
    messages: 0,
    prompts: 0,
    toolCalls: 0,
    tokens: emptyTokenCounts(),
    billedByModel: [],
    rowsByModel: [],
  };
}
