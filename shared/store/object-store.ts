import type pg from 'pg';
import type { ObjectKind } from '../model.js';
import { translatePgError } from './errors.js';
import { SCHEMA } from './schema.js';
import { sqlLiteral } from './sql-values.js';
import { SecretFindingWriter } from './secret-findings.js';
import type { InsertMethod } from './row-inserts.js';
import { SessionWriter, type SessionIdentity, type WriterOptions } from './session-writer.js';

/**
 * The object-level SQL of the write path (DESIGN.md §4): lock the object's row, look at what is stored,
 * and record the outcome. Everything for one object happens in one transaction: nothing is half-written.
 */

/**
 * An object's state (README, "Object states"): `ingested` (its rows are the stored version's; a sidecar: recorded),
 * `skipped` (not a session this code reads: the reason is in `error`), `deleted` (gone from the bucket, rows kept),
 * `failed` (an attempt failed: `error` says why; retried by the backfill) and `pending` (seen, not finished: a
 * newer version's notice or the backfill finishes it). Migration 016 dropped a sixth, never written.
 */
export const OBJECT_STATES = ['pending', 'ingested', 'failed', 'skipped', 'deleted'] as const;
export type ObjectState = (typeof OBJECT_STATES)[number];

export interface ObjectIdentity {
  uri: string;
  bucket: string;
  key: string;
  machine: string | null;
  agent: string | null;
  kind: ObjectKind;
}

export interface StoredObject {
  etag: string | null;
  sequencer: string | null;
  state: ObjectState;
  parserVersion: string | null;
  kind: ObjectKind;
  sessionId: string | null;
  /** When the row last changed (database clock); a row created by this transaction has now(). */
  updatedAt: Date;
}

export interface ObjectVersion {
  etag: string | null;
  size: number | null;
  lastModified: Date | null;
  sequencer: string | null;
}

export interface IngestStats {
  parserVersion: string;
  bytesIngested: number;
  linesTotal: number;
  linesMalformed: number;
  linesUnknown: number;
  linesIgnored: number;
  duplicateResponses: number;
  valuesRejected: number;
  truncated: boolean;
  /** Human-readable note on what was odd (malformed lines, unknown types); null when clean. */
  note: string | null;
}

/** Where an ingested object can be read on from (migration 006, shared/parsers/resume-state.ts). */
export interface ObjectCheckpoint {
  /** The object version the state was taken from. */
  etag: string;
  parserVersion: string;
  format: number;
  byteOffset: number;
  /** SHA-256 of the `tailBytes` bytes before `byteOffset`. */
  tailSha256: Buffer;
  tailBytes: number;
  state: unknown;
}

/** Which bytes an object's stored rows were read from (migration 010): contiguous ranges from offset 0. */
export interface IngestedRanges {
  /** The object version the rows are stored for. */
  etag: string;
  ranges: IngestedRange[];
  /** Every range was read from `etag`: a full ingest, or a verification. False after a delta. */
  verified: boolean;
}

export interface IngestedRange {
  /** The range covers [previous range's end (0 for the first), end). */
  end: number;
  sha256: Buffer;
}

/** Longest pause between statements of one object's transaction (an S3 read stalling that long is dead). */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 300_000;

/**
 * What the write path (shared/ingest/) needs of the store: ObjectStore's public side, so that unit tests can
 * give it an in-memory store and run without Postgres.
 */
export type IngestStore = { [K in keyof ObjectStore]: ObjectStore[K] };

/** One object's locked transaction as the write path sees it: the public side of PgObjectTransaction (less the store's own list). */
export type ObjectTransaction = {
  [K in Exclude<keyof PgObjectTransaction, 'searchStep' | 'deferredStatements' | 'checkpointRead'>]: PgObjectTransaction[K];
};

/**
 * The follow-up step of an object's ingest: the full-text search rows of its sessions' new or changed tool calls
 * (each session's from the ordinal its ingest wrote or revised tool calls from; null: all), written after the
 * object's transaction commits (migration 011), so the object's transaction does not pay for them. A failure here
 * rejects like a failed ingest; `SELECT sessionlake.index_tool_call_search(NULL)`, which the backfill runs when a
 * run finishes, catches up.
 */
