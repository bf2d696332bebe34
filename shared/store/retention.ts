import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * The SQL of transcript partitions (migration 027): the months there are, the coming months' partitions, dropping a
 * month's transcripts and bringing one back. Each call is one statement (its own transaction).
 */

export interface TranscriptMonth {
  /** `YYYY-MM-01`. */
  month: string;
  sessions: number;
  bytes: number;
  /** Why its billing is not settled into the rollups (it cannot be dropped), or null. Read by `unsettled` only. */
  unsettled?: string | null;
}

export interface DroppedMonth {
  month: string;
  droppedAt: Date;
  sessions: number;
  messages: number;
  toolCalls: number;
  bytes: number;
  restoredAt: Date | null;
}

/** Months with partitions, oldest first. */
export async function transcriptMonths(db: pg.Pool | pg.ClientBase): Promise<TranscriptMonth[]> {
  const result = await db.query<{ month: string; sessions: string; bytes: string | null }>(
    `SELECT to_char(month, 'YYYY-MM-DD') AS month, sessions, bytes FROM ${SCHEMA}.transcript_months()`,
  );
  return result.rows.map((row) => ({ month: row.month, sessions: Number(row.sessions), bytes: Number(row.bytes ?? 0) }));
}

/** Why `month`'s billing is not settled (null: it is). */
export async function unsettledReason(db: pg.Pool | pg.ClientBase, month: string): Promise<string | null> {
  const result = await db.query<{ why: string | null }>(`SELECT ${SCHEMA}.transcript_month_unsettled($1::date) AS why`, [month]);
  return result.rows[0]?.why ?? null;
}

/** Creates this month's and the next `monthsAhead` months' partitions (and those rows in the default partitions need); returns the months created. */
export async function ensureTranscriptPartitions(db: pg.Pool | pg.ClientBase, monthsAhead: number): Promise<string[]> {
  const result = await db.query<{ month: string }>(
    `SELECT to_char(m, 'YYYY-MM-DD') AS month FROM ${SCHEMA}.ensure_transcript_partitions($1) m`,
    [monthsAhead],
  );
  return result.rows.map((row) => row.month);
}

/** Drops `month`'s transcripts; throws (nothing dropped) when its billing is not settled. Returns the sessions it held. */
export async function dropTranscriptMonth(db: pg.Pool | pg.ClientBase, month: string): Promise<number> {
  const result = await db.query<{ sessions: string }>(`SELECT ${SCHEMA}.drop_transcript_month($1::date) AS sessions`, [month]);
  return Number(result.rows[0]?.sessions ?? 0);
}

export async function droppedMonths(db: pg.Pool | pg.ClientBase): Promise<DroppedMonth[]> {
  const result = await db.query<{
    month: string; dropped_at: Date; sessions: string; messages: string; tool_calls: string; bytes: string; restored_at: Date | null;
  }>(`SELECT to_char(month, 'YYYY-MM-DD') AS month, dropped_at, sessions, messages, tool_calls, bytes, restored_at
        FROM ${SCHEMA}.transcript_retention ORDER BY month`);
  return result.rows.map((row) => ({
    month: row.month, droppedAt: row.dropped_at, sessions: Number(row.sessions), messages: Number(row.messages),
    toolCalls: Number(row.tool_calls), bytes: Number(row.bytes), restoredAt: row.restored_at,
  }));
}

/** Re-creates `month`'s partitions and lists the objects of its dropped sessions (to ingest in full). */
export async function beginRestore(db: pg.Pool | pg.ClientBase, month: string): Promise<Array<{ sessionId: string; objectUri: string }>> {
  const result = await db.query<{ session_id: string; object_uri: string }>(
    `SELECT session_id, object_uri FROM ${SCHEMA}.begin_transcript_restore($1::date)`,
    [month],
  );
  return result.rows.map((row) => ({ sessionId: row.session_id, objectUri: row.object_uri }));
}

/** Marks sessions whose objects were ingested again live (their billing decided again from their rows). */
export async function finishRestore(db: pg.Pool | pg.ClientBase, sessionIds: string[]): Promise<number> {
  const result = await db.query<{ restored: string }>(`SELECT ${SCHEMA}.finish_transcript_restore($1::text[]) AS restored`, [sessionIds]);
  return Number(result.rows[0]?.restored ?? 0);
}
