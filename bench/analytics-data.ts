/**
 * The generated database of `npm run bench:analytics` (also loaded by test/integration/analytics/billing-rollups.test.ts,
 * which checks that the decided rows and rollups equal the per-query decision on it).
 */

export const MESSAGES_PER_SESSION = 200;

/**
 * 20 machines, 50 project folders (a third of the sessions without cwd), sessions one after another over about a
 * year; every other message an assistant response carrying tokens (a 1-hour cache split on some), four models one
 * of which has no price; every 20th session replays the previous session's responses (a resumed session).
 */
export function generateStatements(
  sessions: number,
  messagesPerSession = MESSAGES_PER_SESSION,
  // Each session's transcript month (migration 027) named, as the write path does; false for a schema before it.
  // bulk: each month's messages written into a table of their own and attached as the month's partition (see
  // bulkMessages); only with triggers off (session_replication_role = replica), decided by rebuild_billing() after.
  { transcriptMonths = true, bulk = false }: { transcriptMonths?: boolean; bulk?: boolean } = {},
): string[] {
  const month = transcriptMonths ? { sessionColumn: ', transcript_month', sessionValue: ', sessionlake.transcript_month_of(t)', messageColumn: ', transcript_month', messageValue: ', s.transcript_month', messageSource: ', transcript_month' } : { sessionColumn: '', sessionValue: '', messageColumn: '', messageValue: '', messageSource: '' };
  const messages = (target: string, where: string): string =>
  `INSERT INTO ${target} (session_id, ordinal, role, source_type, "timestamp", model, text, message_id,
                                     request_id, input_tokens, output_tokens, cache_creation_input_tokens,
                                     cache_read_input_tokens, usage, line_number, byte_offset${month.messageColumn})
   SELECT s.id, o, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END, CASE WHEN o % 2 = 1 THEN 'assistant' ELSE 'user' END,
          s.started_at + o * interval '20 seconds',
          CASE WHEN o % 2 = 1 THEN (ARRAY['claude-sonnet-4-5-20250929', 'claude-opus-4-6', 'claude-haiku-4-5-20251001',
                                          'claude-opus-5'])[1 + (s.n + o) % 4] END,
          'step ' || o || ' of session ' || s.n || ': run the tests and fix what fails',
          CASE WHEN o % 2 = 1 THEN 'msg_' || (CASE WHEN s.n % 20 = 0 THEN s.n - 1 ELSE s.n END) || '_' || o END,
          CASE WHEN o % 2 = 1 THEN 'req_' || (CASE WHEN s.n % 20 = 0 THEN s.n - 1 ELSE s.n END) || '_' || o END,
          CASE WHEN o % 2 = 1 THEN 3 + o % 7 END,
          CASE WHEN o % 2 = 1 THEN 50 + (o * 37) % 900 END,
          CASE WHEN o % 2 = 1 THEN (o * 131) % 4000 END,
          CASE WHEN o % 2 = 1 THEN 10000 + o * 300 END,
          CASE WHEN o % 2 = 1 THEN jsonb_build_object('cache_creation', jsonb_build_object(
                 'ephemeral_5m_input_tokens', (o * 131) % 4000 - CASE WHEN o % 10 = 1 THEN (o * 131) % 2000 ELSE 0 END,
                 'ephemeral_1h_input_tokens', CASE WHEN o % 10 = 1 THEN (o * 131) % 2000 ELSE 0 END)) END,
          o + 1, o * 1000${month.messageValue}
     FROM (SELECT id, started_at, split_part(id, '/', 5)::int AS n${month.messageSource} FROM sessionlake.sessions${where}) s
    CROSS JOIN generate_series(0, ${messagesPerSession - 1}) o`;
  return [
  `INSERT INTO sessionlake.objects (uri, bucket, key, machine, agent, kind, state)
   SELECT 's3://bench/' || k, 'bench', k || '.jsonl', 'm' || (n % 20), 'claude', 'session', 'ingested'
     FROM (SELECT n, 'm' || (n % 20) || '/raw/claude/-work-proj' || (n % 50) || '/' || n AS k
             FROM generate_series(1, ${sessions}) n) s`,
  `INSERT INTO sessionlake.sessions (id, object_uri, machine, agent, kind, cwd, started_at, ended_at, message_count${month.sessionColumn})
   SELECT k, 's3://bench/' || k, 'm' || (n % 20), 'claude', 'session',
          CASE WHEN n % 3 <> 0 THEN '/work/proj' || (n % 50) END,
          t, t + interval '${messagesPerSession * 20} seconds', ${messagesPerSession}${month.sessionValue}
     FROM (SELECT n, 'm' || (n % 20) || '/raw/claude/-work-proj' || (n % 50) || '/' || n AS k,
                  timestamptz '2025-11-15' + n * (interval '365 days' / ${sessions}) AS t
             FROM generate_series(1, ${sessions}) n) s`,
  ...(bulk && transcriptMonths ? bulkMessages(messages) : [messages('sessionlake.messages', '')]),
  'VACUUM ANALYZE sessionlake.objects',
  'VACUUM ANALYZE sessionlake.sessions',
  'VACUUM ANALYZE sessionlake.messages',
  ];
}

