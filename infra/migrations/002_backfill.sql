-- Values that could not be stored, when each object row last changed, and the backfill's bookkeeping.

-- Numbers and dates present in a log that no column can hold (a token count of 1e20, the year 0): stored NULL,
-- counted here, described in `error`.
ALTER TABLE objects ADD COLUMN values_rejected integer NOT NULL DEFAULT 0;

-- When the row last changed. A backfill run only marks deleted what it did not see listed AND what nothing
-- touched since that page was listed, so an object created while the listing ran is never taken for a deleted one.
ALTER TABLE objects ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- A listing page is compared with the rows in its key range; S3 lists keys in byte order, which is COLLATE "C".
CREATE INDEX objects_bucket_key_c_idx ON objects (bucket, key COLLATE "C");

-- One row per backfill run of one prefix.
CREATE TABLE backfill_runs (
  id                  bigserial PRIMARY KEY,
  bucket              text NOT NULL,
  prefix              text NOT NULL,             -- key prefix listed ('' for the whole bucket)
  mode                text NOT NULL CHECK (mode IN ('ingest', 'enqueue')),
  holder              text NOT NULL,
  status              text NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'finished', 'paused', 'failed', 'abandoned')),
  started_at          timestamptz NOT NULL DEFAULT now(),
  finished_at         timestamptz,
  -- Where the listing resumes: the token of the next page, and the last key already compared.
  continuation_token  text,
  start_after         text,
  -- The run this one continues (a scheduled run that ran out of time resumes on the next schedule).
  resumed_from        bigint REFERENCES backfill_runs (id),
  pages               integer NOT NULL DEFAULT 0,
  listed              integer NOT NULL DEFAULT 0,
  new                 integer NOT NULL DEFAULT 0,
  changed             integer NOT NULL DEFAULT 0,
  unchanged           integer NOT NULL DEFAULT 0,
  deleted             integer NOT NULL DEFAULT 0,
  reparsed            integer NOT NULL DEFAULT 0,
  retried             integer NOT NULL DEFAULT 0,
  enqueued            integer NOT NULL DEFAULT 0,
  ingested            integer NOT NULL DEFAULT 0,
  failed              integer NOT NULL DEFAULT 0,
  bytes               bigint NOT NULL DEFAULT 0,
  error               text
);
CREATE INDEX backfill_runs_prefix_idx ON backfill_runs (bucket, prefix, id DESC);

-- One backfill at a time per prefix: a lease with an expiry (not a session-scoped advisory lock, which would
-- pin an RDS Proxy connection and die with the connection rather than with the run).
CREATE TABLE backfill_leases (
  bucket      text NOT NULL,
  prefix      text NOT NULL,
  run_id      bigint NOT NULL REFERENCES backfill_runs (id),
  holder      text NOT NULL,                     -- who runs it: host and pid, or the Lambda request id
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (bucket, prefix)
);

-- One row per (agent, source session id) that a parent/child link was resolved for. An ingest locks the rows of
-- the ids it links by before resolving, so a parent and its child written at the same time (two Lambdas, or
-- the backfill's workers) see each other's committed rows whichever commits first (row locks, not advisory
-- locks, which would pin RDS Proxy connections).
CREATE TABLE session_link_locks (
  agent             text NOT NULL,
  source_session_id text NOT NULL,
  PRIMARY KEY (agent, source_session_id)
);
