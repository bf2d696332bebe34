-- An object's status has one name per state, and the status views and `sessionlake status` use the same names
-- (README, "Object states"). Before: the state column allowed six values, of which `superseded` was never
-- written (a newer version is an outcome of one notice, not a state: such a row stays `pending`), and the
-- status output counted `pending` and `superseded` together as `waiting`, a third name for the same state.
-- Now five states, each needed: ingested, skipped, deleted, failed, pending.

UPDATE objects SET state = 'pending', updated_at = now() WHERE state = 'superseded';

ALTER TABLE objects DROP CONSTRAINT IF EXISTS objects_state_check;
ALTER TABLE objects ADD CONSTRAINT objects_state_check
  CHECK (state IN ('pending', 'ingested', 'failed', 'skipped', 'deleted'));

CREATE OR REPLACE VIEW status_errors WITH (security_invoker = true) AS
SELECT uri, state, kind, attempts, updated_at, error
FROM objects
WHERE state IN ('failed', 'pending') OR (state = 'skipped' AND kind IN ('session', 'subagent'))
   OR lines_malformed > 0 OR values_rejected > 0 OR truncated;

-- Renamed in place (grants kept): `waiting` counted the `pending` state under another name.
ALTER VIEW pipeline_status RENAME COLUMN waiting TO pending;

-- Lag is how long the oldest object seen but not finished (pending, or failed and waiting for a retry or the
-- backfill) has waited; 0 when there is none.
CREATE OR REPLACE VIEW pipeline_status WITH (security_invoker = true) AS
SELECT
  (SELECT count(*) FROM objects)::bigint AS objects,
  (SELECT count(*) FROM objects WHERE state = 'ingested')::bigint AS ingested,
  (SELECT count(*) FROM objects WHERE state = 'skipped')::bigint AS skipped,
  (SELECT count(*) FROM objects WHERE state = 'deleted')::bigint AS deleted,
  (SELECT count(*) FROM objects WHERE state = 'failed')::bigint AS failed,
  (SELECT count(*) FROM objects WHERE state = 'pending')::bigint AS pending,
  (SELECT count(*) FROM sessions WHERE deleted_at IS NULL)::bigint AS live_sessions,
  (SELECT min(updated_at) FROM objects WHERE state IN ('pending', 'failed')) AS oldest_waiting_since,
  coalesce(extract(epoch FROM now() - (SELECT min(updated_at) FROM objects WHERE state IN ('pending', 'failed'))), 0)::double precision AS lag_seconds,
  (SELECT count(*) FROM message_failures)::bigint AS failed_messages,
  (SELECT max(finished_at) FROM backfill_runs WHERE status = 'finished') AS last_backfill_finished_at,
  (SELECT count(*) FROM (
     SELECT DISTINCT ON (bucket, prefix) status FROM backfill_runs ORDER BY bucket, prefix, id DESC
   ) latest WHERE status = 'failed')::bigint AS failed_backfill_prefixes;
