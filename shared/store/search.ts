import type pg from 'pg';
import { SCHEMA } from './schema.js';

/**
 * Full-text search over `search_documents` as docs/queries.md ("Search") runs it: `websearch_to_tsquery` with the
 * `simple` configuration, newest hits first, each with an excerpt whose matched words sit between `HIT_START` and
 * `HIT_END` (characters that the caller turns into markup after escaping the text).
 */

export const HIT_START = '\u0002';
export const HIT_END = '\u0003';

export interface SearchHit {
  sessionId: string;
  machine: string;
  agent: string;
  title: string | null;
  messageOrdinal: number;
  callIndex: number | null;
  kind: string;
  label: string | null;
  timestamp: string | null;
  excerpt: string;
}

export async function searchDocuments(
  db: Pick<pg.Pool, 'query'>,
  query: string,
  page: { limit: number; offset: number },
): Promise<SearchHit[]> {
  const { rows } = await db.query<{
    session_id: string; machine: string; agent: string; title: string | null; message_ordinal: number; call_index: number | null;
    kind: string; label: string | null; ts: string | null; excerpt: string | null;
  }>(
    `WITH hits AS (
       SELECT d.session_id, d.message_ordinal, d.call_index, d.kind, d.label, d."timestamp", d.body, q.q
         FROM ${SCHEMA}.search_documents d, websearch_to_tsquery('simple', $1) AS q(q)
        WHERE d.search_vector @@ q.q
        ORDER BY d."timestamp" DESC NULLS LAST, d.session_id, d.message_ordinal, d.call_index NULLS FIRST
        LIMIT $2 OFFSET $3
     )
     SELECT h.session_id, s.machine, s.agent, s.title, h.message_ordinal, h.call_index, h.kind, h.label,
            to_char(h."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts,
            ts_headline('simple', left(h.body, 200000), h.q,
                        'MaxFragments=2, MaxWords=24, MinWords=8, StartSel=${HIT_START}, StopSel=${HIT_END}') AS excerpt
       FROM hits h JOIN ${SCHEMA}.sessions s ON s.id = h.session_id
      ORDER BY h."timestamp" DESC NULLS LAST, h.session_id, h.message_ordinal, h.call_index NULLS FIRST`,
    [query, page.limit, page.offset],
  );
  return rows.map((row) => ({
    sessionId: row.session_id,
    machine: row.machine,
    agent: row.agent,
    title: row.title,
    messageOrdinal: Number(row.message_ordinal),
    callIndex: row.call_index === null ? null : Number(row.call_index),
    kind: row.kind,
    label: row.label,
    timestamp: row.ts,
    excerpt: row.excerpt ?? '',
  }));
}
