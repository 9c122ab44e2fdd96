import type { BudgetVsActualQuery, BudgetVsActualRow } from "../query-api/budget-vs-actual-query.ts";
import {
  RECEIVABLE_BUCKETS,
  type ReceivableBookingRow,
  type ReceivableBookingsQuery,
  type ReceivableBucket,
  type ReceivablesQuery,
  type ReceivablesRow,
} from "../query-api/receivables-query.ts";
import type { ConversionQuery, ConversionRow } from "../query-api/conversion-query.ts";
import type { PaymentsQuery, PaymentsRow } from "../query-api/payments-query.ts";
import type { ComparisonMetric, PeriodComparisonRow } from "../query-api/period-comparison-query.ts";
import type { SeasonalityQuery, SeasonalityRow } from "../query-api/seasonality-query.ts";
import type { SupplierPerformanceQuery, SupplierPerformanceRow } from "../query-api/supplier-performance-query.ts";
import { dayNumber, weekdayOf } from "../generator/calendar.ts";
import type { NamedFacts } from "./named-analytics-facts.ts";
import { sortBy, tally } from "./rows.ts";
import { bucketOf, utcDay } from "./time-buckets.ts";

/**
 * Budget against spend per wedding, category and currency: the standing allocation (the latest by occurrence, then
 * event id) sits in its own currency's row, spend (every distinct expense) in each expense currency's.
 */
export function expectedBudgetVsActual(facts: NamedFacts, q: BudgetVsActualQuery): BudgetVsActualRow[] {
  const rows = tally(
    ([weddingId, category, currency]): BudgetVsActualRow => ({
      weddingId: weddingId!,
      category: category!,
      currency: currency!,
      allocated: null,
      spent: 0,
      remaining: null,
      overrun: false,
      overrunAmount: 0,
    }),
  );
  for (const a of facts.allocations) rows.at(a.weddingId, a.category, a.currency).allocated = a.amount;
  for (const s of facts.spend) rows.at(s.weddingId, s.category, s.currency).spent = s.spent;
  const all = rows.rows().map((r) => {
    const over = r.spent - (r.allocated ?? 0);
    return {
      ...r,
      remaining: r.allocated === null ? null : r.allocated - r.spent,
      overrun: over > 0,
      overrunAmount: Math.max(over, 0),
    };
  });
  const chosen = all.filter(
    (r) => (q.weddingId === undefined || r.weddingId === q.weddingId) && (!q.overrunOnly || r.overrun),
  );
  return sortBy(
    chosen,
    (r) => r.weddingId,
    (r) => r.category,
    (r) => r.currency,
  );
}

/**
 * The receivable of every active (created, not cancelled) booking with a balance, as of a day: its current contract
 * value less its linked payments plus its linked refunds, in its currency, aged by its current wedding date.
 */
function receivableBookings(facts: NamedFacts, asOf: string): ReceivableBookingRow[] {
  const from = dayNumber(asOf);
  const ageingBucket = (days: number): ReceivableBucket =>
    days < 0 ? "overdue" : days <= 30 ? "0-30" : days <= 60 ? "31-60" : days <= 90 ? "61-90" : "over-90";
  return facts.bookings
    .filter((b) => !b.cancelled && b.contractValue - b.paid + b.refunded > 0)
    .map((b) => {
      const daysLeft = dayNumber(b.weddingDate) - from;
      return {
        bookingId: b.bookingId,
        weddingId: b.weddingId,
        supplierId: b.supplierId,
        service: b.service,
        weddingDate: b.weddingDate,
        daysLeft,
        bucket: ageingBucket(daysLeft),
        currency: b.currency,
        contractValue: b.contractValue,
        paid: b.paid,
        refunded: b.refunded,
        outstanding: b.contractValue - b.paid + b.refunded,
      };
    });
}

