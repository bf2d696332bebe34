-- Delta ingest verification (issue 15): which bytes an ingested session object's rows were read from, as one
-- SHA-256 per byte range read. A delta checks only the bytes just before its resume point, so the rows of an
-- earlier range can belong to bytes a later version rewrote in place; the backfill reads the object again once
-- it has gone quiet, compares each range, and re-ingests in full when one differs (README, "Delta ingest").
-- Kept apart from object_checkpoints: a delta can end without a state to resume from, and its rows still need
-- checking.
--
-- An ingested session object with no verified row for its stored ETag is what the backfill verifies: rows a delta
-- stored, and rows stored before this table existed (no row at all: read in full, once).
CREATE TABLE ingested_ranges (
  uri        text PRIMARY KEY REFERENCES objects (uri) ON DELETE CASCADE,
  etag       text NOT NULL,        -- the object version the rows are stored for
  -- Range i covers bytes [ends[i-1], ends[i]) (the first from 0), whole lines only; digests[i] is its SHA-256.
  ends       bigint[] NOT NULL,
  digests    bytea[] NOT NULL,
  -- Every range was read from `etag` (a full ingest, or a verification that found them unchanged). False after
  -- a delta: the earlier ranges were read from earlier versions.
  verified   boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (cardinality(ends) = cardinality(digests))
);

-- Operational, like object_checkpoints (migration 006): only the writer and admin roles see the rows.
ALTER TABLE ingested_ranges ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON ingested_ranges USING ((SELECT sees_all_machines(current_user)));

-- Backfill runs count the objects they verified (or sent to be verified).
ALTER TABLE backfill_runs ADD COLUMN verified integer NOT NULL DEFAULT 0;
