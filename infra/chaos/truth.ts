import type pg from 'pg';
import { classifyKey, sidecarKey } from '../../shared/layout/s3-key.js';
import { parseSessionBytes } from '../../shared/parsers/parse-session.js';
import { selectParser, storedParserVersion } from '../../shared/parsers/registry.js';
import type { ChaosBucket } from './bucket.js';

/**
 * The ground truth: what the database must hold, computed from the final bucket alone — each live object
 * parsed on its own — and the comparison with what the database holds.
 */

export interface ExpectedSession {
  key: string;
  messages: number;
  /** Source line of every message row, sorted: a row stored twice shows as a repeated line. */
  lines: number[];
  toolCalls: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  etag: string;
  /** The parser version the rows must carry: that of the parser the key's agent reads the content with. */
  parserVersion: string | null;
  /** Tool results that must hold a sidecar's content: call id → content. */
  savedResults: Map<string, string>;
  /** The session's rows that carry a response's tokens, with what decides which copy of a response bills. */
  billable: BillableRow[];
}

/** A row carrying a response's tokens, read from the object alone. */
interface BillableRow {
  /** Which response it is (README "Usage, cost and search"): copies of one response share it. */
  identity: string;
  sessionId: string;
  ordinal: number;
  /** Response ids: the larger output bills, then the copy not in a sidechain. Other copies: all equal. */
  output: number;
  notSidechain: boolean;
  tokens: Tokens;
}

interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface Verdict {
  liveSessions: number;
  deletedObjects: number;
  /** Live sessions missing, or holding fewer rows than their object. */
  lost: string[];
  /** Rows beyond what an object holds, or a deleted object's session still live. */
  duplicated: string[];
  /** Stored at an older version: another ETag, an older parser, token sums or tool results of another version. */
  stale: string[];
  /**
   * Live sessions whose billed usage (sessionlake.usage: each response once, from its best copy) is not what the
   * live objects say: their responses, each counted in the copy that wins among the live objects.
   */
  misbilled: string[];
}

export async function expectedSessions(bucket: ChaosBucket): Promise<ExpectedSession[]> {
  const expected: ExpectedSession[] = [];
  for (const object of bucket.objects.values()) {
    if (object.content === null || object.etag === null) continue;
    const layout = classifyKey(object.key);
    if (layout.kind !== 'session' && layout.kind !== 'subagent') continue;
    const parsed = await parseSessionBytes(object.content, selectParser(layout.agent), layout.parserContext);
    const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    for (const message of parsed.messages) {
      tokens.input += message.tokens?.input ?? 0;
      tokens.output += message.tokens?.output ?? 0;
      tokens.cacheRead += message.tokens?.cacheReadInput ?? 0;
      tokens.cacheWrite += message.tokens?.cacheCreationInput ?? 0;
    }
    const savedResults = new Map<string, string>();
    for (const call of parsed.toolCalls) {
      if (call.resultFile === null || call.callId === null) continue;
      const key = sidecarKey(layout, call.resultFile);
      const sidecar = key === null ? undefined : bucket.objects.get(key);
      if (sidecar?.content !== null && sidecar?.content !== undefined) savedResults.set(call.callId, sidecar.content);
    }
    const lines = parsed.messages.map((message) => message.lineNumber).sort((a, b) => a - b);
    const sourceId = parsed.outcome.result?.summary.sourceSessionId ?? null;
    const billable: BillableRow[] = [];
    for (const message of parsed.messages) {
      const t = message.tokens;
      if (t === null || [t.input, t.output, t.cacheCreationInput, t.cacheReadInput].every((n) => n === null)) continue;
      if (message.model === '<synthetic>') continue;
      const identity =
        message.responseId !== null
          ? JSON.stringify(['response', message.responseId, message.requestId ?? ''])
          : sourceId !== null
            ? JSON.stringify(['copy', layout.agent, sourceId, message.ordinal, message.requestId, t.input, t.output, t.cacheReadInput])
            : JSON.stringify(['row', layout.sessionId, message.ordinal]);
      billable.push({
        identity,
        sessionId: layout.sessionId,
        ordinal: message.ordinal,
        output: message.responseId !== null ? (t.output ?? -1) : 0,
        notSidechain: message.responseId !== null ? !message.isSidechain : true,
        tokens: { input: t.input ?? 0, output: t.output ?? 0, cacheRead: t.cacheReadInput ?? 0, cacheWrite: t.cacheCreationInput ?? 0 },
      });
    }
    const parser = parsed.outcome.parser;
    const parserVersion = parser === null ? null : storedParserVersion(parser);
    expected.push({ key: object.key, messages: parsed.messages.length, lines, toolCalls: parsed.toolCalls.length, tokens, etag: object.etag, parserVersion, savedResults, billable });
  }
  return expected;
}

