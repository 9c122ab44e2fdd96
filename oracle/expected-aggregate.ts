import type { AggregateQuestion, FilterSpec } from "../query-api/aggregation/aggregate-request.ts";
import type { WedSyncEvent } from "../schemas/index.ts";
import { dayName, dayNumber, dayOf, firstOfMonth, formatDay, mondayOf, weekdayOf } from "../generator/calendar.ts";

/** One fact as the aggregation sees it: where it stands in time, its dimensions and what it adds. */
interface Fact {
  source: "bookings" | "payments" | "refunds" | "expenses" | "budgets" | "inquiries";
  occurred: string;
  weddingDay: string | null;
  dims: Record<string, string>;
  measures: Record<string, number>;
}

/** The facts of one organisation's accepted events, ready to be aggregated by `expectedAggregate`. */
export interface AggregateFacts {
  facts: Fact[];
}

/** A value and where it was set, so "latest" can be told by occurredAt, then arrival. */
interface Versioned<T> {
  value: T;
  at: number;
  arrival: number;
}

/** The later of two allocations by occurredAt, then arrival: how the budgets projection keeps a category's budget. */
function later<T>(candidate: Versioned<T>, current: Versioned<T> | undefined): Versioned<T> {
  if (current === undefined || candidate.at > current.at || (candidate.at === current.at && candidate.arrival > current.arrival)) {
    return candidate;
  }
  return current;
}

interface BookingFacts {
  weddingId: string;
  service: string;
  supplier: string;
  region: string;
  venue: string;
  currency: string;
  created: number;
  /** The contract value, guest count and wedding date last applied (arrival order). */
  contract: number;
  guests: number;
  weddingDate: string;
  cancelled: boolean;
}

const utcDay = (ms: number) => dayName(dayOf(ms));

/**
 * The facts of one organisation, from its accepted events in arrival order (rejected and repeated events left out by
 * the caller), by the definitions the aggregation documents: a booking once, on its creation day, at the contract value
 * and guest count last applied (arrival order, as the bookings projection applies them, whatever an update says it
 * occurred at); payments and refunds on their own day with their booking's dimensions and wedding date as last applied;
 * expenses on their day with their wedding's date as last applied; each wedding category's latest budget allocation
 * (by occurredAt, then arrival) on its day; inquiries on their day, converted when a booking of the same wedding and
 * service was created. Computed here in plain TypeScript, independently of the SQL.
 */
