/**
 * An in-memory stand-in for the write path's store and S3 reader, for unit tests of handleObject's decisions
 * without Postgres or S3. It keeps one row per object (what the `objects` table keeps for the decisions) and
 * logs every call that would write. Writing a session's rows is beyond it: a test that gets that far fails.
 */
import { ObjectMissingError } from '../../shared/s3/errors.js';
import type { ObjectReader, OpenedObject } from '../../shared/s3/object-reader.js';
import type { IngestStore, ObjectIdentity, ObjectTransaction, ObjectVersion, StoredObject } from '../../shared/store/object-store.js';

export interface StoredRow extends StoredObject {
  kind: ObjectIdentity['kind'];
}

export class MemoryStore implements IngestStore {
  readonly rows = new Map<string, StoredRow>();
  /** `<method> <key>` of every write, in order. */
  readonly writes: string[] = [];
  locks = 0;
  peeks = 0;
  /** The clock `updatedAt` is set from. */
  now = new Date('2026-12-01T00:00:00Z');

  async withObjectLock<T>(identity: ObjectIdentity, work: (tx: ObjectTransaction) => Promise<T>): Promise<T> {
    this.locks += 1;
    const locked = new Map<string, StoredRow>();
    const result = await work(this.lockRow(identity, locked));
    // Committed only when `work` returned, as the real transaction is: every row it locked.
    for (const [uri, row] of locked) this.rows.set(uri, row);
    return result;
  }

  /** A transaction's working copy of an object's row (created if new), kept in `locked` until it commits. */
  lockRow(identity: ObjectIdentity, locked: Map<string, StoredRow>): MemoryTransaction {
    const existing = this.rows.get(identity.uri);
    const row: StoredRow = existing
      ? { ...existing }
      : { etag: null, sequencer: null, state: 'pending', parserVersion: null, sessionId: null, updatedAt: this.now, kind: identity.kind };
    locked.set(identity.uri, row);
    return new MemoryTransaction(this, identity, row, locked);
  }

  async peek(uri: string): Promise<StoredObject | null> {
    this.peeks += 1;
    return this.rows.get(uri) ?? null;
  }

  async recordAttemptFailure(identity: ObjectIdentity, error: string): Promise<void> {
    this.writes.push(`recordAttemptFailure ${identity.key} ${error}`);
  }

  async recordMessageFailure(failure: { messageId: string }): Promise<void> {
    this.writes.push(`recordMessageFailure ${failure.messageId}`);
  }
}

class MemoryTransaction implements ObjectTransaction {
  constructor(
    private readonly store: MemoryStore,
    readonly identity: ObjectIdentity,
    private readonly row: StoredRow,
    private readonly locked: Map<string, StoredRow>,
  ) {}

  async lockAlso(identity: ObjectIdentity): Promise<ObjectTransaction> {
    this.store.writes.push(`lockAlso ${identity.key}`);
    return this.store.lockRow(identity, this.locked);
  }

  get stored(): StoredObject {
    return this.row;
  }

  private record(method: string, version: Partial<ObjectVersion>, changes: Partial<StoredRow>): void {
    this.store.writes.push(`${method} ${this.identity.key}`);
    Object.assign(this.row, changes, { updatedAt: this.store.now });
    if (version.sequencer) this.row.sequencer = version.sequencer;
  }

  async markSkipped(version: ObjectVersion, _reason: string, parserVersion: string | null): Promise<void> {
    this.record('markSkipped', version, { state: 'skipped', etag: version.etag, parserVersion, kind: this.identity.kind });
  }

  async markDeleted(sequencer: string | null): Promise<void> {
    this.record('markDeleted', { sequencer }, { state: 'deleted' });
  }

  async markSidecar(version: ObjectVersion, sessionId: string): Promise<void> {
    this.record('markSidecar', version, { state: 'ingested', etag: version.etag, sessionId, kind: 'sidecar' });
  }

  async markIngested(version: ObjectVersion, sessionId: string): Promise<void> {
    this.record('markIngested', version, { state: 'ingested', etag: version.etag, sessionId });
  }

  async saveCheckpoint(checkpoint: unknown): Promise<void> {
    this.store.writes.push(`saveCheckpoint ${this.identity.key} ${checkpoint === null ? 'none' : 'state'}`);
  }

  async loadCheckpoint(): Promise<null> {
    return null;
  }

  loadRanges = notInMemory;
  saveRanges = notInMemory;
  beginSession = notInMemory;
  resumeSession = notInMemory;
  beginSecretFindings = notInMemory;
  resumeSecretFindings = notInMemory;
}

function notInMemory(): never {
  throw new Error('MemoryStore does not write session rows: test this path against Postgres');
}

/** S3 as a map of key → { etag, body }; `opened` lists the keys whose bodies were fetched. */
export class MemoryReader implements ObjectReader {
  readonly objects = new Map<string, { etag: string; body: string }>();
  readonly opened: string[] = [];
  heads = 0;

  async head(_bucket: string, key: string): Promise<{ etag: string; size: number; lastModified: null }> {
    this.heads += 1;
    const object = this.objects.get(key);
    if (object === undefined) throw new ObjectMissingError(`no such key ${key}`);
    return { etag: object.etag, size: Buffer.byteLength(object.body), lastModified: null };
  }

  async open(_bucket: string, key: string): Promise<OpenedObject> {
    this.opened.push(key);
    const object = this.objects.get(key);
    if (object === undefined) throw new ObjectMissingError(`no such key ${key}`);
    const bytes = new TextEncoder().encode(object.body);
    return { body: (async function* () { yield bytes; })(), etag: object.etag, size: bytes.length, lastModified: null };
  }

  async openFrom(bucket: string, key: string): Promise<OpenedObject> {
    return this.open(bucket, key);
  }
}
