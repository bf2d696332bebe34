import type pg from 'pg';
import type { MessageRecord, RecordSink, RowRevision, SessionSummary, TokenCounts, ToolCallRecord } from '../model.js';
import { insertRows, unnestInsert, type InsertMethod, type RowValue, type TableShape } from './row-inserts.js';
import { SCHEMA } from './schema.js';
import { inlineParameters, JsonTooDeepError, sqlJson, sqlText } from './sql-values.js';

/**
 * Writes one session's rows inside the object's transaction, in batches while the body streams, so
 * memory stays bounded by one batch whatever the object's size.
 */

export interface SessionIdentity {
  id: string;
  machine: string;
  agent: string;
  kind: 'session' | 'subagent';
  parentSessionId: string | null;
}

export interface SessionFinish {
  /** The agent whose parser read the object (decided by content when the layout did not say). */
  agent: string;
  summary: SessionSummary;
  malformedLines: number;
  truncated: boolean;
  /** Secret findings written for the session since its claim (all written by now). */
  findingsWritten: number;
}

/** Takes a session's summary statement (SQL without parameters) to send with the transaction's COMMIT. */
export type SummarySink = (sessionId: string, sql: string) => void;

/** Billed tokens beyond the five counts: the 1-hour cache writes and the compaction iterations (migration 007). */
const SPLIT_TOKEN_COLUMNS = [
  'cache_creation_1h_input_tokens', 'compaction_input_tokens', 'compaction_output_tokens',
  'compaction_cache_creation_input_tokens', 'compaction_cache_creation_1h_input_tokens', 'compaction_cache_read_input_tokens',
] as const;

/** Values for SPLIT_TOKEN_COLUMNS, in their order. */
function splitTokenValues(tokens: TokenCounts | null): (number | null)[] {
  const compaction = tokens?.compaction;
  return [
    tokens?.cacheCreation1hInput ?? null, compaction?.input ?? null, compaction?.output ?? null,
    compaction?.cacheCreationInput ?? null, compaction?.cacheCreation1hInput ?? null, compaction?.cacheReadInput ?? null,
  ];
}

export const MESSAGES: TableShape = {
  table: 'messages',
  columns: [
    'session_id', 'ordinal', 'role', 'source_type', 'source_subtype', 'uuid', 'parent_uuid', '"timestamp"', 'model',
    'text', 'thinking', 'is_sidechain', 'is_compact_boundary', 'message_id', 'request_id', 'input_tokens',
    'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'reasoning_output_tokens', 'usage',
    'line_number', 'byte_offset', ...SPLIT_TOKEN_COLUMNS, 'transcript_month',
  ],
  types: [
    'text', 'int', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'text', 'text', 'text', 'boolean', 'boolean',
    'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'jsonb', 'int', 'bigint',
    ...SPLIT_TOKEN_COLUMNS.map(() => 'bigint'), 'date',
  ],
};

/** Where a message row holds its timestamp (the first batch's earliest decides the session's month). */
const MESSAGE_TIMESTAMP = MESSAGES.columns.indexOf('"timestamp"');

export const TOOL_CALLS: TableShape = {
  table: 'tool_calls',
  columns: [
    'session_id', 'message_ordinal', 'call_index', 'call_id', 'name', 'input', 'input_text', 'result_text', 'is_error',
    'result_timestamp', 'transcript_month',
  ],
  types: ['text', 'int', 'int', 'text', 'text', 'jsonb', 'text', 'text', 'boolean', 'timestamptz', 'date'],
};

const MESSAGE_ORDINAL = MESSAGES.columns.indexOf('ordinal');
const CALL_ORDINAL = TOOL_CALLS.columns.indexOf('message_ordinal');
const CALL_INDEX = TOOL_CALLS.columns.indexOf('call_index');

export interface WriterOptions {
  batchRows?: number;
  batchBytes?: number;
  /** How batches are inserted (see row-inserts.ts); `copy` unless a benchmark asks for another. */
  insertMethod?: InsertMethod;
}

const DEFAULT_BATCH_ROWS = 500;
/** Batches of at most this many rows are written by one statement (rows and revisions together). */
const ONE_STATEMENT_ROWS = 100;
const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

