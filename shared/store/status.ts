import type pg from 'pg';
import { SCHEMA } from './schema.js';

/** The pipeline's health, read from the status views of migration 004 (what `sessionlake status` prints). */
export interface PipelineStatus {
  totals: {
    objects: number;
    ingested: number;
    skipped: number;
    deleted: number;
    failed: number;
    /** Objects in state `pending` (seen, not finished). */
    pending: number;
    liveSessions: number;
    failedMessages: number;
    failedBackfillPrefixes: number;
    oldestWaitingSince: string | null;
    lagSeconds: number;
    lastBackfillFinishedAt: string | null;
  };
  byState: Array<{ state: string; agent: string; kind: string; objects: number }>;
  recentErrors: Array<{ uri: string; state: string; attempts: number; updatedAt: string; error: string | null }>;
  dlqReasons: Array<{ reason: string; messages: number; failures: number; lastFailedAt: string }>;
  backfillRuns: Array<{
    id: number;
    prefix: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    listed: number;
    changed: number;
    ingested: number;
    enqueued: number;
    /** Delta-ingested objects whose ingested bytes it read again and checked (or sent to be checked). */
    verified: number;
    deleted: number;
    failed: number;
    error: string | null;
  }>;
}

export async function readPipelineStatus(db: Pick<pg.Pool, 'query'>, options: { limit: number }): Promise<PipelineStatus> {
  // One after another: a caller may hand in one connection (a pooled client under SET ROLE), which runs one
  // query at a time (pg deprecates queuing a second while the first runs).
  const totals = await db.query(`SELECT * FROM ${SCHEMA}.pipeline_status`);
  const byState = await db.query(`SELECT state, agent, kind, objects FROM ${SCHEMA}.status_objects ORDER BY state, agent, kind`);
  const errors = await db.query(
    `SELECT uri, state, attempts, updated_at, error FROM ${SCHEMA}.status_errors ORDER BY updated_at DESC, uri LIMIT $1`,
    [options.limit],
  );
  const dlq = await db.query(
    `SELECT reason, messages, failures, last_failed_at FROM ${SCHEMA}.status_dlq_reasons ORDER BY last_failed_at DESC LIMIT $1`,
    [options.limit],
  );
  const runs = await db.query(
    `SELECT id, 's3://' || bucket || '/' || prefix AS prefix, status, started_at, finished_at, listed, "new" + changed + reparsed + retried AS changed,
            ingested, enqueued, verified, deleted, failed, error
     FROM ${SCHEMA}.backfill_runs ORDER BY id DESC LIMIT $1`,
    [options.limit],
  );
  const t = totals.rows[0] as Record<string, unknown>;
  const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : null);
  return {
    totals: {
      objects: Number(t['objects']),
      ingested: Number(t['ingested']),
      skipped: Number(t['skipped']),
      deleted: Number(t['deleted']),
      failed: Number(t['failed']),
      pending: Number(t['pending']),
      liveSessions: Number(t['live_sessions']),
      failedMessages: Number(t['failed_messages']),
      failedBackfillPrefixes: Number(t['failed_backfill_prefixes']),
      oldestWaitingSince: iso(t['oldest_waiting_since']),
      lagSeconds: Math.round(Number(t['lag_seconds'])),
      lastBackfillFinishedAt: iso(t['last_backfill_finished_at']),
    },
    byState: byState.rows.map((row) => ({ state: row.state, agent: row.agent, kind: row.kind, objects: Number(row.objects) })),
    recentErrors: errors.rows.map((row) => ({ uri: row.uri, state: row.state, attempts: row.attempts, updatedAt: iso(row.updated_at) ?? '', error: row.error })),
    dlqReasons: dlq.rows.map((row) => ({ reason: row.reason, messages: Number(row.messages), failures: Number(row.failures), lastFailedAt: iso(row.last_failed_at) ?? '' })),
    backfillRuns: runs.rows.map((row) => ({
      id: Number(row.id),
      prefix: row.prefix,
      status: row.status,
      startedAt: iso(row.started_at) ?? '',
      finishedAt: iso(row.finished_at),
      listed: row.listed,
      changed: row.changed,
      ingested: row.ingested,
      enqueued: row.enqueued,
      verified: row.verified,
      deleted: row.deleted,
      failed: row.failed,
      error: row.error,
    })),
  };
}
