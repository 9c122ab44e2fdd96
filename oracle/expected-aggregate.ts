import { dayNumber, weekdayOf } from "../generator/calendar.ts";
import type { AggregateQuestion, FilterSpec } from "../query-api/aggregation/aggregate-request.ts";
import { conversionOf, type AllocationFact, type ExpenseFact, type OrgFacts } from "./replay-events.ts";
import { bucketOf, utcDay } from "./time-buckets.ts";

/** One fact as the aggregation sees it: where it stands in time, its dimensions and what it adds. */
interface Fact {
  source: "bookings" | "payments" | "refunds" | "expenses" | "budgets" | "inquiries";
  occurred: string;
  weddingDay: string | null;
  dims: Record<string, string>;
  measures: Record<string, number>;
}

/** The facts of one organisation, ready to be aggregated by `expectedAggregate`. */
export interface AggregateFacts {
  facts: Fact[];
}

/**
 * The facts of one organisation as the aggregation documents them, derived from its converged facts: a booking once,
 * on its creation day, at its current contract value (in its currency) and guest count, with whether it is cancelled;
 * every payment and refund on its own day, in its own currency, with its booking's dimensions and wedding date when the
 * booking exists in its wedding (else '' and no wedding date, the wedding being the one it names); expenses on their day
 * with their wedding's date; each wedding category's standing allocation on its day; inquiries on their day, converted
 * when a booking of the same wedding and service was created. Computed here in plain TypeScript, independently of the
 * SQL.
 */
export function aggregateFacts(org: OrgFacts): AggregateFacts {
  const facts: Fact[] = [];
  for (const b of org.bookings.values()) {
    facts.push({
      source: "bookings",
      occurred: utcDay(b.createdAt),
      weddingDay: b.weddingDate,
      dims: {
        service: b.service,
        supplier: b.supplierId,
        region: b.region ?? "",
        venue: b.venueId ?? "",
        wedding: b.weddingId,
        currency: b.currency,
      },
      measures: { bookings: 1, contract: b.contractValue, guests: b.guestCount, cancellations: b.cancelled ? 1 : 0 },
    });
  }
  const movements = [
    ...org.payments.map((p) => ({ source: "payments" as const, ...p })),
    ...org.refunds.map((r) => ({ source: "refunds" as const, ...r, method: "" })),
  ];
  for (const m of movements) {
    facts.push({
      source: m.source,
      occurred: utcDay(m.at),
      weddingDay: m.weddingDate,
      dims: {
        service: m.service ?? "",
        supplier: m.supplierId ?? "",
        region: m.region ?? "",
        venue: m.venueId ?? "",
        wedding: m.weddingId,
        currency: m.currency,
        paymentMethod: m.method,
      },
      measures: { [m.source]: m.amount },
    });
  }
  /** An expense or allocation, on its own day, with its wedding's date. */
  const categoryFact = (source: "expenses" | "budgets", measure: string, x: ExpenseFact | AllocationFact): Fact => ({
    source,
    occurred: utcDay(x.at),
    weddingDay: org.weddingDates.get(x.weddingId) ?? null,
    dims: { wedding: x.weddingId, category: x.category, currency: x.currency },
    measures: { [measure]: x.amount },
  });
  for (const e of org.expenses) facts.push(categoryFact("expenses", "expenses", e));
  for (const a of org.allocations.values()) facts.push(categoryFact("budgets", "budget", a));
  const converted = conversionOf(org);
  for (const i of org.inquiries) {
    facts.push({
      source: "inquiries",
      occurred: utcDay(i.at),
      weddingDay: i.weddingDate,
      dims: { wedding: i.weddingId ?? "", service: i.service, channel: i.channel },
      measures: { inquiries: 1, converted: converted(i) ? 1 : 0 },
    });
  }
  return { facts };
}