type ToolResultRevision = Extract<RowRevision, { kind: 'tool-result' }>;
type TokensRevision = Extract<RowRevision, { kind: 'billed-tokens' }>;

/**
 * Whether a revision names a row of its own batch. A resumed parser revises only rows an earlier ingest wrote
 * (model.ts), but were one to name a row of the batch, the update must run after the insert (a statement's parts
 * do not see one another's rows), so such a batch is written statement by statement.
 */
function revisesOwnRows(batch: { messages: RowValue[][]; toolCalls: RowValue[][]; results: ToolResultRevision[]; tokens: TokensRevision[] }): boolean {
  if (batch.tokens.length > 0) {
    const ordinals = new Set(batch.messages.map((row) => row[MESSAGE_ORDINAL]));
    if (batch.tokens.some((revision) => ordinals.has(revision.ordinal))) return true;
  }
  if (batch.results.length > 0) {
    const calls = new Set(batch.toolCalls.map((row) => `${String(row[CALL_ORDINAL])}/${String(row[CALL_INDEX])}`));
    if (batch.results.some((revision) => calls.has(`${revision.messageOrdinal}/${revision.callIndex}`))) return true;
  }
  return false;
}

/** The rows of session_link_locks a session's links are decided under (see SessionWriter.finish). */
interface LinkLocks {
  agent: string;
  /** Sorted. */
  ids: string[];
}

function linkLocksInsert({ agent, ids }: LinkLocks, values: unknown[]): string {
  values.push(agent, ids);
  return `INSERT INTO ${SCHEMA}.session_link_locks (agent, source_session_id)
         SELECT $${values.length - 1}::text, id FROM unnest($${values.length}::text[]) AS id ORDER BY id
         ON CONFLICT (agent, source_session_id) DO UPDATE SET agent = EXCLUDED.agent`;
}

