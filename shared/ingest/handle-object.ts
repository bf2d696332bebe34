import { describeError, isRetryable } from '../errors.js';
import { agentDefinition } from '../agents/registry.js';
import { classifyKey } from '../layout/s3-key.js';
import type { ObjectLayout, SessionLayout, SidecarLayout } from '../model.js';
import type { Logger } from '../log.js';
import { resumeParse } from '../parsers/parse-session.js';
import { currentParserVersion, PARSERS } from '../parsers/registry.js';
import { readResumePoint, RESUME_FORMAT } from '../parsers/resume-state.js';
import { ObjectChangedError, ObjectMissingError } from '../s3/errors.js';
import type { ObjectHead, ObjectReader, OpenedObject } from '../s3/object-reader.js';
import type { IngestStore, ObjectIdentity, ObjectTransaction, ObjectVersion, StoredObject } from '../store/object-store.js';
import { currency, isOlderEvent, type Currency } from './currency.js';
import { checkRanges } from './verify-ranges.js';
import { writeSession, writeSessionDelta, type DeltaPlan, type WrittenSession } from './write-session.js';

/**
 * The one decision for one object (DESIGN.md §4), whoever noticed it: an S3 event, a backfill listing, or a
 * person naming it on the command line. It owns every outcome (ingest, unchanged, stale, superseded, deleted,
 * skipped, re-ingest for a newer parser version) so the event path and the backfill cannot decide differently,
 * and how a session is read: in full, or only what a grown object appended (delta, see planDelta).
 */

export interface ObjectNotice {
  bucket: string;
  key: string;
  change: 'created' | 'removed';
  /** `request`: someone named the object; a missing object is then an error, and nothing is written. */
  source: 'event' | 'listing' | 'request';
  /** The version to ingest (unquoted). Null: whatever is there now (looked up with HeadObject). */
  etag: string | null;
  size: number | null;
  /** S3 event sequencer; null for listings and requests, which cannot be ordered against events. */
  sequencer: string | null;
  /**
   * A listing's removal applies only to a row unchanged since this time (database clock), so an object
   * created while the listing ran is not taken for a deleted one.
   */
  listedSince?: Date | undefined;
  /** Ingest even when the stored ETag and parser version are current (a sidecar of the session changed). */
  force?: boolean | undefined;
  /**
   * Check that the stored rows of this version were read from the bytes it holds, and re-ingest it in full if
   * not (a delta trusts earlier bytes it did not read: see verifySession). Another version is ingested as usual.
   */
  verify?: boolean | undefined;
}

export type ObjectOutcome =
  | ({ status: 'ingested' } & WrittenSession)
  /** Same ETag and parser version already stored: nothing fetched. */
  | { status: 'unchanged' }
  /** Asked to verify: the stored rows were read from the bytes this version holds (checked now, or before). */
  | { status: 'verified' }
  /** An event older than the one already applied to this key, or a listing older than the row. */
  | { status: 'stale' }
  /** The object changed after the notice: the newer event (or the next backfill) brings it. */
  | { status: 'superseded' }
  | { status: 'deleted' }
  | { status: 'skipped'; reason: string }
  /** A sidecar (a tool's saved output) was recorded with its session read again, in one transaction (null: that session is not in S3 yet). */
  | { status: 'sidecar'; session: ObjectOutcome | null }
  /** A requested object that does not exist. Nothing was written. */
  | { status: 'missing'; reason: string };

/** An outcome's status, or `failed` for an object whose failure no retry cures (recorded, not retried). */
export type OutcomeStatus = ObjectOutcome['status'] | 'failed';

export interface IngestDependencies {
  store: IngestStore;
  reader: ObjectReader;
  log: Logger;
  maxLineBytes: number;
}

export function objectUri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function objectIdentity(bucket: string, key: string, layout: ObjectLayout = classifyKey(key)): ObjectIdentity {
  return { uri: objectUri(bucket, key), bucket, key, machine: layout.machine, agent: layout.agent, kind: layout.kind };
}

