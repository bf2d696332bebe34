-- What `sessionlake status` shows, as views an operator (or a dashboard) can query directly.

-- Objects by state, agent and kind.
CREATE VIEW status_objects WITH (security_invoker = true) AS
SELECT state, coalesce(agent, '-') AS agent, kind, count(*)::bigint AS objects, max(updated_at) AS last_change
FROM objects
GROUP BY state, coalesce(agent, '-'), kind;

-- Objects that did not end well or landed with something odd, newest first, with the reason.
CREATE VIEW status_errors WITH (security_invoker = true) AS
SELECT uri, state, kind, attempts, updated_at, error
FROM objects
WHERE state IN ('failed', 'pending', 'superseded') OR (state = 'skipped' AND kind IN ('session', 'subagent'))
   OR lines_malformed > 0 OR values_rejected > 0 OR truncated;

-- Why SQS messages failed (the DLQ keeps the messages, this keeps the reasons).
CREATE VIEW status_dlq_reasons WITH (security_invoker = true) AS
SELECT reason, count(*)::bigint AS messages, sum(failures)::bigint AS failures, max(receive_count) AS max_receive_count,
       min(first_failed_at) AS first_failed_at, max(last_failed_at) AS last_failed_at
FROM message_failures
GROUP BY reason;

-- One row: the pipeline's health. Lag is how long the oldest object seen but not finished (pending, or failed
-- and waiting for a retry or the backfill) has waited; 0 when nothing is waiting.
CREATE VIEW pipeline_status WITH (security_invoker = true) AS
SELECT
  (SELECT count(*) FROM objects)::bigint AS objects,
  (SELECT count(*) FROM objects WHERE state = 'ingested')::bigint AS ingested,
  (SELECT count(*) FROM objects WHERE state = 'skipped')::bigint AS skipped,
  (SELECT count(*) FROM objects WHERE state = 'deleted')::bigint AS deleted,
  (SELECT count(*) FROM objects WHERE state = 'failed')::bigint AS failed,
  (SELECT count(*) FROM objects WHERE state IN ('pending', 'superseded'))::bigint AS waiting,
  (SELECT count(*) FROM sessions WHERE deleted_at IS NULL)::bigint AS live_sessions,
  (SELECT min(updated_at) FROM objects WHERE state IN ('pending', 'failed', 'superseded')) AS oldest_waiting_since,
  coalesce(extract(epoch FROM now() - (SELECT min(updated_at) FROM objects WHERE state IN ('pending', 'failed', 'superseded'))), 0)::double precision AS lag_seconds,
  (SELECT count(*) FROM message_failures)::bigint AS failed_messages,
  (SELECT max(finished_at) FROM backfill_runs WHERE status = 'finished') AS last_backfill_finished_at,
  (SELECT count(*) FROM (
     SELECT DISTINCT ON (bucket, prefix) status FROM backfill_runs ORDER BY bucket, prefix, id DESC
   ) latest WHERE status = 'failed')::bigint AS failed_backfill_prefixes;