export async function compareWithDatabase(db: pg.Pool, bucketName: string, bucket: ChaosBucket): Promise<Verdict> {
  const expected = await expectedSessions(bucket);
  const verdict: Verdict = { liveSessions: expected.length, deletedObjects: 0, lost: [], duplicated: [], stale: [], misbilled: [] };
  const stored = await db.query<{
    key: string;
    etag: string | null;
    state: string;
    parser_version: string | null;
    deleted: boolean;
    messages: number;
    lines: number[] | null;
    tool_calls: number;
    message_count: number;
    input: string | null;
    output: string | null;
    cache_read: string | null;
    cache_write: string | null;
  }>(
    `SELECT o.key, o.etag, o.state, o.parser_version, s.deleted_at IS NOT NULL AS deleted, s.message_count,
            (SELECT count(*)::int FROM sessionlake.messages m WHERE m.session_id = s.id) AS messages,
            (SELECT array_agg(line_number ORDER BY line_number) FROM sessionlake.messages m WHERE m.session_id = s.id) AS lines,
            (SELECT count(*)::int FROM sessionlake.tool_calls t WHERE t.session_id = s.id) AS tool_calls,
            (SELECT sum(input_tokens) FROM sessionlake.messages m WHERE m.session_id = s.id) AS input,
            (SELECT sum(output_tokens) FROM sessionlake.messages m WHERE m.session_id = s.id) AS output,
            (SELECT sum(cache_read_input_tokens) FROM sessionlake.messages m WHERE m.session_id = s.id) AS cache_read,
            (SELECT sum(cache_creation_input_tokens) FROM sessionlake.messages m WHERE m.session_id = s.id) AS cache_write
     FROM sessionlake.objects o LEFT JOIN sessionlake.sessions s ON s.object_uri = o.uri
     WHERE o.bucket = $1`,
    [bucketName],
  );
  const byKey = new Map(stored.rows.map((row) => [row.key, row]));
  for (const session of expected) {
    const row = byKey.get(session.key);
    if (row === undefined || row.message_count === null || row.deleted) {
      verdict.lost.push(`${session.key}: ${row === undefined ? 'no object row' : row.deleted ? 'session flagged deleted' : `no session (${row.state})`}`);
      continue;
    }
    if (row.messages < session.messages || row.tool_calls < session.toolCalls) {
      verdict.lost.push(`${session.key}: ${row.messages}/${session.messages} messages, ${row.tool_calls}/${session.toolCalls} tool calls`);
    } else if (row.messages > session.messages || row.tool_calls > session.toolCalls) {
      verdict.duplicated.push(`${session.key}: ${row.messages}/${session.messages} messages, ${row.tool_calls}/${session.toolCalls} tool calls`);
    } else if ((row.lines ?? []).join() !== session.lines.join()) {
      verdict.stale.push(`${session.key}: message rows from other lines than the object's`);
    }
    const sums = [Number(row.input ?? 0), Number(row.output ?? 0), Number(row.cache_read ?? 0), Number(row.cache_write ?? 0)];
    const want = [session.tokens.input, session.tokens.output, session.tokens.cacheRead, session.tokens.cacheWrite];
    if (row.etag !== session.etag || row.state !== 'ingested' || row.parser_version !== session.parserVersion) {
      verdict.stale.push(`${session.key}: stored ${row.state} ${row.etag} (${row.parser_version}), bucket has ${session.etag}`);
    } else if (sums.join() !== want.join()) {
      verdict.stale.push(`${session.key}: tokens ${sums.join('/')} stored, ${want.join('/')} in the object`);
    }
  }
  await compareSavedResults(db, expected, verdict);
  await compareBilled(db, bucketName, expected, verdict);
  for (const object of bucket.objects.values()) {
    if (!object.created || object.content !== null) continue;
    verdict.deletedObjects += 1;
    const row = byKey.get(object.key);
    if (row === undefined) continue; // never seen by the database: nothing to flag
    if (row.state !== 'deleted') verdict.stale.push(`${object.key}: deleted from the bucket, stored ${row.state}`);
    if (row.message_count !== null && !row.deleted) verdict.duplicated.push(`${object.key}: deleted from the bucket, session still live`);
  }
  // Sessions the bucket has no live object for, still live in the database (from a key never created: none).
  const orphans = await db.query<{ id: string }>(
    `SELECT s.id FROM sessionlake.sessions s JOIN sessionlake.objects o ON o.uri = s.object_uri
     WHERE o.bucket = $1 AND s.deleted_at IS NULL AND NOT (o.key = ANY($2))`,
    [bucketName, expected.map((session) => session.key)],
  );
  for (const row of orphans.rows) verdict.duplicated.push(`${row.id}: a live session the bucket does not hold`);
  return verdict;
}