export async function handleObject(notice: ObjectNotice, deps: IngestDependencies): Promise<ObjectOutcome> {
  const layout = classifyKey(notice.key);
  const identity = objectIdentity(notice.bucket, notice.key, layout);
  if (notice.change === 'removed') return remove(notice, identity, deps);

  let { etag, size } = notice;
  if (etag === null) {
    try {
      ({ etag, size } = await deps.reader.head(notice.bucket, notice.key));
    } catch (error) {
      if (!(error instanceof ObjectMissingError)) throw error;
      if (notice.source === 'request') return { status: 'missing', reason: error.message };
      return remove({ ...notice, change: 'removed' }, identity, deps);
    }
  }
  const version: ObjectVersion = { etag, size, lastModified: null, sequencer: notice.sequencer };

  switch (layout.kind) {
    case 'skipped':
      return deps.store.withObjectLock(identity, async (tx) => {
        const verdict = currencyOf(tx.stored, notice, layout, etag);
        if (verdict === 'stale') return { status: 'stale' };
        if (verdict !== 'current') await tx.markSkipped(version, layout.reason, null);
        return { status: 'skipped', reason: layout.reason };
      });
    case 'sidecar':
      // One transaction: the sidecar is recorded together with its session's rows that read it, or neither is.
      return deps.store.withObjectLock(identity, async (tx) => {
        const verdict = currencyOf(tx.stored, notice, layout, etag);
        if (verdict === 'stale') return { status: 'stale' };
        if (verdict === 'current' && !notice.force) return { status: 'unchanged' };
        const session = await ingestSessionOf(layout, notice.bucket, tx, deps);
        await tx.markSidecar(version, layout.sessionId);
        return { status: 'sidecar', session };
      });
    case 'session':
    case 'subagent': {
      if (notice.verify === true) return deps.store.withObjectLock(identity, (tx) => verifySession(notice, layout, version, tx, deps));
      // Most notices of a stored object need nothing (a duplicate, a re-sync of the same bytes): say so from a
      // plain read, without the transaction and row lock (a commit) the write path takes. Decided again under it.
      const seen = notice.force ? null : await deps.store.peek(identity.uri);
      const verdict = seen === null ? null : currencyOf(seen, notice, layout, version.etag);
      if (verdict === 'stale') return { status: 'stale' };
      if (verdict === 'current') return { status: 'unchanged' };
      // A stored ingest of another version may be read on from (planDelta): its checkpoint comes with the lock.
      const withCheckpoint = seen !== null && seen.state === 'ingested' && seen.etag !== null;
      return deps.store.withObjectLock(identity, (tx) => ingestSession(notice, layout, version, tx, deps), { withCheckpoint });
    }
  }
}

/**
 * A session reads its sidecars when it is ingested: a new or changed sidecar means reading the session again in
 * full, here inside the sidecar's transaction (its row locked after the sidecar's). Null when the session is not
 * in the bucket (yet): its own notice reads the sidecar when it comes.
 */
async function ingestSessionOf(
  sidecar: SidecarLayout,
  bucket: string,
  tx: ObjectTransaction,
  deps: IngestDependencies,
): Promise<ObjectOutcome | null> {
  const layout = classifyKey(sidecar.sessionKey);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') return null;
  let head: ObjectHead;
  try {
    head = await deps.reader.head(bucket, sidecar.sessionKey);
  } catch (error) {
    if (error instanceof ObjectMissingError) return null;
    throw error;
  }
  const notice: ObjectNotice = {
    bucket, key: sidecar.sessionKey, change: 'created', source: 'request', etag: head.etag, size: head.size, sequencer: null, force: true,
  };
  const version: ObjectVersion = { etag: head.etag, size: head.size, lastModified: null, sequencer: null };
  const sessionTx = await tx.lockAlso(objectIdentity(bucket, sidecar.sessionKey, layout));
  return ingestSession(notice, layout, version, sessionTx, deps);
}

async function ingestSession(
  notice: ObjectNotice,
  layout: SessionLayout,
  version: ObjectVersion,
  tx: ObjectTransaction,
  deps: IngestDependencies,
): Promise<ObjectOutcome> {
  const verdict = currencyOf(tx.stored, notice, layout, version.etag);
  if (verdict === 'stale') return { status: 'stale' };
  if (verdict === 'current' && !notice.force) return { status: 'unchanged' };
  const input = {
    maxLineBytes: deps.maxLineBytes,
    log: deps.log,
    sidecars: { reader: deps.reader, bucket: notice.bucket },
  };
  // A changed sidecar is read into its calls by a full ingest only (force).
  const plan = notice.force ? null : await planDelta(tx, layout, version);
  if (plan !== null && version.etag !== null) {
    const etag = version.etag;
    const opened = await openOrOutcome(() => deps.reader.openFrom(notice.bucket, notice.key, etag, plan.readFrom), notice, tx);
    if (!('body' in opened)) return opened;
    const written = await writeSessionDelta(tx, layout, { ...input, body: opened.body, plan, version: openedVersion(version, opened) });
    if (written.status === 'written') return { status: 'ingested', ...written.session };
    if (written.status === 'skipped') return written;
    deps.log.info('object no longer starts with the bytes ingested: reading it in full', { key: notice.key });
  }
  const opened = await openOrOutcome(() => deps.reader.open(notice.bucket, notice.key, version.etag), notice, tx);
  if (!('body' in opened)) return opened;
  const written = await writeSession(tx, layout, { ...input, body: opened.body, version: openedVersion(version, opened) });
  return written.status === 'skipped' ? written : { status: 'ingested', ...written.session };
}

/**
 * A delta checks only the bytes just before where the last ingest ended, so a version that rewrote earlier bytes
 * in place and grew (a secret scrubber's same-length edit) leaves rows of the old bytes behind. This reads the
 * stored version again and compares every byte range its rows were read from (migration 010): all equal, it is
 * recorded as verified and not read again; one differs (or the ranges are not known), it is ingested in full.
 */