export function collectAggregateFacts(events: WedSyncEvent[]): AggregateFacts {
  const bookings = new Map<string, BookingFacts>();
  /** Each wedding's date as any of its bookings last set it (arrival order). */
  const weddingDates = new Map<string, string>();
  const budgets = new Map<string, Versioned<{ amount: number; currency: string; weddingId: string; category: string }>>();
  const booked = new Set<string>();
  const movements: { kind: "payments" | "refunds"; bookingId: string; at: number; amount: number; currency: string; method: string }[] = [];
  const expenses: { at: number; weddingId: string; category: string; amount: number; currency: string }[] = [];
  const inquiries: { at: number; weddingId: string; service: string; channel: string; weddingDate: string | null }[] = [];

  events.forEach((event, arrival) => {
    const at = Date.parse(event.occurredAt);
    const noteWeddingDate = (weddingId: string, date: string | undefined) => {
      if (date !== undefined) weddingDates.set(weddingId, date);
    };
    switch (event.type) {
      case "booking.created": {
        const d = event.data;
        bookings.set(d.bookingId, {
          weddingId: d.weddingId,
          service: d.service,
          supplier: d.supplierId,
          region: d.region ?? "",
          venue: d.venueId ?? "",
          currency: d.contractValue.currency,
          created: at,
          contract: d.contractValue.amount,
          guests: d.guestCount,
          weddingDate: d.weddingDate,
          cancelled: false,
        });
        booked.add(`${d.weddingId}\u0000${d.service}`);
        noteWeddingDate(d.weddingId, d.weddingDate);
        return;
      }
      case "booking.updated": {
        const d = event.data;
        const booking = bookings.get(d.bookingId)!;
        // A booking's figures are the ones applied last (arrival order), whatever the update says it occurred at.
        if (d.contractValue) booking.contract = d.contractValue.amount;
        if (d.guestCount !== undefined) booking.guests = d.guestCount;
        if (d.weddingDate !== undefined) booking.weddingDate = d.weddingDate;
        noteWeddingDate(d.weddingId, d.weddingDate);
        return;
      }
      case "booking.cancelled":
        bookings.get(event.data.bookingId)!.cancelled = true;
        return;
      case "payment.received":
      case "payment.refunded":
        movements.push({
          kind: event.type === "payment.received" ? "payments" : "refunds",
          bookingId: event.data.bookingId,
          at,
          amount: event.data.amount.amount,
          currency: event.data.amount.currency,
          method: event.type === "payment.received" ? event.data.method : "",
        });
        return;
      case "expense.recorded":
        expenses.push({ at, weddingId: event.data.weddingId, category: event.data.category, ...event.data.amount });
        return;
      case "budget.allocated": {
        const d = event.data;
        const key = `${d.weddingId}\u0000${d.category}`;
        const value = { amount: d.amount.amount, currency: d.amount.currency, weddingId: d.weddingId, category: d.category };
        budgets.set(key, later({ value, at, arrival }, budgets.get(key)));
        return;
      }
      case "inquiry.received": {
        const d = event.data;
        inquiries.push({ at, weddingId: d.weddingId ?? "", service: d.service, channel: d.channel, weddingDate: d.weddingDate ?? null });
        return;
      }
    }
  });

  const facts: Fact[] = [];
  for (const b of bookings.values()) {
    facts.push({
      source: "bookings",
      occurred: utcDay(b.created),
      weddingDay: b.weddingDate,
      dims: { service: b.service, supplier: b.supplier, region: b.region, venue: b.venue, wedding: b.weddingId, currency: b.currency },
      measures: { bookings: 1, contract: b.contract, guests: b.guests, cancellations: b.cancelled ? 1 : 0 },
    });
  }
  for (const m of movements) {
    const b = bookings.get(m.bookingId)!;
    facts.push({
      source: m.kind,
      occurred: utcDay(m.at),
      weddingDay: b.weddingDate,
      dims: {
        service: b.service,
        supplier: b.supplier,
        region: b.region,
        venue: b.venue,
        wedding: b.weddingId,
        currency: m.currency,
        paymentMethod: m.method,
      },
      measures: { [m.kind]: m.amount },
    });
  }
  for (const e of expenses) {
    facts.push({
      source: "expenses",
      occurred: utcDay(e.at),
      weddingDay: weddingDates.get(e.weddingId) ?? null,
      dims: { wedding: e.weddingId, category: e.category, currency: e.currency },
      measures: { expenses: e.amount },
    });
  }
  for (const { value, at } of budgets.values()) {
    facts.push({
      source: "budgets",
      occurred: utcDay(at),
      weddingDay: weddingDates.get(value.weddingId) ?? null,
      dims: { wedding: value.weddingId, category: value.category, currency: value.currency },
      measures: { budget: value.amount },
    });
  }
  for (const i of inquiries) {
    facts.push({
      source: "inquiries",
      occurred: utcDay(i.at),
      weddingDay: i.weddingDate,
      dims: { wedding: i.weddingId, service: i.service, channel: i.channel },
      measures: { inquiries: 1, converted: i.weddingId !== "" && booked.has(`${i.weddingId}\u0000${i.service}`) ? 1 : 0 },
    });
  }
  return { facts };
}

/** Which sources each metric reads, and how it is computed from the sums of measures. */
const METRIC_RULES: Record<string, { sources: Fact["source"][]; value: (s: Record<string, number>) => number | null }> = {
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

/** The first day of the bucket a day falls in. */
function bucketOf(day: string, interval: NonNullable<AggregateQuestion["interval"]>): string {
  const n = dayNumber(day);
  if (interval === "day") return day;
  if (interval === "week") return formatDay(mondayOf(n));
  if (interval === "month") return formatDay(firstOfMonth(n));
  if (interval === "year") return `${day.slice(0, 4)}-01-01`;
  const quarterMonth = Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1;
  return `${day.slice(0, 4)}-${String(quarterMonth).padStart(2, "0")}-01`;
}

/** The value of a dimension of a fact placed on `day` ('' for text not given, null for an unknown integer). */
function dimensionOf(fact: Fact, dimension: string, day: string): string | number | null {
  if (dimension === "weekday") return weekdayOf(dayNumber(day)) + 1;
  if (dimension === "weddingMonth") return fact.weddingDay === null ? null : Number(fact.weddingDay.slice(5, 7));
  return fact.dims[dimension] ?? "";
}

function matches(value: string | number | null, filter: FilterSpec): boolean {
  if (value === null) return false;
  if (Array.isArray(filter)) return filter.includes(value);
  if (typeof filter === "object") return (filter.gte === undefined || value >= filter.gte) && (filter.lte === undefined || value <= filter.lte);
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
    for (const [measure, value] of Object.entries(fact.measures)) group.sums[measure] = (group.sums[measure] ?? 0) + value;
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