function indexToolCallSearch(client: pg.PoolClient, sessions: Map<string, number | null>): string {
  const escape = (text: string) => client.escapeLiteral(text);
  return `SELECT ${SCHEMA}.index_tool_call_search(${sqlLiteral([...sessions.keys()], escape)}::text[], ${sqlLiteral([...sessions.values()], escape)}::integer[])`;
}

/**
 * Locks the object's row (`FOR UPDATE`) for the rest of the transaction, creating it if new: one statement for
 * a known object (the usual case), two for a new one (a row this transaction inserts is its own until commit).
 */
async function lockObjectRow(client: pg.PoolClient, identity: ObjectIdentity, options: { known?: false } = {}): Promise<StoredObject> {
  const existing = options.known === false ? null : await readStoredObject(client, identity.uri, { lock: true });
  if (existing !== null) return existing;
  const inserted = await client.query<StoredObjectRow>(
    `INSERT INTO ${SCHEMA}.objects (uri, bucket, key, machine, agent, kind) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (uri) DO NOTHING RETURNING ${STORED_OBJECT_COLUMNS}`,
    [identity.uri, identity.bucket, identity.key, identity.machine, identity.agent, identity.kind],
  );
  const row = inserted.rows[0];
  if (row !== undefined) return storedObject(row);
  // Inserted meanwhile by another transaction (now committed): lock that row.
  const stored = await readStoredObject(client, identity.uri, { lock: true });
  if (stored === null) throw new Error(`object row ${identity.uri} vanished inside its transaction`);
  return stored;
}