async function verifySession(
  notice: ObjectNotice,
  layout: SessionLayout,
  version: ObjectVersion,
  tx: ObjectTransaction,
  deps: IngestDependencies,
): Promise<ObjectOutcome> {
  const verdict = currencyOf(tx.stored, notice, layout, version.etag);
  if (verdict === 'stale') return { status: 'stale' };
  const etag = version.etag;
  let ingested: ObjectOutcome | null = null;
  if (etag === null || verdict !== 'current') {
    // Another version: ingested as usual, and what a delta trusted is then checked at once.
    ingested = await ingestSession(notice, layout, version, tx, deps);
    if (etag === null || ingested.status !== 'ingested' || ingested.read !== 'delta') return ingested;
  }
  const recorded = await tx.loadRanges();
  if (recorded !== null && recorded.etag === etag) {
    if (recorded.verified) return ingested ?? { status: 'verified' };
    const opened = await openOrOutcome(() => deps.reader.open(notice.bucket, notice.key, etag), notice, tx);
    if (!('body' in opened)) return opened;
    const checked = await checkRanges(opened.body, recorded.ranges);
    if (checked.matches) {
      await tx.saveRanges({ etag, ranges: checked.whole, verified: true });
      return ingested ?? { status: 'verified' };
    }
    deps.log.info('bytes ingested by an earlier version were rewritten: reading the object in full', { key: notice.key, from: checked.at });
  }
  return ingestSession({ ...notice, force: true }, layout, version, tx, deps);
}

/**
 * Whether this version can be read from where the stored one ended (delta ingest), and from where: only an
 * ingested object with a resume state taken from its stored version by the current parser, and a new version
 * at least as long. The bytes before that point are checked once fetched (writeSessionDelta).
 */
async function planDelta(tx: ObjectTransaction, layout: SessionLayout, version: ObjectVersion): Promise<DeltaPlan | null> {
  const { stored } = tx;
  if (stored.state !== 'ingested' || stored.etag === null || version.etag === null || version.size === null) return null;
  if (!currentParserVersion(layout.agent, stored.parserVersion)) return null;
  // Only an append-only format can be read on from where the last ingest ended.
  if (agentDefinition(layout.agent).format !== 'jsonl') return null;
  const checkpoint = await tx.loadCheckpoint();
  if (checkpoint === null || checkpoint.etag !== stored.etag || checkpoint.parserVersion !== stored.parserVersion) return null;
  if (checkpoint.format !== RESUME_FORMAT || version.size < checkpoint.byteOffset) return null;
  const point = readResumePoint(checkpoint.state);
  if (point === null || point.byteOffset !== checkpoint.byteOffset) return null;
  const resume = resumeParse(PARSERS[layout.agent], layout.parserContext, point);
  if (resume === null) return null;
  return { checkpoint, resume, readFrom: checkpoint.byteOffset - checkpoint.tailBytes };
}

/** The opened stream, or the outcome when the version asked for is gone (changed again, or deleted). */
async function openOrOutcome(
  open: () => Promise<OpenedObject>,
  notice: ObjectNotice,
  tx: ObjectTransaction,
): Promise<OpenedObject | ObjectOutcome> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof ObjectChangedError) return { status: 'superseded' };
    if (error instanceof ObjectMissingError) {
      await tx.markDeleted(notice.sequencer);
      return { status: 'deleted' };
    }
    throw error;
  }
}

function openedVersion(version: ObjectVersion, opened: OpenedObject): ObjectVersion {
  return { ...version, etag: opened.etag, size: opened.size ?? version.size, lastModified: opened.lastModified };
}

async function remove(notice: ObjectNotice, identity: ObjectIdentity, deps: IngestDependencies): Promise<ObjectOutcome> {
  return deps.store.withObjectLock(identity, async (tx) => {
    if (isOlderEvent(notice.sequencer, tx.stored.sequencer)) return { status: 'stale' };
    if (notice.listedSince !== undefined && tx.stored.updatedAt >= notice.listedSince) return { status: 'stale' };
    await tx.markDeleted(notice.sequencer);
    return { status: 'deleted' };
  });
}

/**
 * Records a failed attempt on the object's row (outside the rolled-back transaction) and says whether it was
 * permanent: whether a retry can help is read here, for the batch loop and the backfill alike.
 */
export async function recordObjectFailure(
  notice: Pick<ObjectNotice, 'bucket' | 'key'>,
  error: unknown,
  deps: IngestDependencies,
): Promise<{ permanent: boolean; reason: string }> {
  const permanent = !isRetryable(error);
  const reason = describeError(error);
  await deps.store
    .recordAttemptFailure(objectIdentity(notice.bucket, notice.key), reason, { permanent })
    .catch((recordError: unknown) => deps.log.warn('could not record the failed attempt', { error: recordError }));
  return { permanent, reason };
}

/** Whether this notice of this version needs anything (currency.ts holds the rule, shared with the backfill). */
function currencyOf(stored: StoredObject, notice: ObjectNotice, layout: ObjectLayout, etag: string | null): Currency {
  return currency(stored, { layout, etag, sequencer: notice.sequencer });
}
