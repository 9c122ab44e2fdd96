-- The revenue rollup: Postgres's running totals (revenue_daily there) per organisation, day, service, region,
-- currency and log partition, one row version per batch that changed them. `version` is that batch's end offset in
-- the partition, so FINAL (or a merge) keeps the newest totals; a batch replayed after a crash writes the same totals
-- under the same version, so the copies collapse and nothing is counted twice. Queries sum over partitions.
CREATE TABLE IF NOT EXISTS revenue_daily (
  org_id             LowCardinality(String),
  day                Date,
  service            LowCardinality(String),
  region             LowCardinality(String),
  currency           LowCardinality(String),
  log_partition      UInt16,
  bookings           Int64,
  contract_value     Int64,
  payments_received  Int64,
  refunds            Int64,
  version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, day, service, region, currency, log_partition)
SETTINGS non_replicated_deduplication_window = 10000;
