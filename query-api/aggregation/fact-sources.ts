import { BOOKING_FACTS, BY_OCCURRENCE, eventsOf } from "./booking-facts.ts";

/** The kinds of facts an aggregation reads, each built from the `events` table. */
export const SOURCE_NAMES = [
  "bookings",
  "cancellations",
  "payments",
  "refunds",
  "expenses",
  "budgets",
  "inquiries",
] as const;
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

/** Each created booking's wedding date (by occurrence): what its payments and refunds take as their wedding date. */
const BOOKING_WEDDING_DAYS = `
  SELECT b_booking AS bd_booking, b_wedding AS bd_wedding, b_wedding_day AS bd_day
  FROM (${BOOKING_FACTS})`;

/**
 * Each wedding's date: the wedding date set by the latest event (by occurrence) among the creates and updates of its
 * created bookings. Expenses and budgets name a wedding, not a booking, so they take it from there; a wedding without a
 * created booking has no known date.
 */
const WEDDING_DAYS = `
  SELECT b_wedding AS wd_wedding, argMax(b_wedding_day, b_wedding_day_at) AS wd_day
  FROM (${BOOKING_FACTS})
  GROUP BY b_wedding`;

/** The booking columns every booking-based source has, from BOOKING_FACTS. */
const BOOKING_DIMENSIONS = `
        b_wedding_day AS f_wedding_day,
        b_wedding AS f_wedding,
        b_service AS f_service,
        b_supplier AS f_supplier,
        b_region AS f_region,
        b_venue AS f_venue`;

/**
 * A created booking counts once, on the day of its booking.created, in its current contract currency, with its current
 * contract value and guest count (by occurrence, as the revenue rollup counts it); a cancelled one still counts here
 * (gross booked value), and `cancellations` says it was cancelled, whenever that was.
 */
const bookings: FactSource = {
  name: "bookings",
  sql: () => `
      SELECT
        b_created_at AS f_at,${BOOKING_DIMENSIONS},
        b_currency AS f_currency,
        b_contract AS f_contract,
        b_guests AS f_guests,
        b_cancelled AS f_cancelled
      FROM (${BOOKING_FACTS})`,
  measures: {
    bookings: "toInt64(1)",
    contract: "toInt64(f_contract)",
    guests: "toInt64(ifNull(f_guests, 0))",
    cancellations: "toInt64(f_cancelled)",
  },
};

/**
 * A cancelled booking counts on the day of the cancellation that counts (the earliest by occurrence): once, with the
 * contract value it releases (its current one, in its contract currency), and with that cancellation's fee in the
 * fee's currency. A fee in another currency than the contract's is a fact of its own in its currency (money is never
 * added across currencies); no fee adds 0 to the contract currency's fact.
 */
const cancellations: FactSource = {
  name: "cancellations",
  sql: () => `
      SELECT
        b_cancelled_at AS f_at,${BOOKING_DIMENSIONS},
        part.1 AS f_currency,
        part.2 AS f_cancelled,
        part.3 AS f_released,
        part.4 AS f_fee
      FROM (${BOOKING_FACTS})
      ARRAY JOIN if(
        b_fee_currency = '' OR b_fee_currency = b_currency,
        [(b_currency, toInt64(1), toInt64(b_contract), toInt64(b_fee))],
        [(b_currency, toInt64(1), toInt64(b_contract), toInt64(0)), (b_fee_currency, toInt64(0), toInt64(0), toInt64(b_fee))]
      ) AS part
      WHERE b_cancelled = 1`,
  measures: {
    cancelled: "toInt64(f_cancelled)",
    released: "toInt64(f_released)",
    fees: "toInt64(f_fee)",
  },
};

/**
 * Every payment and refund counts on its own date and in its own currency, whether or not its booking exists, under
 * the service, supplier, region and venue its row carries: its booking's once the booking exists in the same wedding
 * (the processor fills them in then), '' until then. Its wedding date is its booking's (same booking and wedding).
 */
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
      FROM (SELECT * FROM ${eventsOf([type])}) AS e
      ${weddingDay ? `LEFT JOIN (${BOOKING_WEDDING_DAYS}) AS bd ON e.booking_id = bd.bd_booking AND e.wedding_id = bd.bd_wedding` : ""}`,
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
    FROM (SELECT * FROM ${eventsOf(["expense.recorded"])}) AS e
    ${weddingDay ? `LEFT JOIN (${WEDDING_DAYS}) AS wd ON e.wedding_id = wd.wd_wedding` : ""}`,
  measures: { expenses: "toInt64(f_amount)" },
};

/**
 * The budget of a wedding's category is its latest allocation by occurrence (when it occurred, then event id), counted
 * on the day that allocation occurred.
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
        argMax(currency, ${BY_OCCURRENCE}) AS f_currency,
        argMax(amount, ${BY_OCCURRENCE}) AS f_amount
      FROM ${eventsOf(["budget.allocated"])}
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
        SELECT wedding_id, service FROM ${eventsOf(["booking.created"])}
      ) AS f_converted
    FROM ${eventsOf(["inquiry.received"])}`,
  measures: { inquiries: "toInt64(1)", converted: "toInt64(f_converted)" },
};

/** Every fact source, by name. */
export const FACT_SOURCES: Record<SourceName, FactSource> = {
  bookings,
  cancellations,
  payments: moneyMovements("payments", "payment.received", "payments"),
  refunds: moneyMovements("refunds", "payment.refunded", "refunds"),
  expenses,
  budgets,
  inquiries,
};
