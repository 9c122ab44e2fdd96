-- Running revenue totals per organisation, UTC day, service, region and currency, kept apart per log partition: a
-- partition has one consumer at a time, so its rows have one writer, and the end offset of the batch that last wrote
-- a row orders its versions. Bookings count on the day they were created at their latest contract value (an update
-- adds the difference to that day); payments and refunds on the day they happened, under their booking's service and
-- region. The processors copy each changed row to ClickHouse's revenue_daily, which the revenue queries read.
CREATE TABLE IF NOT EXISTS revenue_daily (
  org_id             text NOT NULL,
  day                date NOT NULL,
  service            text NOT NULL,
  region             text NOT NULL,
  currency           text NOT NULL,
  log_partition      integer NOT NULL,
  bookings           bigint NOT NULL,
  contract_value     bigint NOT NULL,
  payments_received  bigint NOT NULL,
  refunds            bigint NOT NULL,
  PRIMARY KEY (org_id, day, service, region, currency, log_partition)
);
