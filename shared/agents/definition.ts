import type { Agent, ObjectLayout, SessionLayout } from '../model.js';
import type { ParserDefinition } from '../parsers/types.js';

/**
 * Everything sessionlake knows about one agent, in one value its folder exports. The registry
 * (shared/agents/registry.ts) holds one per name in AGENTS; the key layout, the ingest, the redaction of saved
 * state, the notification filters, `npm start`, `sessionlake parse` and the chaos truth read it from there.
 * docs/adding-an-agent.md is the recipe.
 */
export interface AgentDefinition {
  readonly name: Agent;
  /** How messages and reports name it (`Claude Code`). */
  readonly displayName: string;
  readonly parser: ParserDefinition;
  /**
   * `jsonl`: one record per line, only ever appended to, so a grown object is read from where the last ingest
   * ended (delta ingest). `json-document`: one JSON document rewritten in place, read whole every time.
   */
  readonly format: 'jsonl' | 'json-document';
  readonly content: ContentDetection;
  readonly keyLayout: KeyLayoutRule;
  /** Key suffixes the bucket must send notifications for: its sessions and its sidecars. */
  readonly notifySuffixes: readonly string[];
  /**
   * Where the agent writes its sessions: `home` below the user's home folder, which `npm start` uploads to
   * `<machine>/raw/<agent>/`, and `samples` below test/fixtures, the sample sessions it uploads to
   * `sample/raw/<agent>/`.
   */
  readonly localFolder: { readonly home: readonly string[]; readonly samples: readonly string[] };
  /**
   * Keys of the parser's saved state (its delta ingest snapshot) whose string values are text from the log (a
   * title cut from a prompt): redacted before the state is stored, like the row they came from.
   */
  readonly savedStateTextKeys: readonly string[];
  /** Which rows of model_prices price the models it logs: its providers' model-name prefixes. */
  readonly priceFamily: { readonly provider: string; readonly modelPrefixes: readonly string[] };
  /**
   * The parse bench's inputs (`npm run bench:parse`): sample sessions below `localFolder.samples`, each repeated
   * into one large object. `name` is the input's name on the command line (`--parsers`) and in the results: the
   * agent's name, or `<agent>-<kind>` for a second kind of object.
   */
  readonly benchSamples: readonly { readonly name: string; readonly file: string }[];
}

/** How an object's first JSON record tells this agent's content from another's. */
export interface ContentDetection {
  /** Whether a first record is this agent's when no key layout says whose it is (`sessionlake parse` on a file). */
  matches(firstRecord: Record<string, unknown>): boolean;
  /**
   * What is read under this agent's own keys: `matches`, only content `matches` accepts; `unclaimed`, anything no
   * other agent's `matches` accepts (for a format without a fixed envelope, as Claude Code's). When no layout
   * names the agent, the `matches` agents are asked first.
   */
  readonly underOwnKeys: 'matches' | 'unclaimed';
}

/** A key below `<machine>/raw/<agent>/`, split at the agent segment. */
export interface AgentKey {
  key: string;
  machine: string;
  /** The key up to and including the agent segment: `<prefix>/<machine>/raw/<agent>`. */
  agentRoot: string;
  /** The key's segments after the agent segment. */
  rest: string[];
}

/** Where the agent's files live below `<machine>/raw/<agent>/`: what is a session, a subagent, a sidecar. */
export interface KeyLayoutRule {
  /** What the object is; anything the agent does not write there is skipped with the reason. */
  classify(key: AgentKey): ObjectLayout;
  /**
   * The key of a sidecar a session's log points to (the path the agent recorded on its machine), or null when
   * the path is not one of the session's sidecars (or the agent writes none).
   */
  sidecarKey(layout: SessionLayout, recordedPath: string): string | null;
  /** Whether a local file name is one only this agent writes: `sessionlake parse` then needs no `--agent`. */
  ownsFileName(fileName: string): boolean;
}