export class ObjectStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { lockTimeoutMs: number; writer?: WriterOptions },
  ) {}

  /**
   * Runs `work` with the object's row locked (`SELECT … FOR UPDATE`, a row lock: advisory locks would pin
   * RDS Proxy connections). Commits when `work` returns, rolls back when it throws.
   */
  async withObjectLock<T>(
    identity: ObjectIdentity,
    work: (tx: ObjectTransaction) => Promise<T>,
    options: {
      /** Read the checkpoint and ranges too, in the same round trip, after the lock (a delta will need them). */
      withCheckpoint?: boolean;
    } = {},
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePgError(error);
    }
    let broken: Error | undefined;
    // A checked-out client whose socket dies emits 'error' outside any query; unheard, that would crash the
    // process. Note it instead: the failing query rejects on its own, and release(broken) discards the client.
    const onClientError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onClientError);
    try {
      // Transaction-local settings (no session state, so RDS Proxy does not pin the connection). A worker
      // that vanishes mid-object (Lambda timeout, network partition) must not hold the row lock for long. Sent
      // with BEGIN and the row lock in one round trip: a simple query takes no parameters, so the two values are
      // integers and the URI an escaped literal.
      // The checkpoint, when asked for, is read by a statement of its own after the lock's: on a snapshot taken
      // once the row is locked, so it is the one stored with the version the lock returns.
      const uri = client.escapeLiteral(identity.uri);
      const opened = (await client.query(
        `BEGIN; SELECT set_config('lock_timeout', '${Math.trunc(this.options.lockTimeoutMs)}ms', true), ` +
          `set_config('idle_in_transaction_session_timeout', '${IDLE_IN_TRANSACTION_TIMEOUT_MS}ms', true); ` +
          `SELECT ${STORED_OBJECT_COLUMNS} FROM ${SCHEMA}.objects WHERE uri = ${uri} FOR UPDATE` +
          (options.withCheckpoint === true ? `; ${checkpointQuery(uri)}` : ''),
      )) as unknown as pg.QueryResult[];
      const known = opened[2]?.rows[0] as StoredObjectRow | undefined;
      const stored = known === undefined ? await lockObjectRow(client, identity, { known: false }) : storedObject(known);
      const writer = { ...this.options.writer, insertMethod: this.options.writer?.insertMethod ?? (await this.defaultInsertMethod(client)) };
      const tx = new PgObjectTransaction(client, identity, stored, writer);
      // A row this transaction inserted has no checkpoint yet; the one read belongs to the row locked.
      if (known !== undefined && opened[3] !== undefined) tx.checkpointRead(opened[3].rows[0] as CheckpointRow | undefined);
      const result = await work(tx);
      // The session summaries, objects rows, checkpoints and ranges saved in the transaction, then COMMIT, then (only a transaction
      // that wrote session rows can have left tool calls without search rows) the search rows, written right
      // after the commit: one simple query, one round trip (its values as escaped literals). A failing statement
      // skips the rest, COMMIT included, and the transaction is rolled back below.
      const written = tx.searchStep();
      await client.query([...tx.deferredStatements(), 'COMMIT', ...(written.size === 0 ? [] : [indexToolCallSearch(client, written)])].join('; '));
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw translatePgError(error);
    } finally {
      client.removeListener('error', onClientError);
      client.release(broken);
    }
  }

  /**
   * COPY is the fastest way in, but Postgres refuses COPY FROM into a table whose row-level security applies to
   * the current role (the writer role of migration 005, bound by its policies): such a role inserts with unnest.
   * Asked once per store, on the first transaction's connection.
   */
  private async defaultInsertMethod(client: pg.PoolClient): Promise<InsertMethod> {
    this.insertMethod ??= client
      .query<{ active: boolean }>(`SELECT row_security_active('${SCHEMA}.messages') OR row_security_active('${SCHEMA}.tool_calls') AS active`)
      .then((result) => (result.rows[0]?.active === true ? 'unnest' : 'copy'));
    return this.insertMethod;
  }

  private insertMethod: Promise<InsertMethod> | undefined;

  /**
   * Notes a failed attempt outside the (rolled back) ingest transaction. A failure a retry may cure leaves the
   * stored state as it was; one no retry cures (`permanent`) sets the state to `failed`, which the backfill
   * revisits on every run. The rows of an earlier version stay in both cases.
   */
  async recordAttemptFailure(identity: ObjectIdentity, error: string, options: { permanent: boolean }): Promise<void> {
    await this.pool
      .query(
        `INSERT INTO ${SCHEMA}.objects (uri, bucket, key, machine, agent, kind, state, error, attempts)
         VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7, 1)
         ON CONFLICT (uri) DO UPDATE SET attempts = objects.attempts + 1, error = EXCLUDED.error,
           state = CASE WHEN $8 THEN 'failed' ELSE objects.state END, updated_at = now()`,
        [identity.uri, identity.bucket, identity.key, identity.machine, identity.agent, identity.kind, error, options.permanent],
      )
      .catch((failure: unknown) => {
        throw translatePgError(failure);
      });
  }

  /**
   * The object's row as last committed, read without a lock or a transaction: enough to see that a notice
   * needs nothing (same ETag already ingested, or older than what was applied) without writing anything.
   */
  async peek(uri: string): Promise<StoredObject | null> {
    return readStoredObject(this.pool, uri, { lock: false }).catch((error: unknown) => {
      throw translatePgError(error);
    });
  }

  /** Records why an SQS message could not be processed; the DLQ keeps the message, this keeps the reason. */
  async recordMessageFailure(failure: {
    messageId: string;
    reason: string;
    bodyExcerpt: string;
    receiveCount: number | null;
  }): Promise<void> {
    await this.pool
      .query(
        `INSERT INTO ${SCHEMA}.message_failures (message_id, reason, body_excerpt, receive_count)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (message_id) DO UPDATE SET reason = EXCLUDED.reason, receive_count = EXCLUDED.receive_count,
           failures = message_failures.failures + 1, last_failed_at = now()`,
        [failure.messageId, failure.reason, failure.bodyExcerpt.replace(/\u0000/g, ''), failure.receiveCount],
      )
      .catch((error: unknown) => {
        throw translatePgError(error);
      });
  }
}

