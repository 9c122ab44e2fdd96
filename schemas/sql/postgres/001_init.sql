-- Tenants and their API keys. Keys are stored as SHA-256 hashes; the plain key is shown once.
CREATE TABLE IF NOT EXISTS organisations (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS api_keys (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES organisations (id),
  key_hash    text NOT NULL UNIQUE,
  prefix      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Current state of each booking, projected from the log; anomaly rules and enrichment read it.
CREATE TABLE IF NOT EXISTS bookings (
  org_id            text NOT NULL,
  booking_id        text NOT NULL,
  wedding_id        text NOT NULL,
  supplier_id       text NOT NULL,
  service           text NOT NULL,
  region            text,
  venue_id          text,
  wedding_date      date NOT NULL,
  guest_count       integer NOT NULL,
  contract_amount   bigint NOT NULL,
  currency          text NOT NULL,
  status            text NOT NULL DEFAULT 'active',
  paid_amount       bigint NOT NULL DEFAULT 0,
  refunded_amount   bigint NOT NULL DEFAULT 0,
  created_event_id  uuid NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (org_id, booking_id)
);

-- Every payment received, so duplicate payments can be recognised.
CREATE TABLE IF NOT EXISTS payments (
  org_id       text NOT NULL,
  payment_id   text NOT NULL,
  booking_id   text NOT NULL,
  amount       bigint NOT NULL,
  currency     text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  event_id     uuid NOT NULL,
  PRIMARY KEY (org_id, payment_id)
);
CREATE INDEX IF NOT EXISTS payments_by_booking ON payments (org_id, booking_id, amount, occurred_at);

-- Anomalies and their lifecycle (open → acknowledged → resolved).
CREATE TABLE IF NOT EXISTS anomalies (
  id             text PRIMARY KEY,
  org_id         text NOT NULL,
  kind           text NOT NULL,
  severity       text NOT NULL,
  score          double precision NOT NULL,
  event_id       uuid NOT NULL,
  booking_id     text,
  wedding_id     text,
  evidence       jsonb NOT NULL,
  status         text NOT NULL DEFAULT 'open',
  occurred_at    timestamptz NOT NULL,
  detected_at    timestamptz NOT NULL DEFAULT now(),
  log_partition  integer NOT NULL,
  log_offset     bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS anomalies_by_org ON anomalies (org_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS anomalies_by_position ON anomalies (log_partition, log_offset);

-- Refunds already applied, so a replayed refund is never subtracted twice.
CREATE TABLE IF NOT EXISTS refunds (
  org_id       text NOT NULL,
  refund_id    text NOT NULL,
  payment_id   text NOT NULL,
  booking_id   text NOT NULL,
  amount       bigint NOT NULL,
  PRIMARY KEY (org_id, refund_id)
);

-- How far each processor group got, per partition. `next_offset` moves in the same transaction
-- as the projections. `pending_end` is written before a batch's ClickHouse inserts so that a
-- restart re-reads exactly the same range and the inserts repeat with the same dedup tokens.
CREATE TABLE IF NOT EXISTS consumer_offsets (
  group_id     text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  next_offset  bigint NOT NULL DEFAULT 0,
  pending_end  bigint,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Report jobs and their run history.
CREATE TABLE IF NOT EXISTS reports (
  id           text PRIMARY KEY,
  org_id       text NOT NULL,
  kind         text NOT NULL,
  format       text NOT NULL,
  params       jsonb NOT NULL,
  status       text NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  error        text,
  file_name    text,
  schedule_id  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz
);
CREATE INDEX IF NOT EXISTS reports_by_org ON reports (org_id, created_at DESC);

-- Cron schedules of reports; armed again on every start.
CREATE TABLE IF NOT EXISTS report_schedules (
  id           text PRIMARY KEY,
  org_id       text NOT NULL,
  kind         text NOT NULL,
  format       text NOT NULL,
  cron         text NOT NULL,
  timezone     text NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_run_at  timestamptz
);
