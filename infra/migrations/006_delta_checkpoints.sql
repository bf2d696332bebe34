-- Delta ingest (issue 11): where an ingested session object can be read on from, and the parser state to go on
-- with. Session logs only grow; when a new version of an object still starts with the bytes ingested (checked
-- by hashing the last of them again), only the bytes after `byte_offset` are fetched and parsed. A row belongs
-- to exactly one ingested version (`etag`) and parser version; anything else means a full ingest, which
-- replaces the row (or removes it when its end state cannot be resumed from).
CREATE TABLE object_checkpoints (
  uri            text PRIMARY KEY REFERENCES objects (uri) ON DELETE CASCADE,
  etag           text NOT NULL,                 -- the object version the state was taken from
  parser_version text NOT NULL,                 -- only this parser version resumes from it
  format         integer NOT NULL,              -- the state's shape (RESUME_FORMAT in shared/parsers/resume-state.ts)
  byte_offset    bigint NOT NULL,               -- the state covers bytes [0, byte_offset): whole lines only
  tail_bytes     integer NOT NULL,              -- how many bytes before byte_offset tail_sha256 covers
  tail_sha256    bytea NOT NULL,
  state          json NOT NULL,                 -- json, not jsonb: kept as written (its strings may hold \u0000)
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Operational, like the backfill's tables (migration 005): only the writer and admin roles see the rows.
ALTER TABLE object_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators ON object_checkpoints USING ((SELECT sees_all_machines(current_user)));