interface CheckpointRow {
  etag: string | null;
  parser_version: string;
  format: number;
  byte_offset: string;
  tail_sha256: Buffer;
  tail_bytes: number;
  state: unknown;
  ranges_etag: string | null;
  ends: string[];
  digests: Buffer[];
  verified: boolean;
}

/** The object's checkpoint with its ingested ranges, one row (nulls for what is not stored); `uri`: SQL text. */
function checkpointQuery(uri: string): string {
  return `SELECT c.etag, c.parser_version, c.format, c.byte_offset, c.tail_sha256, c.tail_bytes, c.state,
              r.etag AS ranges_etag, r.ends, r.digests, r.verified
       FROM (SELECT ${uri} AS uri) o
       LEFT JOIN ${SCHEMA}.object_checkpoints c ON c.uri = o.uri
       LEFT JOIN ${SCHEMA}.ingested_ranges r ON r.uri = o.uri`;
}

function rangesOf(row: { etag: string; ends: string[]; digests: Buffer[]; verified: boolean }): IngestedRanges {
  const ranges = row.ends.map((end, i) => ({ end: Number(end), sha256: row.digests[i] ?? Buffer.alloc(0) }));
  return { etag: row.etag, ranges, verified: row.verified };
}

const STORED_OBJECT_COLUMNS = 'etag, sequencer, state, parser_version, kind, session_id, updated_at';

interface StoredObjectRow {
  etag: string | null;
  sequencer: string | null;
  state: ObjectState;
  parser_version: string | null;
  kind: ObjectKind;
  session_id: string | null;
  updated_at: Date;
}