/** Outstanding balances of active bookings per ageing bucket and currency, in bucket order. */
export function expectedReceivables(facts: NamedFacts, q: ReceivablesQuery): ReceivablesRow[] {
  const rows = tally(
    ([bucket, currency]): ReceivablesRow => ({
      bucket: bucket as ReceivableBucket,
      currency: currency!,
      bookings: 0,
      outstanding: 0,
    }),
  );
  for (const r of receivableBookings(facts, q.asOf)) {
    const row = rows.at(r.bucket, r.currency);
    row.bookings++;
    row.outstanding += r.outstanding;
  }
  return sortBy(
    rows.rows(),
    (r) => RECEIVABLE_BUCKETS.indexOf(r.bucket),
    (r) => r.currency,
  );
}

/** The bookings behind the receivables of a bucket (or all), soonest wedding first, then by booking id. */
export function expectedReceivableBookings(facts: NamedFacts, q: ReceivableBookingsQuery): ReceivableBookingRow[] {
  const rows = receivableBookings(facts, q.asOf).filter((r) => q.bucket === undefined || r.bucket === q.bucket);
  return sortBy(
    rows,
    (r) => r.weddingDate,
    (r) => r.bookingId,
  );
}

/** True when an instant's UTC day lies in [from, to]. */
const within = (ms: number, range: DateRange) => {
  const day = utcDay(ms);
  return day >= range.from && day <= range.to;
};

/** An inclusive range of UTC calendar dates. */
export interface DateRange {
  from: string;
  to: string;
}

/** Every payment received (whatever its booking) per bucket, method or kind (or neither), and currency. */
export function expectedPayments(facts: NamedFacts, q: PaymentsQuery): PaymentsRow[] {
  const t = tally(([bucket, group, currency]) => ({
    bucket: bucket!,
    group: group === "" ? null : group!,
    currency: currency!,
    paymentsReceived: 0,
  }));
  for (const p of facts.payments) {
    if (!within(p.at, q)) continue;
    const group = q.groupBy === "method" ? p.method : q.groupBy === "kind" ? p.kind : null;
    const row = t.at(bucketOf(utcDay(p.at), q.interval), group ?? "", p.currency);
    row.paymentsReceived += p.amount;
  }
  return sortBy(
    t.rows(),
    (r) => r.bucket,
    (r) => r.group ?? "",
    (r) => r.currency,
  );
}

/** Bookings per wedding month (1–12) or ISO weekday (1 = Monday … 7 = Sunday) of their wedding date, and currency. */
export function expectedSeasonality(facts: NamedFacts, q: SeasonalityQuery): SeasonalityRow[] {
  const t = tally(([slot, currency]) => ({
    [q.by]: Number(slot),
    currency: currency!,
    bookings: 0,
    cancellations: 0,
    contractValue: 0,
  }));
  for (const b of facts.bookings) {
    if (b.weddingDate < q.from || b.weddingDate > q.to) continue;
    const slot = q.by === "month" ? Number(b.weddingDate.slice(5, 7)) : weekdayOf(dayNumber(b.weddingDate)) + 1;
    const row = t.at(String(slot), b.currency);
    row.bookings++;
    row.cancellations += b.cancelled ? 1 : 0;
    row.contractValue += b.contractValue;
  }
  return sortBy(
    t.rows(),
    (r) => r[q.by]!,
    (r) => r.currency,
  );
}

/** A supplier's figures in one currency; the supplier is null for money whose booking does not exist. */
export interface ExpectedSupplierPerformanceRow extends Omit<SupplierPerformanceRow, "supplierId"> {
  supplierId: string | null;
}

/**
 * Per supplier and currency: bookings created (in their contract currency), their contract value and cancellations,
 * payments and refunds (in their own currency; money not linked to a booking under supplier null, first), and the
 * anomalies open on the supplier's bookings whose subject occurred in the range (in the booking's currency).
 */