/**
 * The months the sessions start in (2025-11-15 plus up to 365 days), each as the write path would leave it: a
 * partition of its own for messages, tool_calls and tool_call_search (create_transcript_partition, migration 027).
 * A month's messages are written into a plain table first and it is then attached as the month's partition, so its
 * indexes (the GIN index of the text's tsvector among them) are built once over the month's rows, as CREATE INDEX
 * does, instead of one entry at a time as the rows come (at 10 million rows inserted through the parent that took
 * about 40 minutes). Same rows, same indexes, constraints and policies as create_transcript_partition makes; a month
 * that already has its partitions (this month and the next two are made by the migrations) is inserted through the
 * parent.
 */
function bulkMessages(messages: (target: string, where: string) => string): string[] {
  const months: string[] = [];
  for (let month = new Date(Date.UTC(2025, 10, 1)); month <= new Date(Date.UTC(2026, 10, 15)); month.setUTCMonth(month.getUTCMonth() + 1)) {
    months.push(month.toISOString().slice(0, 10));
  }
  const statements = months.map((month) => {
    const next = new Date(`${month}T00:00:00Z`);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const until = next.toISOString().slice(0, 10);
    const suffix = month.slice(0, 7).replace('-', '_');
    const where = ` WHERE transcript_month = date '${month}'`;
    return `DO $$
BEGIN
  IF to_regclass('sessionlake.messages_${suffix}') IS NOT NULL THEN
    ${messages('sessionlake.messages', where)};
    RETURN;
  END IF;
  CREATE TABLE sessionlake.messages_${suffix} (LIKE sessionlake.messages INCLUDING DEFAULTS INCLUDING GENERATED
    INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS);
  ${messages(`sessionlake.messages_${suffix}`, where)};
  ALTER TABLE sessionlake.messages ATTACH PARTITION sessionlake.messages_${suffix} FOR VALUES FROM ('${month}') TO ('${until}');
  CREATE TABLE sessionlake.tool_calls_${suffix} PARTITION OF sessionlake.tool_calls FOR VALUES FROM ('${month}') TO ('${until}');
  CREATE TABLE sessionlake.tool_call_search_${suffix} PARTITION OF sessionlake.tool_call_search FOR VALUES FROM ('${month}') TO ('${until}');
  PERFORM sessionlake.secure_transcript_partition(p::regclass)
     FROM unnest(ARRAY['sessionlake.messages_${suffix}', 'sessionlake.tool_calls_${suffix}', 'sessionlake.tool_call_search_${suffix}']) p;
END
$$`;
  });
  // (none with the start dates above; kept so that no session is left without its messages)
  statements.push(messages('sessionlake.messages', ` WHERE transcript_month NOT IN (${months.map((m) => `date '${m}'`).join(', ')})`));
  return statements;
}