/** What the decision needs of an object's row; `lock` reads it `FOR UPDATE` (inside a transaction). */
async function readStoredObject(db: Pick<pg.Pool, 'query'>, uri: string, options: { lock: boolean }): Promise<StoredObject | null> {
  const result = await db.query<StoredObjectRow>(
    `SELECT ${STORED_OBJECT_COLUMNS} FROM ${SCHEMA}.objects WHERE uri = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [uri],
  );
  const row = result.rows[0];
  return row === undefined ? null : storedObject(row);
}

function storedObject(row: StoredObjectRow): StoredObject {
  return {
    etag: row.etag,
    sequencer: row.sequencer,
    state: row.state,
    parserVersion: row.parser_version,
    kind: row.kind,
    sessionId: row.session_id,
    updatedAt: row.updated_at,
  };
}

export class PgObjectTransaction {
  /** The session writers this transaction began or resumed (their tool calls may need search rows). */
  private readonly writers: SessionWriter[] = [];
  /** The ingested ranges as read or saved in this transaction (undefined: not read yet). */
  private ranges: { value: IngestedRanges | null } | undefined;
  /** The ingested objects row, checkpoint and ranges, written together with the commit (deferredStatements). */
  private deferred: {
    ingested?: { version: ObjectVersion; sessionId: string; agent: string; stats: IngestStats };
    checkpoint?: { value: ObjectCheckpoint | null };
    ranges?: { value: IngestedRanges | null };
  } = {};
  /** Sessions claimed in this transaction, and from which ordinal on their rows and findings went (null: all). */
  private readonly claimed = new Map<string, number | null>();
  /** Each session's summary statement (SessionWriter.finish), sent with COMMIT; a later one replaces an earlier. */
  private readonly summaries = new Map<string, string>();
  private readonly deferSummary = (sessionId: string, sql: string): void => {
    this.summaries.set(sessionId, sql);
  };

  constructor(
    private readonly client: pg.PoolClient,
    readonly identity: ObjectIdentity,
    readonly stored: StoredObject,
    private readonly writerOptions: WriterOptions = {},
    /** Every object locked in this transaction (the first one's list, shared by those it locked). */
    private readonly locked: PgObjectTransaction[] = [],
  ) {
    locked.push(this);
  }

  /**
   * Locks another object's row in this same transaction (a sidecar's session): what is written for it commits
   * or rolls back with this object's outcome. Lock order is this object, then that one.
   */
  async lockAlso(identity: ObjectIdentity): Promise<ObjectTransaction> {
    const stored = await lockObjectRow(this.client, identity);
    return new PgObjectTransaction(this.client, identity, stored, this.writerOptions, this.locked);
  }

  /**
   * The sessions whose rows this transaction (every object it locked) began or resumed, each with the ordinal its
   * tool calls may lack search rows from (null: any of them): what the search step after the commit indexes.
   */
  searchStep(): Map<string, number | null> {
    const sessions = new Map<string, number | null>();
    for (const writer of this.locked.flatMap((tx) => tx.writers)) {
      const { sessionId, searchFrom } = writer;
      const earlier = sessions.has(sessionId) ? (sessions.get(sessionId) ?? null) : searchFrom;
      sessions.set(sessionId, earlier === null || searchFrom === null ? null : Math.min(earlier, searchFrom));
    }
    return sessions;
  }

  /** The object is not a session (or not one we can read): remember why, so it is not fetched again. */
  async markSkipped(version: ObjectVersion, reason: string, parserVersion: string | null): Promise<void> {
    await this.client.query(
      `UPDATE ${SCHEMA}.objects SET kind = $2, etag = $3, size = $4, last_modified = COALESCE($5, last_modified),
         sequencer = COALESCE($6, sequencer), state = 'skipped', error = $7, parser_version = $8,
         ingested_at = now(), deleted_at = NULL, updated_at = now()
       WHERE uri = $1`,
      [
        this.identity.uri,
        this.identity.kind,
        version.etag,
        version.size,
        version.lastModified,
        version.sequencer,
        reason,
        parserVersion,
      ],
    );
  }

  /** The object is gone. Its session stays (history is kept), flagged deleted. */
  async markDeleted(sequencer: string | null): Promise<void> {
    await this.client.query(
      `UPDATE ${SCHEMA}.objects SET state = 'deleted', deleted_at = COALESCE(deleted_at, now()), sequencer = COALESCE($2, sequencer),
         updated_at = now()
       WHERE uri = $1`,
      [this.identity.uri, sequencer],
    );
    await this.client.query(`UPDATE ${SCHEMA}.sessions SET deleted_at = COALESCE(deleted_at, now()), updated_at = now() WHERE object_uri = $1`, [
      this.identity.uri,
    ]);
  }

  /** Starts replacing the session's rows: the old messages and tool calls go, the session row is claimed. */
  async beginSession(session: SessionIdentity): Promise<SessionWriter> {
    const writer = await SessionWriter.begin(this.client, { ...session, objectUri: this.identity.uri }, this.writerOptions, this.deferSummary);
    this.writers.push(writer);
    this.claimed.set(session.id, null);
    return writer;
  }

  /** Continues the session's rows from a resume point: rows from `fromOrdinal` on are written again. */
  async resumeSession(session: SessionIdentity, fromOrdinal: number): Promise<SessionWriter> {
    const writer = await SessionWriter.resume(this.client, { ...session, objectUri: this.identity.uri }, fromOrdinal, this.writerOptions, this.deferSummary);
    this.writers.push(writer);
    this.claimed.set(session.id, fromOrdinal);
    return writer;
  }

  /**
   * The checkpoint, read together with the ingested ranges (one round trip: a delta needs both), which
   * loadRanges then answers from.
   */
  async loadCheckpoint(): Promise<ObjectCheckpoint | null> {
    if (this.prefetched !== undefined) {
      const row = this.prefetched.row;
      this.prefetched = undefined;
      return this.checkpointOf(row);
    }
    const result = await this.client.query<CheckpointRow>(checkpointQuery('$1::text'), [this.identity.uri]);
    return this.checkpointOf(result.rows[0]);
  }

  /** The checkpoint row read with the lock (withObjectLock's `withCheckpoint`), for loadCheckpoint to answer from. */
  checkpointRead(row: CheckpointRow | undefined): void {
    this.prefetched = { row };
  }

  private prefetched: { row: CheckpointRow | undefined } | undefined;

  private checkpointOf(row: CheckpointRow | undefined): ObjectCheckpoint | null {
    if (row === undefined) return null;
    this.ranges ??= { value: row.ranges_etag === null ? null : rangesOf({ etag: row.ranges_etag, ends: row.ends, digests: row.digests, verified: row.verified }) };
    if (row.etag === null) return null;
    return {
      etag: row.etag,
      parserVersion: row.parser_version,
      format: row.format,
      byteOffset: Number(row.byte_offset),
      tailSha256: row.tail_sha256,
      tailBytes: row.tail_bytes,
      state: row.state,
    };
  }

  /**
   * Records where the version just ingested can be read on from; null: it cannot (a later change is read in
   * full). Written with the ranges by the commit's round trip (deferredStatements), in one statement.
   */
  async saveCheckpoint(checkpoint: ObjectCheckpoint | null): Promise<void> {
    this.deferred.checkpoint = { value: checkpoint };
  }

  async loadRanges(): Promise<IngestedRanges | null> {
    if (this.ranges !== undefined) return this.ranges.value;
    const result = await this.client.query<{ etag: string; ends: string[]; digests: Buffer[]; verified: boolean }>(
      `SELECT etag, ends, digests, verified FROM ${SCHEMA}.ingested_ranges WHERE uri = $1`,
      [this.identity.uri],
    );
    const row = result.rows[0];
    this.ranges = { value: row === undefined ? null : rangesOf(row) };
    return this.ranges.value;
  }

  /** Records which bytes the rows just written (or just verified) were read from; null: not known. Written like the checkpoint. */
  async saveRanges(ranges: IngestedRanges | null): Promise<void> {
    this.ranges = { value: ranges };
    this.deferred.ranges = { value: ranges };
  }

  /**
   * The session summaries, objects rows, checkpoints and ranges saved in this transaction (of every object it
   * locked), values as escaped literals: sent by the store with COMMIT.
   */
  deferredStatements(): string[] {
    return this.locked.flatMap((tx) => {
      const own = tx.ownDeferredStatement();
      const summaries = [...tx.summaries.values()];
      tx.summaries.clear();
      return own === null ? summaries : [...summaries, own];
    });
  }

  private ownDeferredStatement(): string | null {
    const { ingested, checkpoint, ranges } = this.deferred;
    this.deferred = {};
    const parts: string[] = [];
    const uri = this.client.escapeLiteral(this.identity.uri);
    const param = (value: unknown): string => sqlLiteral(value, (text) => this.client.escapeLiteral(text));
    if (ingested !== undefined) {
      const { version, sessionId, agent, stats } = ingested;
      parts.push(
        `UPDATE ${SCHEMA}.objects SET agent = ${param(agent)}, kind = ${param(this.identity.kind)}, etag = ${param(version.etag)},
           size = ${param(version.size)}::bigint, last_modified = COALESCE(${param(version.lastModified)}::timestamptz, last_modified),
           sequencer = COALESCE(${param(version.sequencer)}, sequencer), state = 'ingested', error = ${param(stats.note)},
           parser_version = ${param(stats.parserVersion)}, bytes_ingested = ${param(stats.bytesIngested)}::bigint,
           lines_total = ${param(stats.linesTotal)}::int, lines_malformed = ${param(stats.linesMalformed)}::int,
           lines_unknown = ${param(stats.linesUnknown)}::int, lines_ignored = ${param(stats.linesIgnored)}::int,
           duplicate_responses = ${param(stats.duplicateResponses)}::int, truncated = ${param(stats.truncated)}::boolean,
           attempts = attempts + 1, ingested_at = now(), deleted_at = NULL, session_id = ${param(sessionId)},
           values_rejected = ${param(stats.valuesRejected)}::int, updated_at = now()
         WHERE uri = ${uri}`,
      );
    }
    if (checkpoint !== undefined) {
      const c = checkpoint.value;
      parts.push(
        c === null
          ? `DELETE FROM ${SCHEMA}.object_checkpoints WHERE uri = ${uri}`
          : `INSERT INTO ${SCHEMA}.object_checkpoints (uri, etag, parser_version, format, byte_offset, tail_bytes, tail_sha256, state)
             VALUES (${uri}, ${param(c.etag)}, ${param(c.parserVersion)}, ${param(c.format)}::int, ${param(c.byteOffset)}::bigint,
                     ${param(c.tailBytes)}::int, ${param(c.tailSha256)}::bytea, ${param(JSON.stringify(c.state))}::json)
             ON CONFLICT (uri) DO UPDATE SET etag = EXCLUDED.etag, parser_version = EXCLUDED.parser_version,
               format = EXCLUDED.format, byte_offset = EXCLUDED.byte_offset, tail_bytes = EXCLUDED.tail_bytes,
               tail_sha256 = EXCLUDED.tail_sha256, state = EXCLUDED.state, updated_at = now()`,
      );
    }
    if (ranges !== undefined) {
      const r = ranges.value;
      parts.push(
        r === null
          ? `DELETE FROM ${SCHEMA}.ingested_ranges WHERE uri = ${uri}`
          : `INSERT INTO ${SCHEMA}.ingested_ranges (uri, etag, ends, digests, verified)
             VALUES (${uri}, ${param(r.etag)}, ${param(r.ranges.map((range) => range.end))}::bigint[],
                     ${param(r.ranges.map((range) => range.sha256))}::bytea[], ${param(r.verified)}::boolean)
             ON CONFLICT (uri) DO UPDATE SET etag = EXCLUDED.etag, ends = EXCLUDED.ends, digests = EXCLUDED.digests,
               verified = EXCLUDED.verified, updated_at = now()`,
      );
    }
    if (parts.length === 0) return null;
    return parts.length === 1 ? (parts[0] as string) : `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(', ')} SELECT 1`;
  }

  /**
   * Starts replacing the session's secret findings (after beginSession: they reference its row). The claim of
   * beginSession deleted the old ones already (in its statement).
   */
  async beginSecretFindings(sessionId: string): Promise<SecretFindingWriter> {
    return SecretFindingWriter.begin(this.client, sessionId, { claimed: this.findingsGone(sessionId, null) });
  }

  /** Whether this transaction's claim of the session deleted its findings from `fromOrdinal` on (null: all). */
  private findingsGone(sessionId: string, fromOrdinal: number | null): boolean {
    if (!this.claimed.has(sessionId)) return false;
    const deletedFrom = this.claimed.get(sessionId) ?? null;
    return deletedFrom === null || (fromOrdinal !== null && deletedFrom <= fromOrdinal);
  }

  /** For a delta: keeps the findings of the rows it keeps (resumeSession's claim deleted the others). */
  async resumeSecretFindings(sessionId: string, fromOrdinal: number): Promise<SecretFindingWriter> {
    return SecretFindingWriter.begin(this.client, sessionId, { claimed: this.findingsGone(sessionId, fromOrdinal) });
  }

  /** Records the object ingested: written with the checkpoint and ranges by the commit's round trip (deferredStatements), in one statement. */
  async markIngested(version: ObjectVersion, sessionId: string, agent: string, stats: IngestStats): Promise<void> {
    this.deferred.ingested = { version, sessionId, agent, stats };
  }

  /**
   * A sidecar (a tool output an agent saved beside its log), recorded so that a changed one is noticed; its content
   * is read into its session's tool calls when that session is ingested (in the same transaction: handle-object.ts).
   */
  async markSidecar(version: ObjectVersion, sessionId: string): Promise<void> {
    await this.client.query(
      `UPDATE ${SCHEMA}.objects SET kind = 'sidecar', etag = $2, size = $3, last_modified = COALESCE($4, last_modified),
         sequencer = COALESCE($5, sequencer), state = 'ingested', error = NULL, session_id = $6, ingested_at = now(),
         deleted_at = NULL, updated_at = now()
       WHERE uri = $1`,
      [this.identity.uri, version.etag, version.size, version.lastModified, version.sequencer, sessionId],
    );
  }
}
