/** The kinds of facts an aggregation reads, each built from the `events` table. */
export const SOURCE_NAMES = ["bookings", "payments", "refunds", "expenses", "budgets", "inquiries"] as const;
/** The name of a fact source. */
export type SourceName = (typeof SOURCE_NAMES)[number];

/** What a source's SQL needs besides the organisation parameter (`{orgId:String}`). */
export interface SourceNeeds {
  /** Whether `f_wedding_day` must be filled in (it takes a join for payments, refunds, expenses and budgets). */
  weddingDay: boolean;
}

/**
 * One fact source: a SELECT over `events` of one organisation giving one row per fact with the columns
 * - `f_at` DateTime64: when the fact happened (its `occurred` date);
 * - `f_wedding_day` Nullable(Date32): the date of its wedding, when known (its `wedding` date);
 * - the dimension columns it has (`f_service`, `f_supplier`, `f_region`, `f_venue`, `f_wedding`, `f_currency`,
 *   `f_channel`, `f_category`, `f_method`, `f_kind`; '' when not given);
 * - its measures (`measures`, each an Int64 expression over those columns).
 */
export interface FactSource {
  name: SourceName;
  /** The SELECT, reading the organisation from `{orgId:String}` and nothing else from the caller. */
  sql(needs: SourceNeeds): string;
  /** Measure name → SQL expression over the source's columns. */
  measures: Record<string, string>;
}

// Every source reads `events FINAL`: ReplacingMergeTree may still hold a replayed insert's copy of a row until it is
// merged, and FINAL keeps one row per event, so nothing counts twice. Only accepted events are in `events` (rejected
// ones are dead-lettered, repeats of an applied event dropped), so each row is a fact the projections applied too.
const events = (types: string[]) =>
  `events FINAL WHERE org_id = {orgId:String} AND type IN (${types.map((t) => `'${t}'`).join(", ")})`;

const BOOKING_CHANGES = ["booking.created", "booking.updated"];

// A booking's figures (contract value, guest count, wedding date) are the ones applied last, in log order, as the
// Postgres bookings projection and the revenue rollup apply them: an update that arrives later wins even when it says
// it occurred earlier. The log is keyed by wedding, so a booking's events (and every booking of one wedding) share a
// partition and their offsets are their order of application. booking.updated changes only what it names, so each
// figure takes the last event that carries it: a contract value has a currency, a guest count or wedding date is not
// null.
const APPLIED_LAST = "log_offset";
// A budget allocation is the latest by when it occurred, then log offset: the budgets projection keeps a late-arriving
// but earlier-dated allocation out (schemas/sql/postgres/002_projections.sql).
const LATEST_OCCURRED = "(occurred_at, log_offset)";

/** Each booking's wedding date as last applied: what its payments and refunds take as their wedding date. */
const BOOKING_WEDDING_DAYS = `
  SELECT booking_id AS bd_booking, argMaxIf(wedding_date, ${APPLIED_LAST}, wedding_date IS NOT NULL) AS bd_day
  FROM ${events(BOOKING_CHANGES)}
  GROUP BY booking_id`;

/**
 * Each wedding's date: the date any of its bookings was last created or updated with. Expenses and budgets name a
 * wedding, not a booking, so they take it from there; a wedding without bookings has no known date.
 */
const WEDDING_DAYS = `
  SELECT wedding_id AS wd_wedding, argMaxIf(wedding_date, ${APPLIED_LAST}, wedding_date IS NOT NULL) AS wd_day
  FROM ${events(BOOKING_CHANGES)}
  GROUP BY wedding_id`;

/**
 * A booking counts once, on the day it was created, with the contract value and guest count last applied (as the
 * revenue query counts it); a cancelled one still counts there, and once more in `cancellations`.
 */
const bookings: FactSource = {
  name: "bookings",
  sql: () => `
      SELECT
        booking_id AS f_booking,
        minIf(occurred_at, type = 'booking.created') AS f_at,
        anyIf(wedding_id, type = 'booking.created') AS f_wedding,
        anyIf(service, type = 'booking.created') AS f_service,
        anyIf(supplier_id, type = 'booking.created') AS f_supplier,
        anyIf(region, type = 'booking.created') AS f_region,
        anyIf(venue_id, type = 'booking.created') AS f_venue,
        anyIf(currency, type = 'booking.created') AS f_currency,
        argMaxIf(amount, ${APPLIED_LAST}, type != 'booking.cancelled' AND currency != '') AS f_contract,
        argMaxIf(guest_count, ${APPLIED_LAST}, type != 'booking.cancelled' AND guest_count IS NOT NULL) AS f_guests,
        argMaxIf(wedding_date, ${APPLIED_LAST}, type != 'booking.cancelled' AND wedding_date IS NOT NULL) AS f_wedding_day,
        countIf(type = 'booking.cancelled') > 0 AS f_cancelled
      FROM ${events([...BOOKING_CHANGES, "booking.cancelled"])}
      GROUP BY booking_id
      HAVING countIf(type = 'booking.created') > 0`,
  measures: {
    bookings: "toInt64(1)",
    contract: "toInt64(f_contract)",
    guests: "toInt64(ifNull(f_guests, 0))",
    cancellations: "toInt64(f_cancelled)",
  },
};

