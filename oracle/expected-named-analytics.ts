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
import { dayNumber, formatDay, mondayOf, weekdayOf } from "../generator/calendar.ts";
import type { OrgFacts } from "./accepted-facts.ts";

/** Sorts by the given keys in order; strings by code unit, as ClickHouse orders them. */
function sortBy<T>(rows: T[], ...keys: ((row: T) => string | number)[]): T[] {
  return rows.sort((a, b) => {
    for (const key of keys) {
      const [x, y] = [key(a), key(b)];
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

/**
 * Budget against spend per wedding, category and currency, as the budgets projection holds it: the winning allocation
 * sits in its own currency's row, spend in each expense currency's.
 */
export function expectedBudgetVsActual(facts: OrgFacts, q: BudgetVsActualQuery): BudgetVsActualRow[] {
  const rows = new Map<string, BudgetVsActualRow>();
  const row = (weddingId: string, category: string, currency: string) => {
    const k = `${weddingId}\u0000${category}\u0000${currency}`;
    let r = rows.get(k);
    if (r === undefined) {
      r = { weddingId, category, currency, allocated: null, spent: 0, remaining: null, overrun: false, overrunAmount: 0 };
      rows.set(k, r);
    }
    return r;
  };
  for (const a of facts.allocations) row(a.weddingId, a.category, a.currency).allocated = a.amount;
  for (const s of facts.spend) row(s.weddingId, s.category, s.currency).spent = s.spent;
  const all = [...rows.values()].map((r) => {
    const over = r.spent - (r.allocated ?? 0);
    return { ...r, remaining: r.allocated === null ? null : r.allocated - r.spent, overrun: over > 0, overrunAmount: Math.max(over, 0) };
  });
  const chosen = all.filter((r) => (q.weddingId === undefined || r.weddingId === q.weddingId) && (!q.overrunOnly || r.overrun));
  return sortBy(chosen, (r) => r.weddingId, (r) => r.category, (r) => r.currency);
}

/** The receivable of every active booking with a balance, as of a day. */
function receivableBookings(facts: OrgFacts, asOf: string): ReceivableBookingRow[] {
  const from = dayNumber(asOf);
  const bucketOf = (days: number): ReceivableBucket =>
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
        bucket: bucketOf(daysLeft),
        currency: b.currency,
        contractValue: b.contractValue,
        paid: b.paid,
        refunded: b.refunded,
        outstanding: b.contractValue - b.paid + b.refunded,
      };
    });
}

/** Outstanding balances of active bookings per ageing bucket and currency, in bucket order. */
export function expectedReceivables(facts: OrgFacts, q: ReceivablesQuery): ReceivablesRow[] {
  const rows = new Map<string, ReceivablesRow>();
  for (const r of receivableBookings(facts, q.asOf)) {
    const k = `${r.bucket}\u0000${r.currency}`;
    const row = rows.get(k) ?? { bucket: r.bucket, currency: r.currency, bookings: 0, outstanding: 0 };
    row.bookings++;
    row.outstanding += r.outstanding;
    rows.set(k, row);
  }
  return sortBy([...rows.values()], (r) => RECEIVABLE_BUCKETS.indexOf(r.bucket), (r) => r.currency);
}

/** The bookings behind the receivables of a bucket (or all), soonest wedding first, then by booking id. */
export function expectedReceivableBookings(facts: OrgFacts, q: ReceivableBookingsQuery): ReceivableBookingRow[] {
  const rows = receivableBookings(facts, q.asOf).filter((r) => q.bucket === undefined || r.bucket === q.bucket);
  return sortBy(rows, (r) => r.weddingDate, (r) => r.bookingId);
}

/** The UTC day of an instant, YYYY-MM-DD. */
const dayOfInstant = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** True when an instant's UTC day lies in [from, to]. */
const within = (ms: number, range: DateRange) => {
  const day = dayOfInstant(ms);
  return day >= range.from && day <= range.to;
};

/** An inclusive range of UTC calendar dates. */
export interface DateRange {
  from: string;
  to: string;
}

/** A tally keyed by strings, creating each entry on first use. */
function tally<T>(make: (key: string[]) => T) {
  const rows = new Map<string, T>();
  return {
    at(...key: string[]): T {
      const k = key.join("\u0000");
      let row = rows.get(k);
      if (row === undefined) {
        row = make(key);
        rows.set(k, row);
      }
      return row;
    },
    rows: () => [...rows.values()],
  };
}

/** The first day of the bucket a day falls in (weeks start on Monday). */
function bucketOf(day: string, interval: "day" | "week" | "month"): string {
  if (interval === "day") return day;
  if (interval === "month") return `${day.slice(0, 7)}-01`;
  return formatDay(mondayOf(dayNumber(day)));
}

/** Payments received per bucket, method or kind (or neither), and currency. */
export function expectedPayments(facts: OrgFacts, q: PaymentsQuery): PaymentsRow[] {
  const t = tally(([bucket, group, currency]) => ({ bucket: bucket!, group: group === "" ? null : group!, currency: currency!, paymentsReceived: 0 }));
  for (const p of facts.payments) {
    if (!within(p.at, q)) continue;
    const group = q.groupBy === "method" ? p.method : q.groupBy === "kind" ? p.kind : null;
    const row = t.at(bucketOf(dayOfInstant(p.at), q.interval), group ?? "", p.currency);
    row.paymentsReceived += p.amount;
  }
  return sortBy(t.rows(), (r) => r.bucket, (r) => r.group ?? "", (r) => r.currency);
}

/** Bookings per wedding month (1–12) or ISO weekday (1 = Monday … 7 = Sunday) of their wedding date, and currency. */
export function expectedSeasonality(facts: OrgFacts, q: SeasonalityQuery): SeasonalityRow[] {
  const t = tally(([slot, currency]) => ({ [q.by]: Number(slot), currency: currency!, bookings: 0, cancellations: 0, contractValue: 0 }));
  for (const b of facts.bookings) {
    if (b.weddingDate < q.from || b.weddingDate > q.to) continue;
    const slot = q.by === "month" ? Number(b.weddingDate.slice(5, 7)) : weekdayOf(dayNumber(b.weddingDate)) + 1;
    const row = t.at(String(slot), b.currency);
    row.bookings++;
    row.cancellations += b.cancelled ? 1 : 0;
    row.contractValue += b.contractValue;
  }
  return sortBy(t.rows(), (r) => r[q.by]!, (r) => r.currency);
}

/** Per supplier and currency: bookings created, their contract value and cancellations, payments, refunds and flags, over a range of days. */
export function expectedSupplierPerformance(facts: OrgFacts, q: SupplierPerformanceQuery): SupplierPerformanceRow[] {
  const t = tally(([supplierId, currency]) => ({
    supplierId: supplierId!,
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
  for (const p of facts.payments) if (within(p.at, q)) t.at(p.supplierId, p.currency).paymentsReceived += p.amount;
  for (const r of facts.refunds) if (within(r.at, q)) t.at(r.supplierId, r.currency).refunds += r.amount;
  for (const f of facts.flags) {
    if (!within(f.at, q)) continue;
    const b = bookings.get(f.bookingId)!;
    t.at(b.supplierId, b.currency).anomalies++;
  }
  return sortBy(t.rows(), (r) => r.supplierId, (r) => r.currency);
}

/** Inquiries and how many converted, by channel or service, over the days they arrived. */
export function expectedConversion(facts: OrgFacts, q: ConversionQuery): ConversionRow[] {
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
function expectedMetricTotals(facts: OrgFacts, metric: ComparisonMetric, range: DateRange): Map<string | null, number> {
  const totals = new Map<string | null, number>();
  const add = (currency: string | null, value: number) => totals.set(currency, (totals.get(currency) ?? 0) + value);
  switch (metric) {
    case "bookings":
    case "contractValue":
      for (const b of facts.bookings) if (within(b.createdAt, range)) add(b.currency, metric === "bookings" ? 1 : b.contractValue);
      break;
    case "paymentsReceived":
    case "refunds":
    case "netRevenue":
      // Net revenue is received less refunded; each of the two alone counts as it is.
      if (metric !== "refunds") for (const p of facts.payments) if (within(p.at, range)) add(p.currency, p.amount);
      if (metric !== "paymentsReceived") {
        for (const r of facts.refunds) if (within(r.at, range)) add(r.currency, metric === "refunds" ? r.amount : -r.amount);
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
  facts: OrgFacts,
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
