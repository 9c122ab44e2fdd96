-- Figures depend on the set of events, not on their arrival order (DESIGN.md, guarantee 7). A booking's state is a fold
-- of every event about it, whatever arrived first, so each event it is made of is kept: its creation in `bookings`,
-- its updates and cancellations in `booking_changes`, its payments and refunds in theirs, each row written as it
-- arrives (an update or a payment may arrive before the booking it names, and waits there for it).

-- Business ids: a re-send with the same content under a new event id counts once, one with other content is a
-- conflict. `content` is a digest of the first version (type, occurrence instant, data with sorted keys: contentOf);
-- rows written before this migration have none and are matched by event id only.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS created_content text;
-- What booking.created itself said of the figures later events may change: the base its updates are folded onto.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS created_wedding_date date;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS created_guest_count integer;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS created_contract_amount bigint;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS created_contract_currency text;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS cancellation_fee_currency text;
ALTER TABLE expenses ADD COLUMN IF NOT EXISTS content text;
ALTER TABLE inquiries ADD COLUMN IF NOT EXISTS content text;

-- Every accepted booking.updated and booking.cancelled, by event id: folded onto the booking's creation by occurrence
-- (the latest value of each field wins, the earliest cancellation counts), before or after the booking arrived.
CREATE TABLE IF NOT EXISTS booking_changes (
  org_id             text NOT NULL,
  booking_id         text NOT NULL,
  event_id           uuid NOT NULL,
  wedding_id         text NOT NULL,
  type               text NOT NULL,
  occurred_at        timestamptz NOT NULL,
  received_at        timestamptz NOT NULL,
  wedding_date       date,
  guest_count        integer,
  contract_amount    bigint,
  contract_currency  text,
  fee_amount         bigint,
  fee_currency       text,
  -- The booking has arrived, in the same wedding: the change is folded into it.
  linked             boolean NOT NULL DEFAULT false,
  PRIMARY KEY (org_id, booking_id, event_id)
);

-- Payments are kept whatever their booking: one whose booking has not arrived is counted at once and linked (given
-- its booking's service, supplier and region) when the booking arrives in the same wedding. Rows written before this
-- migration all belonged to a known booking, whose wedding they take.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS wedding_id text;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS received_at timestamptz;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS content text;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS linked boolean NOT NULL DEFAULT true;
UPDATE payments p SET wedding_id = b.wedding_id FROM bookings b
  WHERE p.wedding_id IS NULL AND b.org_id = p.org_id AND b.booking_id = p.booking_id;

-- Refunds likewise; `payment_known` says whether the payment they refund has arrived.
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS wedding_id text;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS currency text;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS occurred_at timestamptz;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS received_at timestamptz;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS event_id uuid;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS content text;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS linked boolean NOT NULL DEFAULT true;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS payment_known boolean NOT NULL DEFAULT true;
UPDATE refunds r SET wedding_id = b.wedding_id, currency = b.currency FROM bookings b
  WHERE r.wedding_id IS NULL AND b.org_id = r.org_id AND b.booking_id = r.booking_id;
CREATE INDEX IF NOT EXISTS refunds_by_booking ON refunds (org_id, booking_id);

-- Waiting references the orphan sweep looks at: those still unlinked after the grace period become anomalies.
CREATE INDEX IF NOT EXISTS payments_unlinked ON payments (received_at) WHERE NOT linked;
CREATE INDEX IF NOT EXISTS refunds_unlinked ON refunds (received_at) WHERE NOT payment_known;
CREATE INDEX IF NOT EXISTS booking_changes_unlinked ON booking_changes (received_at) WHERE NOT linked;

-- The budget's tie-break between allocations that occurred at the same instant is the event id, not the log offset.
ALTER TABLE budgets ALTER COLUMN allocated_offset DROP NOT NULL;

-- Revenue shows cancellations, in the bucket of the cancellation that counts.
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS cancelled_bookings bigint NOT NULL DEFAULT 0;
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS released_contract_value bigint NOT NULL DEFAULT 0;
ALTER TABLE revenue_daily ADD COLUMN IF NOT EXISTS cancellation_fees bigint NOT NULL DEFAULT 0;

-- An anomaly is one (organisation, kind, subject) judged on the converged state: re-judged when a later event changes
-- it, resolved by its rule when its condition clears, reopened if it holds again.
ALTER TABLE anomalies ADD COLUMN IF NOT EXISTS subject text;
ALTER TABLE anomalies ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE anomalies ADD COLUMN IF NOT EXISTS resolved_at timestamptz;
