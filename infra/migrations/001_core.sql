-- Core tables: one row per S3 object ever seen, the sessions parsed from them, and their messages and tool calls.
-- See README.md "Data model" for what each column means.

CREATE TABLE objects (
  uri                 text PRIMARY KEY,            -- s3://bucket/key, key decoded
  bucket              text NOT NULL,
  key                 text NOT NULL,
  machine             text,
  agent               text,
  kind                text NOT NULL CHECK (kind IN ('session', 'subagent', 'sidecar', 'skipped')),
  etag                text,                        -- unquoted; a version token, not a content hash
  size                bigint,
  last_modified       timestamptz,
  sequencer           text,                        -- S3 event sequencer of the newest event applied
  state               text NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'ingested', 'failed', 'skipped', 'deleted', 'superseded')),
  error               text,
  parser_version      text,
  bytes_ingested      bigint,
  lines_total         integer,
  lines_malformed     integer,
  lines_unknown       integer,
  lines_ignored       integer,
  duplicate_responses integer,
  truncated           boolean NOT NULL DEFAULT false,
  attempts            integer NOT NULL DEFAULT 0,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  ingested_at         timestamptz,
  deleted_at          timestamptz,
  session_id          text
);
CREATE INDEX objects_state_idx ON objects (state);
CREATE INDEX objects_machine_agent_idx ON objects (machine, agent);

CREATE TABLE sessions (
  id                          text PRIMARY KEY,    -- the object key without .jsonl
  object_uri                  text NOT NULL UNIQUE REFERENCES objects (uri),
  machine                     text NOT NULL,
  agent                       text NOT NULL,
  kind                        text NOT NULL CHECK (kind IN ('session', 'subagent')),
  source_session_id           text,
  parent_session_id           text,                -- sessions.id of the parent, when known
  parent_source_session_id    text,
  project                     text,
  cwd                         text,
  git_branch                  text,
  cli_version                 text,
  originator                  text,
  title                       text,
  started_at                  timestamptz,
  ended_at                    timestamptz,
  model                       text,
  message_count               integer NOT NULL DEFAULT 0,
  user_message_count          integer NOT NULL DEFAULT 0,
  tool_call_count             integer NOT NULL DEFAULT 0,
  input_tokens                bigint,
  output_tokens               bigint,
  cache_creation_input_tokens bigint,
  cache_read_input_tokens     bigint,
  reasoning_output_tokens     bigint,
  malformed_lines             integer NOT NULL DEFAULT 0,
  is_truncated                boolean NOT NULL DEFAULT false,
  deleted_at                  timestamptz,
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_machine_agent_idx ON sessions (machine, agent);
CREATE INDEX sessions_source_session_idx ON sessions (source_session_id);
CREATE INDEX sessions_parent_idx ON sessions (parent_session_id) WHERE parent_session_id IS NOT NULL;
CREATE INDEX sessions_started_idx ON sessions (started_at);

CREATE TABLE messages (
  session_id                  text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  ordinal                     integer NOT NULL,
  role                        text NOT NULL,
  source_type                 text NOT NULL,
  source_subtype              text,
  uuid                        text,
  parent_uuid                 text,
  "timestamp"                 timestamptz,
  model                       text,
  text                        text,
  thinking                    text,
  is_sidechain                boolean NOT NULL DEFAULT false,
  is_compact_boundary         boolean NOT NULL DEFAULT false,
  message_id                  text,                -- Claude message.id
  request_id                  text,                -- Claude requestId; Codex turn id
  -- Billed tokens: set on one row per model response, NULL on the other rows of that response.
  input_tokens                bigint,
  output_tokens               bigint,
  cache_creation_input_tokens bigint,
  cache_read_input_tokens     bigint,
  reasoning_output_tokens     bigint,
  usage                       jsonb,               -- the usage object as the log wrote it on this line
  line_number                 integer NOT NULL,
  byte_offset                 bigint NOT NULL,
  PRIMARY KEY (session_id, ordinal)
);
CREATE INDEX messages_timestamp_idx ON messages ("timestamp");
CREATE INDEX messages_response_idx ON messages (message_id, request_id) WHERE message_id IS NOT NULL;

CREATE TABLE tool_calls (
  session_id       text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  message_ordinal  integer NOT NULL,
  call_index       integer NOT NULL,
  call_id          text,
  name             text NOT NULL,
  input            jsonb,
  input_text       text,                           -- arguments as written, when they were not valid JSON
  result_text      text,                           -- NULL while the call is pending
  is_error         boolean,
  result_timestamp timestamptz,
  PRIMARY KEY (session_id, message_ordinal, call_index)
);
CREATE INDEX tool_calls_name_idx ON tool_calls (name);

-- SQS messages that could not be processed, with the reason: the DLQ holds the message, this table says why.
CREATE TABLE message_failures (
  message_id      text PRIMARY KEY,
  reason          text NOT NULL,
  body_excerpt    text,
  receive_count   integer,
  failures        integer NOT NULL DEFAULT 1,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at  timestamptz NOT NULL DEFAULT now()
);
