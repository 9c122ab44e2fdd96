-- One wide row per accepted event. ReplacingMergeTree on the event id is the backstop against
-- a replayed insert; insert_deduplication_token on offset ranges is the first line.
CREATE TABLE IF NOT EXISTS events (
  org_id         LowCardinality(String),
  id             UUID,
  type           LowCardinality(String),
  occurred_at    DateTime64(3, 'UTC'),
  received_at    DateTime64(3, 'UTC'),
  source         LowCardinality(String),
  wedding_id     String,
  booking_id     String,
  payment_id     String,
  supplier_id    String,
  service        LowCardinality(String),
  category       LowCardinality(String),
  region         LowCardinality(String),
  venue_id       String,
  channel        LowCardinality(String),
  method         LowCardinality(String),
  kind           LowCardinality(String),
  wedding_date   Nullable(Date32),
  guest_count    Nullable(UInt32),
  amount         Int64,
  currency       LowCardinality(String),
  data           String,
  log_partition  UInt16,
  log_offset     UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (org_id, type, occurred_at, id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Events that passed the edge but failed a semantic check: the dead letter, queryable by producers.
CREATE TABLE IF NOT EXISTS rejected_events (
  org_id         LowCardinality(String),
  id             String,
  type           LowCardinality(String),
  received_at    DateTime64(3, 'UTC'),
  reasons        Array(LowCardinality(String)),
  message        String,
  payload        String,
  log_partition  UInt16,
  log_offset     UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, received_at, log_partition, log_offset)
SETTINGS non_replicated_deduplication_window = 10000;

-- Anomalies as flagged (history and analytics); their lifecycle lives in Postgres.
CREATE TABLE IF NOT EXISTS anomalies (
  org_id         LowCardinality(String),
  id             String,
  kind           LowCardinality(String),
  severity       LowCardinality(String),
  score          Float64,
  event_id       UUID,
  booking_id     String,
  wedding_id     String,
  evidence       String,
  occurred_at    DateTime64(3, 'UTC'),
  log_partition  UInt16,
  log_offset     UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, occurred_at, id)
SETTINGS non_replicated_deduplication_window = 10000;