async function compareSavedResults(db: pg.Pool, expected: ExpectedSession[], verdict: Verdict): Promise<void> {
  for (const session of expected) {
    for (const [callId, content] of session.savedResults) {
      const row = await db.query<{ result_text: string | null }>(
        `SELECT t.result_text FROM sessionlake.tool_calls t JOIN sessionlake.sessions s ON s.id = t.session_id
         WHERE s.object_uri LIKE '%' || $1 AND t.call_id = $2`,
        [`/${session.key}`, callId],
      );
      if (row.rows[0]?.result_text !== content) verdict.stale.push(`${session.key}: tool result ${callId} does not hold its sidecar's content`);
    }
  }
}

/** Each live session's responses that bill, counted in the copy that wins among all live objects. */
function expectedBilled(expected: ExpectedSession[]): Map<string, Tokens & { responses: number }> {
  const best = new Map<string, BillableRow>();
  const better = (a: BillableRow, b: BillableRow): boolean =>
    a.output !== b.output ? a.output > b.output
      : a.notSidechain !== b.notSidechain ? a.notSidechain
        : a.sessionId !== b.sessionId ? a.sessionId < b.sessionId
          : a.ordinal < b.ordinal;
  for (const row of expected.flatMap((session) => session.billable)) {
    const held = best.get(row.identity);
    if (held === undefined || better(row, held)) best.set(row.identity, row);
  }
  const bySession = new Map<string, Tokens & { responses: number }>();
  for (const row of best.values()) {
    const sums = bySession.get(row.sessionId) ?? { responses: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    sums.responses += 1;
    sums.input += row.tokens.input;
    sums.output += row.tokens.output;
    sums.cacheRead += row.tokens.cacheRead;
    sums.cacheWrite += row.tokens.cacheWrite;
    bySession.set(row.sessionId, sums);
  }
  return bySession;
}

async function compareBilled(db: pg.Pool, bucketName: string, expected: ExpectedSession[], verdict: Verdict): Promise<void> {
  const want = expectedBilled(expected);
  const stored = await db.query<{ key: string; responses: string; input: string; output: string; cache_read: string; cache_write: string }>(
    `SELECT o.key, count(u.session_id) AS responses, coalesce(sum(u.input_tokens), 0) AS input,
            coalesce(sum(u.output_tokens), 0) AS output, coalesce(sum(u.cache_read_input_tokens), 0) AS cache_read,
            coalesce(sum(u.cache_creation_input_tokens), 0) AS cache_write
       FROM sessionlake.objects o
       JOIN sessionlake.sessions s ON s.object_uri = o.uri AND s.deleted_at IS NULL
       LEFT JOIN sessionlake.usage u ON u.session_id = s.id
      WHERE o.bucket = $1
      GROUP BY o.key`,
    [bucketName],
  );
  const byKey = new Map(stored.rows.map((row) => [row.key, row]));
  for (const session of expected) {
    const row = byKey.get(session.key);
    if (row === undefined) continue; // reported as lost
    const sessionId = session.billable[0]?.sessionId;
    const sums = (sessionId === undefined ? undefined : want.get(sessionId)) ?? { responses: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    const have = [row.responses, row.input, row.output, row.cache_read, row.cache_write].map(Number).join('/');
    const should = [sums.responses, sums.input, sums.output, sums.cacheRead, sums.cacheWrite].join('/');
    if (have !== should) verdict.misbilled.push(`${session.key}: billed responses/input/output/cache read/cache write ${have}, the objects say ${should}`);
  }
}