export class SessionWriter implements RecordSink {
  private messageRows: RowValue[][] = [];
  private toolCallRows: RowValue[][] = [];
  private resultRevisions: ToolResultRevision[] = [];
  private tokenRevisions: TokensRevision[] = [];
  private pendingBytes = 0;
  private readonly batchRows: number;
  private readonly batchBytes: number;
  /** JSON values (tool input, raw usage) too deeply nested to store: written as NULL, counted here. */
  jsonRejected = 0;
  private readonly insertMethod: InsertMethod;
  /** The batch being written while the parser fills the next one; its failure surfaces at the next flush. */
  private inFlight: Promise<void> = Promise.resolve();
  /** Rows written so far, for logs and tests. */
  messagesWritten = 0;
  toolCallsWritten = 0;
  /** Rows of an earlier ingest changed by a resumed parse. */
  rowsRevised = 0;
  /** Whether the last batch's statement took the link locks (finish). */
  private linkLocksTaken = false;
  /**
   * The ordinal from which the session's tool calls may lack search rows once this writer is done (null: any):
   * a delta's resume point, or the earliest call whose pending result it filled in (that update drops the call's
   * search row, migration 011).
   */
  searchFrom: number | null;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly session: SessionIdentity & { objectUri: string },
    options: WriterOptions,
    /**
     * The session's transcript month (migration 027: its rows' partition), `YYYY-MM-01`; null until the first
     * batch decides it for a session that has none yet.
     */
    private month: string | null,
    /** Secret findings of the session its claim kept (those of rows before the resume point, or none). */
    private readonly findingsKept: number,
    /** Where the summary statement goes: it is sent with the transaction's COMMIT (object-store.ts). */
    private readonly deferSummary: SummarySink,
    fromOrdinal: number | null,
  ) {
    this.searchFrom = fromOrdinal;
    this.batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.insertMethod = options.insertMethod ?? 'copy';
  }

  get sessionId(): string {
    return this.session.id;
  }

  /** Replaces the session's rows: the old messages and tool calls go. */
  static async begin(
    client: pg.PoolClient,
    session: SessionIdentity & { objectUri: string },
    options: WriterOptions,
    deferSummary: SummarySink,
  ): Promise<SessionWriter> {
    const { month, findingsKept } = await SessionWriter.claim(client, session, null);
    return new SessionWriter(client, session, options, month, findingsKept, deferSummary, null);
  }

  /**
   * Continues the session's rows from a resume point (delta ingest): rows from `fromOrdinal` on were written
   * after the point was taken and go; the parser writes them again, and revises earlier rows it held.
   */
  static async resume(
    client: pg.PoolClient,
    session: SessionIdentity & { objectUri: string },
    fromOrdinal: number,
    options: WriterOptions,
    deferSummary: SummarySink,
  ): Promise<SessionWriter> {
    const { month, findingsKept } = await SessionWriter.claim(client, session, fromOrdinal);
    return new SessionWriter(client, session, options, month, findingsKept, deferSummary, fromOrdinal);
  }

  /**
   * Claims the session's row and deletes its rows and their secret findings (from `fromOrdinal` on; null: all),
   * in one statement (one round trip). Returns the session's transcript month, null for a session that has none
   * yet, and how many of its findings stay (the count reads the statement's snapshot: all, less those it deletes).
   */
  private static async claim(
    client: pg.PoolClient,
    session: SessionIdentity & { objectUri: string },
    fromOrdinal: number | null,
  ): Promise<{ month: string | null; findingsKept: number }> {
    const claimed = await client.query<{ month: string | null; kept: string }>(
      `WITH claimed AS (
         INSERT INTO ${SCHEMA}.sessions (id, object_uri, machine, agent, kind, parent_session_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET object_uri = EXCLUDED.object_uri, machine = EXCLUDED.machine,
           agent = EXCLUDED.agent, kind = EXCLUDED.kind, parent_session_id = EXCLUDED.parent_session_id, updated_at = now()
         RETURNING transcript_month),
       calls AS (DELETE FROM ${SCHEMA}.tool_calls WHERE session_id = $1 AND ($7::int IS NULL OR message_ordinal >= $7)),
       messages AS (DELETE FROM ${SCHEMA}.messages WHERE session_id = $1 AND ($7::int IS NULL OR ordinal >= $7)),
       findings AS (DELETE FROM ${SCHEMA}.secret_findings WHERE session_id = $1 AND ($7::int IS NULL OR message_ordinal >= $7) RETURNING 1)
       SELECT to_char(transcript_month, 'YYYY-MM-DD') AS month,
              (SELECT count(*) FROM ${SCHEMA}.secret_findings WHERE session_id = $1) - (SELECT count(*) FROM findings) AS kept
       FROM claimed`,
      [session.id, session.objectUri, session.machine, session.agent, session.kind, session.parentSessionId, fromOrdinal],
    );
    const row = claimed.rows[0];
    return { month: row?.month ?? null, findingsKept: Number(row?.kept ?? 0) };
  }

  /**
   * A session's transcript month is taken once, by its first batch: the UTC month of the earliest message time in
   * it (of this ingest's clock when it has none), stored on the session and never changed (migration 027), so
   * every later batch, delta and re-ingest writes into the same partition.
   */
  private async transcriptMonth(messages: RowValue[][]): Promise<string> {
    if (this.month !== null) return this.month;
    let earliest = Number.POSITIVE_INFINITY;
    for (const row of messages) {
      const time = row[MESSAGE_TIMESTAMP];
      const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
      if (ms < earliest) earliest = ms;
    }
    const date = new Date(Number.isFinite(earliest) ? earliest : Date.now());
    const wanted = `${String(date.getUTCFullYear()).padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-01`;
    const stored = await this.client.query<{ month: string }>(
      `UPDATE ${SCHEMA}.sessions SET transcript_month = coalesce(transcript_month, $2::date) WHERE id = $1
       RETURNING to_char(transcript_month, 'YYYY-MM-DD') AS month`,
      [this.session.id, wanted],
    );
    this.month = stored.rows[0]?.month ?? wanted;
    return this.month;
  }

  message(m: MessageRecord): void {
    const text = sqlText(m.text);
    const thinking = sqlText(m.thinking);
    const usage = this.json(m.rawUsage);
    this.messageRows.push([
      this.session.id, m.ordinal, m.role, m.sourceType, sqlText(m.sourceSubtype), sqlText(m.uuid), sqlText(m.parentUuid),
      m.timestamp, sqlText(m.model), text, thinking, m.isSidechain, m.isCompactBoundary, sqlText(m.responseId),
      sqlText(m.requestId), m.tokens?.input ?? null, m.tokens?.output ?? null, m.tokens?.cacheCreationInput ?? null,
      m.tokens?.cacheReadInput ?? null, m.tokens?.reasoningOutput ?? null, usage, m.lineNumber, m.byteOffset,
      ...splitTokenValues(m.tokens), null,
    ]);
    this.pendingBytes += (text?.length ?? 0) + (thinking?.length ?? 0) + (usage?.length ?? 0) + 200;
  }

  toolCall(t: ToolCallRecord): void {
    const input = this.json(t.input);
    const inputText = sqlText(t.inputText);
    const result = sqlText(t.resultText);
    this.toolCallRows.push([
      this.session.id, t.messageOrdinal, t.callIndex, sqlText(t.callId), sqlText(t.name) ?? '', input, inputText, result,
      t.isError, t.resultTimestamp, null,
    ]);
    this.pendingBytes += (input?.length ?? 0) + (inputText?.length ?? 0) + (result?.length ?? 0) + 100;
  }

  private json(value: unknown): string | null {
    try {
      return sqlJson(value);
    } catch (error) {
      if (!(error instanceof JsonTooDeepError)) throw error;
      this.jsonRejected += 1;
      return null;
    }
  }

  revise(revision: RowRevision): void {
    if (revision.kind === 'tool-result') {
      if (this.searchFrom !== null) this.searchFrom = Math.min(this.searchFrom, revision.messageOrdinal);
      this.resultRevisions.push(revision);
      this.pendingBytes += (revision.resultText?.length ?? 0) + 100;
    } else {
      this.tokenRevisions.push(revision);
      this.pendingBytes += 100;
    }
  }

  shouldFlush(): boolean {
    const rows = this.messageRows.length + this.toolCallRows.length + this.resultRevisions.length + this.tokenRevisions.length;
    return rows >= this.batchRows || this.pendingBytes >= this.batchBytes;
  }

  /**
   * Hands the rows held so far to Postgres and returns as soon as the previous batch is written, so the parser
   * fills the next batch while this one is in flight (one connection: statements still run in order).
   */
  async flush(linkLocks: LinkLocks | null = null): Promise<void> {
    await this.inFlight;
    const batch = {
      messages: this.messageRows,
      toolCalls: this.toolCallRows,
      results: this.resultRevisions,
      tokens: this.tokenRevisions,
    };
    this.messageRows = [];
    this.toolCallRows = [];
    this.resultRevisions = [];
    this.tokenRevisions = [];
    this.pendingBytes = 0;
    const writing = this.write(batch, linkLocks);
    // Awaited at the next flush or in finish; until then a failure must not count as unhandled.
    writing.catch(() => undefined);
    this.inFlight = writing;
  }

  /** Waits for the batch in flight (and fails with it). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  /** `linkLocks`: taken by the statement that writes a small batch (else by finish, on their own). */
  private async write(
    batch: {
      messages: RowValue[][];
      toolCalls: RowValue[][];
      results: ToolResultRevision[];
      tokens: TokensRevision[];
    },
    linkLocks: LinkLocks | null,
  ): Promise<void> {
    if (batch.messages.length > 0 || batch.toolCalls.length > 0) {
      const month = await this.transcriptMonth(batch.messages);
      for (const row of batch.messages) row[row.length - 1] = month;
      for (const row of batch.toolCalls) row[row.length - 1] = month;
    }
    if (this.insertMethod !== 'values' && batch.messages.length + batch.toolCalls.length <= ONE_STATEMENT_ROWS && !revisesOwnRows(batch)) {
      // A small batch (a delta's, a session's last): its rows and revisions in one statement, one round trip.
      const values: unknown[] = [];
      const parts: string[] = [];
      if (batch.messages.length > 0) parts.push(unnestInsert(MESSAGES, batch.messages, values));
      if (batch.toolCalls.length > 0) parts.push(unnestInsert(TOOL_CALLS, batch.toolCalls, values));
      if (batch.results.length > 0) parts.push(this.resultsUpdate(batch.results, values));
      if (batch.tokens.length > 0) parts.push(this.tokensUpdate(batch.tokens, values));
      if (parts.length > 0 && linkLocks !== null) {
        parts.push(linkLocksInsert(linkLocks, values));
        this.linkLocksTaken = true;
      }
      if (parts.length > 0) {
        await this.client.query(parts.length === 1 ? (parts[0] as string) : `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(', ')} SELECT 1`, values);
      }
    } else {
      await insertRows(this.client, MESSAGES, batch.messages, this.insertMethod);
      await insertRows(this.client, TOOL_CALLS, batch.toolCalls, this.insertMethod);
      if (batch.results.length > 0) {
        const values: unknown[] = [];
        await this.client.query(this.resultsUpdate(batch.results, values), values);
      }
      if (batch.tokens.length > 0) {
        const values: unknown[] = [];
        await this.client.query(this.tokensUpdate(batch.tokens, values), values);
      }
    }
    this.messagesWritten += batch.messages.length;
    this.toolCallsWritten += batch.toolCalls.length;
    this.rowsRevised += batch.results.length + batch.tokens.length;
  }

  /** Results that arrived for calls an earlier ingest wrote as pending (parameters appended to `values`). */
  private resultsUpdate(revisions: ToolResultRevision[], values: unknown[]): string {
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    return `UPDATE ${SCHEMA}.tool_calls t
       SET result_text = v.result_text, is_error = v.is_error, result_timestamp = v.result_timestamp
       FROM unnest(${param(revisions.map((r) => r.messageOrdinal))}::int[], ${param(revisions.map((r) => r.callIndex))}::int[],
                   ${param(revisions.map((r) => sqlText(r.resultText)))}::text[], ${param(revisions.map((r) => r.isError))}::boolean[],
                   ${param(revisions.map((r) => r.resultTimestamp))}::timestamptz[])
         AS v (message_ordinal, call_index, result_text, is_error, result_timestamp)
       WHERE t.session_id = ${param(this.session.id)} AND t.message_ordinal = v.message_ordinal AND t.call_index = v.call_index`;
  }

  /** A response's billed tokens, on rows an earlier ingest wrote (parameters appended to `values`). */
  private tokensUpdate(revisions: TokensRevision[], values: unknown[]): string {
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const column = (pick: (tokens: NonNullable<TokensRevision['tokens']>) => number | null) =>
      param(revisions.map((r) => (r.tokens === null ? null : pick(r.tokens))));
    const split = revisions.map((r) => splitTokenValues(r.tokens));
    const splitColumns = SPLIT_TOKEN_COLUMNS.map((_, index) => `${param(split.map((row) => row[index] ?? null))}::bigint[]`);
    return `UPDATE ${SCHEMA}.messages m
       SET input_tokens = v.input, output_tokens = v.output, cache_creation_input_tokens = v.cache_creation,
         cache_read_input_tokens = v.cache_read, reasoning_output_tokens = v.reasoning,
         ${SPLIT_TOKEN_COLUMNS.map((name, index) => `${name} = v.split${index}`).join(', ')}
       FROM unnest(${param(revisions.map((r) => r.ordinal))}::int[], ${column((t) => t.input)}::bigint[],
                   ${column((t) => t.output)}::bigint[], ${column((t) => t.cacheCreationInput)}::bigint[],
                   ${column((t) => t.cacheReadInput)}::bigint[], ${column((t) => t.reasoningOutput)}::bigint[],
                   ${splitColumns.join(', ')})
         AS v (ordinal, input, output, cache_creation, cache_read, reasoning,
               ${SPLIT_TOKEN_COLUMNS.map((_, index) => `split${index}`).join(', ')})
       WHERE m.session_id = ${param(this.session.id)} AND m.ordinal = v.ordinal`;
  }

  /**
   * Writes what is left, then prepares the statement that sets the session's summary columns, its count of
   * secret findings and its links to parent and children, sent with COMMIT. Returns that count.
   *
   * Parents named only by their source id (Codex subagents, legacy Claude sidechain files) are resolved to
   * session ids in both directions, whichever of parent and child lands first. The link locks are taken before,
   * by an earlier statement (the last rows', or one of their own): the lookups then run on a snapshot that sees
   * what a concurrent ingest holding them committed (a lock taken inside the same statement would wait, but the
   * statement would still read the snapshot taken before it waited).
   */
  async finish({ agent, summary, malformedLines, truncated, findingsWritten }: SessionFinish): Promise<{ secretsFound: number }> {
    const s = summary;
    const sourceId = sqlText(s.sourceSessionId);
    const parentSourceId = sqlText(s.parentSourceSessionId);
    const resolvesParent = this.session.parentSessionId === null && parentSourceId !== null;
    // A legacy Claude sidechain file carries its parent's session id as its own: it has no children to claim.
    const claimsChildren = sourceId !== null && sourceId !== parentSourceId;
    const linkIds = [...new Set([resolvesParent ? parentSourceId : null, claimsChildren ? sourceId : null])]
      .filter((id): id is string => id !== null)
      .sort();
    // Serialises with any concurrent ingest linking by the same ids (see migration 002); sorted, so no deadlock.
    // Taken by the statement writing the last rows when it is a small batch's (one round trip less).
    const linkLocks = linkIds.length === 0 ? null : { agent, ids: linkIds };
    this.linkLocksTaken = false;
    await this.flush(linkLocks);
    await this.settle();
    if (linkLocks !== null && !this.linkLocksTaken) {
      const values: unknown[] = [];
      await this.client.query(linkLocksInsert(linkLocks, values), values);
    }
    // The parent: of this agent with that source id, a session before a subagent, this machine's first.
    const parent = resolvesParent
      ? `, parent_session_id = (
           SELECT p.id FROM ${SCHEMA}.sessions p
           WHERE p.agent = $23 AND p.source_session_id = $3 AND p.id <> $1
           ORDER BY (p.kind = 'session') DESC, (p.machine = $24) DESC, p.id LIMIT 1)`
      : '';
    // Children claimed: those without a parent yet, and those of this machine that settled for a parent on
    // another machine because this one had not landed (the same session id synced from two machines), so the
    // link does not depend on which object arrived first. Other rows than this one (a statement updates a row once).
    const children = claimsChildren
      ? `WITH children AS (
           UPDATE ${SCHEMA}.sessions c SET parent_session_id = $1, updated_at = now()
           WHERE c.agent = $23 AND c.parent_source_session_id = $2 AND c.id <> $1
             AND (c.parent_session_id IS NULL
                  OR (c.machine = $24 AND $25 = 'session' AND c.parent_session_id <> $1 AND NOT EXISTS (
                        SELECT 1 FROM ${SCHEMA}.sessions p
                        WHERE p.id = c.parent_session_id AND p.machine = c.machine AND p.kind = 'session'))))
         `
      : '';
    const values: unknown[] = [
      this.session.id, sourceId, parentSourceId, sqlText(s.project),
      sqlText(s.cwd), sqlText(s.gitBranch), sqlText(s.cliVersion), sqlText(s.originator), sqlText(s.title),
      s.startedAt, s.endedAt, sqlText(s.model), s.messageCount, s.userMessageCount, s.toolCallCount, s.tokens.input,
      s.tokens.output, s.tokens.cacheCreationInput, s.tokens.cacheReadInput, s.tokens.reasoningOutput,
      malformedLines, truncated, agent,
    ];
    if (resolvesParent || claimsChildren) values.push(this.session.machine);
    if (claimsChildren) values.push(this.session.kind);
    const statement =
      `${children}UPDATE ${SCHEMA}.sessions SET agent = $23, source_session_id = $2, parent_source_session_id = $3, project = $4, cwd = $5,
         git_branch = $6, cli_version = $7, originator = $8, title = $9, started_at = $10, ended_at = $11, model = $12,
         message_count = $13, user_message_count = $14, tool_call_count = $15, input_tokens = $16, output_tokens = $17,
         cache_creation_input_tokens = $18, cache_read_input_tokens = $19, reasoning_output_tokens = $20,
         malformed_lines = $21, is_truncated = $22, deleted_at = NULL, updated_at = now(),
         secrets_found = (SELECT count(*) FROM ${SCHEMA}.secret_findings f WHERE f.session_id = $1)${parent}
       WHERE id = $1`;
    // Sent with COMMIT (one round trip less): a later statement than the link locks' (see above), with its values
    // as literals (a simple query). Its count of findings reads them all, then; the same as the claim's kept
    // ones and those written since, which this transaction alone writes (it holds the object's row).
    this.deferSummary(this.session.id, inlineParameters(statement, values, (text) => this.client.escapeLiteral(text)));
    return { secretsFound: this.findingsKept + findingsWritten };
  }
}