/** Which sources each metric reads, and how it is computed from the sums of measures. */
const METRIC_RULES: Record<string, { sources: Fact["source"][]; value: (s: Record<string, number>) => number | null }> =
  {
    bookings: { sources: ["bookings"], value: (s) => s.bookings ?? 0 },
    contractValue: { sources: ["bookings"], value: (s) => s.contract ?? 0 },
    averageBookingValue: { sources: ["bookings"], value: (s) => (s.bookings ? s.contract! / s.bookings : null) },
    guests: { sources: ["bookings"], value: (s) => s.guests ?? 0 },
    cancellations: { sources: ["bookings"], value: (s) => s.cancellations ?? 0 },
    paymentsReceived: { sources: ["payments"], value: (s) => s.payments ?? 0 },
    refunds: { sources: ["refunds"], value: (s) => s.refunds ?? 0 },
    netRevenue: { sources: ["payments", "refunds"], value: (s) => (s.payments ?? 0) - (s.refunds ?? 0) },
    expenses: { sources: ["expenses"], value: (s) => s.expenses ?? 0 },
    budgetAllocated: { sources: ["budgets"], value: (s) => s.budget ?? 0 },
    inquiries: { sources: ["inquiries"], value: (s) => s.inquiries ?? 0 },
    convertedInquiries: { sources: ["inquiries"], value: (s) => s.converted ?? 0 },
    conversionRate: { sources: ["inquiries"], value: (s) => (s.inquiries ? s.converted! / s.inquiries : null) },
  };

/** The value of a dimension of a fact placed on `day` ('' for text not given, null for an unknown integer). */
function dimensionOf(fact: Fact, dimension: string, day: string): string | number | null {
  if (dimension === "weekday") return weekdayOf(dayNumber(day)) + 1;
  if (dimension === "weddingMonth") return fact.weddingDay === null ? null : Number(fact.weddingDay.slice(5, 7));
  return fact.dims[dimension] ?? "";
}

function matches(value: string | number | null, filter: FilterSpec): boolean {
  if (value === null) return false;
  if (Array.isArray(filter)) return filter.includes(value);
  if (typeof filter === "object")
    return (filter.gte === undefined || value >= filter.gte) && (filter.lte === undefined || value <= filter.lte);
  return value === filter;
}

type Cell = string | number | null;

/** Sorts nulls and '' first, then numbers and strings in their natural order. */
function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null || a === "") return -1;
  if (b === null || b === "") return 1;
  return a < b ? -1 : 1;
}

/**
 * The rows the aggregation must return for a checked question (whole, unpaged), computed from the facts: facts of the
 * metrics' sources whose chosen date is in [from, to] and which pass the filters are summed per bucket and group; rows
 * carry `bucket`, the grouped dimensions ('' as null) and the metrics, sorted by the asked keys then every grouping key.
 */
export function expectedAggregate(data: AggregateFacts, q: AggregateQuestion): Record<string, Cell>[] {
  const sources = new Set(q.metrics.flatMap((m) => METRIC_RULES[m]!.sources));
  const keys = [...(q.interval ? ["bucket"] : []), ...q.groupBy];
  const groups = new Map<string, { cells: Record<string, Cell>; sums: Record<string, number> }>();
  for (const fact of data.facts) {
    if (!sources.has(fact.source)) continue;
    const day = q.dateField === "occurred" ? fact.occurred : fact.weddingDay;
    if (day === null || day < q.from || day > q.to) continue;
    if (!Object.entries(q.filters).every(([d, f]) => matches(dimensionOf(fact, d, day), f!))) continue;
    const cells: Record<string, Cell> = {};
    for (const key of keys) cells[key] = key === "bucket" ? bucketOf(day, q.interval!) : dimensionOf(fact, key, day);
    const id = JSON.stringify(keys.map((k) => cells[k]));
    let group = groups.get(id);
    if (group === undefined) {
      group = { cells, sums: {} };
      groups.set(id, group);
    }
    for (const [measure, value] of Object.entries(fact.measures))
      group.sums[measure] = (group.sums[measure] ?? 0) + value;
  }
  if (keys.length === 0 && groups.size === 0) groups.set("", { cells: {}, sums: {} });
  const rows = [...groups.values()].map(({ cells, sums }) => {
    const row: Record<string, Cell> = {};
    for (const key of keys) row[key] = cells[key] === "" ? null : cells[key]!;
    for (const metric of q.metrics) row[metric] = METRIC_RULES[metric]!.value(sums);
    return { row, cells };
  });
  const order = [
    ...q.orderBy.map((o) => ({ field: o.field, sign: o.direction === "asc" ? 1 : -1 })),
    ...keys.filter((k) => !q.orderBy.some((o) => o.field === k)).map((field) => ({ field, sign: 1 })),
  ];
  rows.sort((a, b) => {
    for (const { field, sign } of order) {
      const value = (r: typeof a) => (field in r.cells ? r.cells[field]! : r.row[field]!);
      const c = compareCells(value(a), value(b));
      if (c !== 0) return sign * c;
    }
    return 0;
  });
  return rows.map((r) => r.row);
}