/** Payments and refunds count on their own date, under their booking's service, supplier, region and venue. */
function moneyMovements(name: "payments" | "refunds", type: string, measure: string): FactSource {
  return {
    name,
    sql: ({ weddingDay }) => `
      SELECT
        occurred_at AS f_at,
        ${weddingDay ? "bd.bd_day" : "CAST(NULL AS Nullable(Date32))"} AS f_wedding_day,
        wedding_id AS f_wedding,
        service AS f_service,
        supplier_id AS f_supplier,
        region AS f_region,
        venue_id AS f_venue,
        currency AS f_currency,
        method AS f_method,
        kind AS f_kind,
        amount AS f_amount
      FROM (SELECT * FROM ${events([type])}) AS e
      ${weddingDay ? `LEFT JOIN (${BOOKING_WEDDING_DAYS}) AS bd ON e.booking_id = bd.bd_booking` : ""}`,
    measures: { [measure]: "toInt64(f_amount)" },
  };
}

/** Expenses count on the day they were recorded, in their category. */
const expenses: FactSource = {
  name: "expenses",
  sql: ({ weddingDay }) => `
    SELECT
      occurred_at AS f_at,
      ${weddingDay ? "wd.wd_day" : "CAST(NULL AS Nullable(Date32))"} AS f_wedding_day,
      wedding_id AS f_wedding,
      category AS f_category,
      currency AS f_currency,
      amount AS f_amount
    FROM (SELECT * FROM ${events(["expense.recorded"])}) AS e
    ${weddingDay ? `LEFT JOIN (${WEDDING_DAYS}) AS wd ON e.wedding_id = wd.wd_wedding` : ""}`,
  measures: { expenses: "toInt64(f_amount)" },
};

/**
 * The budget of a wedding's category is its latest allocation (by when it occurred, then log offset, as the budgets
 * projection keeps it), counted on the day that allocation occurred.
 */
const budgets: FactSource = {
  name: "budgets",
  sql: ({ weddingDay }) => `
    SELECT
      b.f_at AS f_at,
      ${weddingDay ? "wd.wd_day" : "CAST(NULL AS Nullable(Date32))"} AS f_wedding_day,
      b.f_wedding AS f_wedding,
      b.f_category AS f_category,
      b.f_currency AS f_currency,
      b.f_amount AS f_amount
    FROM (
      SELECT
        wedding_id AS f_wedding,
        category AS f_category,
        max(occurred_at) AS f_at,
        argMax(currency, ${LATEST_OCCURRED}) AS f_currency,
        argMax(amount, ${LATEST_OCCURRED}) AS f_amount
      FROM ${events(["budget.allocated"])}
      GROUP BY wedding_id, category
    ) AS b
    ${weddingDay ? `LEFT JOIN (${WEDDING_DAYS}) AS wd ON b.f_wedding = wd.wd_wedding` : ""}`,
  measures: { budget: "toInt64(f_amount)" },
};

/**
 * Inquiries count on the day they arrived, with the wedding date they named. An inquiry is converted when its
 * organisation has a booking of the same wedding and service, whenever that booking was created (the inquiries
 * projection's rule); one without a wedding never converts.
 */
const inquiries: FactSource = {
  name: "inquiries",
  sql: () => `
    SELECT
      occurred_at AS f_at,
      wedding_date AS f_wedding_day,
      wedding_id AS f_wedding,
      service AS f_service,
      channel AS f_channel,
      wedding_id != '' AND (wedding_id, service) IN (
        SELECT wedding_id, service FROM ${events(["booking.created"])}
      ) AS f_converted
    FROM ${events(["inquiry.received"])}`,
  measures: { inquiries: "toInt64(1)", converted: "toInt64(f_converted)" },
};

/** Every fact source, by name. */
export const FACT_SOURCES: Record<SourceName, FactSource> = {
  bookings,
  payments: moneyMovements("payments", "payment.received", "payments"),
  refunds: moneyMovements("refunds", "payment.refunded", "refunds"),
  expenses,
  budgets,
  inquiries,
};
