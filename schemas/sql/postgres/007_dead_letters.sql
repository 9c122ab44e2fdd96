-- Dead letters and their lifecycle: one row per log record the processors refused, written in the transaction of the
-- batch that refused it (so a replayed batch writes it once), and marked when it is re-driven. ClickHouse's
-- `rejected_events` stays the analytic history; this table is what the API lists and what a redrive changes. It is not
-- derived state: a rebuild from the log leaves it as it is (a record dead-lettered again keeps its row, redrive and
-- all, by its log position).
--
-- The identity is the record's log position (topic, partition, offset); `id` is a digest of it, so it is stable
-- across rebuilds. A redrive appends `payload` again under `log_key` (so to the same partition), records where it
-- landed in `redrive_partition`/`redrive_offset` (same topic), and a dead letter of that new record names this one in
-- `redrive_of`.
CREATE TABLE IF NOT EXISTS dead_letters (
  id                 text PRIMARY KEY,
  -- '' when the record could not be decoded far enough to name its organisation: only the operator's CLI sees those.
  org_id             text NOT NULL,
  log_topic          text NOT NULL,
  log_partition      integer NOT NULL,
  log_offset         bigint NOT NULL,
  log_key            text NOT NULL,
  -- As read from the payload; '' when it has none.
  event_id           text NOT NULL,
  event_type         text NOT NULL,
  reasons            text[] NOT NULL,
  message            text NOT NULL,
  -- The log record's bytes as they were: text cannot hold a NUL or bytes that are not UTF-8, and a redrive must
  -- append what was refused, not a cleaned copy.
  payload            bytea NOT NULL,
  received_at        timestamptz NOT NULL,
  dead_lettered_at   timestamptz NOT NULL DEFAULT now(),
  redriven_at        timestamptz,
  redrive_partition  integer,
  redrive_offset     bigint,
  redrive_of         text REFERENCES dead_letters (id),
  UNIQUE (log_topic, log_partition, log_offset)
);

-- The API lists an organisation's dead letters newest first by when they were received.
CREATE INDEX IF NOT EXISTS dead_letters_by_org ON dead_letters (org_id, received_at DESC);
-- /metrics counts the pending ones at every scrape; a redrive by filter picks among them.
CREATE INDEX IF NOT EXISTS dead_letters_pending ON dead_letters (org_id, received_at) WHERE redriven_at IS NULL;
-- A record re-driven and refused again finds the dead letter it re-drove by the position it was appended at.
CREATE INDEX IF NOT EXISTS dead_letters_by_redrive ON dead_letters (log_topic, redrive_partition, redrive_offset)
  WHERE redrive_offset IS NOT NULL;
