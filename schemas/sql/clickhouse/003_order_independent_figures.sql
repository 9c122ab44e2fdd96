-- Revenue shows cancellations as figures of their own, in the bucket of the cancellation that counts (the earliest by
-- occurrence): how many bookings were cancelled, the contract value they released (their current value, in its
-- currency) and the cancellation fees (in the fee's currency).
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS cancelled_bookings Int64 DEFAULT 0 AFTER refunds;
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS released_contract_value Int64 DEFAULT 0 AFTER cancelled_bookings;
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS cancellation_fees Int64 DEFAULT 0 AFTER released_contract_value;

-- Anomalies are judged on the converged state, so one anomaly (an organisation, a kind and a subject: a booking, a
-- payment, a refund) is written again whenever a later event changes its judgement: the row inserted last is its
-- current state (`open` 0 once the rule's condition has cleared). The earlier table kept one row per flagged event,
-- ordered by occurrence; it is derived data, refilled by `wedsync rebuild`.
DROP TABLE IF EXISTS anomalies;
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
  open           UInt8,
  log_partition  UInt16,
  log_offset     UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, id)
SETTINGS non_replicated_deduplication_window = 10000;
