-- What is left to pay on a booking, and the fee a cancellation set (null while the booking is not cancelled; 0 when
-- cancelled without a fee). The balance is computed by Postgres on every write, so no code path can let it drift.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS cancellation_fee bigint;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS balance_amount bigint
  GENERATED ALWAYS AS (contract_amount - paid_amount + refunded_amount) STORED;

-- Inquiries name a wedding; a batch with inquiries loads that wedding's bookings to find their conversion.
CREATE INDEX IF NOT EXISTS bookings_by_wedding ON bookings (org_id, wedding_id);

-- Budget against spend, per wedding, category and currency: amounts in different currencies are never added, so an
-- expense in another currency than the budget's gets its own row (allocation null). The latest allocation of a
-- category wins, by when it occurred and then by log offset (a wedding's events share a partition, so offsets of one
-- wedding are comparable); the winner's time and offset are kept so a later-arriving but earlier-dated allocation
-- loses. At most one row of a (wedding, category) holds the allocation.
CREATE TABLE IF NOT EXISTS budgets (
  org_id              text NOT NULL,
  wedding_id          text NOT NULL,
  category            text NOT NULL,
  currency            text NOT NULL,
  allocated_amount    bigint,
  allocated_at        timestamptz,
  allocated_offset    bigint,
  allocated_event_id  uuid,
  spent_amount        bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, wedding_id, category, currency)
);

-- Every expense applied, so a replayed expense is never added to a budget's spend twice.
CREATE TABLE IF NOT EXISTS expenses (
  org_id       text NOT NULL,
  expense_id   text NOT NULL,
  wedding_id   text NOT NULL,
  category     text NOT NULL,
  amount       bigint NOT NULL,
  currency     text NOT NULL,
  incurred_on  date NOT NULL,
  event_id     uuid NOT NULL,
  PRIMARY KEY (org_id, expense_id)
);

-- Inquiries and their conversion: the earliest booking (by when it was created, then booking id) of the same wedding
-- and service, whichever of the two arrived first. `received_at` is the inquiry's occurredAt, `converted_at` the
-- booking's.
CREATE TABLE IF NOT EXISTS inquiries (
  org_id                text NOT NULL,
  inquiry_id            text NOT NULL,
  wedding_id            text,
  service               text NOT NULL,
  channel               text NOT NULL,
  wedding_date          date,
  budget_amount         bigint,
  budget_currency       text,
  received_at           timestamptz NOT NULL,
  event_id              uuid NOT NULL,
  converted_booking_id  text,
  converted_at          timestamptz,
  PRIMARY KEY (org_id, inquiry_id)
);
CREATE INDEX IF NOT EXISTS inquiries_by_wedding ON inquiries (org_id, wedding_id);