export function expectedSupplierPerformance(
  facts: NamedFacts,
  q: SupplierPerformanceQuery,
): ExpectedSupplierPerformanceRow[] {
  const t = tally(([supplierId, currency]) => ({
    supplierId: supplierId === "" ? null : supplierId!,
    currency: currency!,
    bookings: 0,
    contractValue: 0,
    cancellations: 0,
    paymentsReceived: 0,
    refunds: 0,
    anomalies: 0,
  }));
  const bookings = new Map(facts.bookings.map((b) => [b.bookingId, b]));
  for (const b of facts.bookings) {
    if (!within(b.createdAt, q)) continue;
    const row = t.at(b.supplierId, b.currency);
    row.bookings++;
    row.contractValue += b.contractValue;
    row.cancellations += b.cancelled ? 1 : 0;
  }
  for (const p of facts.payments)
    if (within(p.at, q)) t.at(p.supplierId ?? "", p.currency).paymentsReceived += p.amount;
  for (const r of facts.refunds) if (within(r.at, q)) t.at(r.supplierId ?? "", r.currency).refunds += r.amount;
  for (const f of facts.flags) {
    if (f.bookingId === null || !within(f.at, q)) continue;
    const b = bookings.get(f.bookingId)!;
    t.at(b.supplierId, b.currency).anomalies++;
  }
  return sortBy(
    t.rows(),
    (r) => r.supplierId ?? "",
    (r) => r.currency,
  );
}

/** Inquiries and how many converted, by channel or service, over the days they arrived. */
export function expectedConversion(facts: NamedFacts, q: ConversionQuery): ConversionRow[] {
  const t = tally(([group]) => ({ [q.by]: group!, inquiries: 0, converted: 0, rate: 0 }));
  for (const i of facts.inquiries) {
    if (!within(i.at, q)) continue;
    const row = t.at(q.by === "channel" ? i.channel : i.service);
    row.inquiries++;
    row.converted += i.converted ? 1 : 0;
  }
  return sortBy(t.rows(), (r) => r[q.by]!).map((r) => ({ ...r, rate: r.converted / r.inquiries }));
}

/** One metric's total per currency (null for counts that have none) over a range of days. */
function expectedMetricTotals(
  facts: NamedFacts,
  metric: ComparisonMetric,
  range: DateRange,
): Map<string | null, number> {
  const totals = new Map<string | null, number>();
  const add = (currency: string | null, value: number) => totals.set(currency, (totals.get(currency) ?? 0) + value);
  switch (metric) {
    case "bookings":
    case "contractValue":
      for (const b of facts.bookings)
        if (within(b.createdAt, range)) add(b.currency, metric === "bookings" ? 1 : b.contractValue);
      break;
    case "paymentsReceived":
    case "refunds":
    case "netRevenue":
      // Net revenue is received less refunded; each of the two alone counts as it is.
      if (metric !== "refunds") for (const p of facts.payments) if (within(p.at, range)) add(p.currency, p.amount);
      if (metric !== "paymentsReceived") {
        for (const r of facts.refunds)
          if (within(r.at, range)) add(r.currency, metric === "refunds" ? r.amount : -r.amount);
      }
      break;
    case "inquiries":
      for (const i of facts.inquiries) if (within(i.at, range)) add(null, 1);
      break;
  }
  return totals;
}

/** A metric in one range against another, per currency: absolute change, and relative change (null on a zero base). */
export function expectedPeriodComparison(
  facts: NamedFacts,
  metric: ComparisonMetric,
  current: DateRange,
  previous: DateRange,
): PeriodComparisonRow[] {
  const now = expectedMetricTotals(facts, metric, current);
  const before = expectedMetricTotals(facts, metric, previous);
  const currencies = [...new Set([...now.keys(), ...before.keys()])];
  return sortBy(currencies, (c) => c ?? "").map((currency) => {
    const [c, p] = [now.get(currency) ?? 0, before.get(currency) ?? 0];
    return { currency, current: c, previous: p, change: c - p, relativeChange: p === 0 ? null : (c - p) / p };
  });
}
