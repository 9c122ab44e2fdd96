import { describe, expect, it } from "vitest";
import { parseEvent, type EventOf, type WedSyncEvent } from "../schemas/index.ts";
import { DAY_MS, dayNumber, weekdayOf } from "./calendar.ts";
import { expectedRevenue } from "../oracle/expected-revenue.ts";
import { generateWeddingData, type GenerateOptions } from "./generate-wedding-data.ts";
import { ANOMALY_KINDS, type AnomalyKind, type GeneratedItem } from "./generated-item.ts";
import { computeGroundTruth } from "../oracle/ground-truth.ts";
import { ORG_PRESETS } from "./org-profiles.ts";
import type { RevenueRow } from "../query-api/revenue-query.ts";

/** Four organisations of every size and currency kind, small enough for a fast test (~20k events). */
const ORGS = [
  { ...ORG_PRESETS.chain, weddingsPerYear: 300 },
  { ...ORG_PRESETS.venueGroup, weddingsPerYear: 150 },
  { ...ORG_PRESETS.soloFlorist, weddingsPerYear: 40 },
  { ...ORG_PRESETS.tokyoStudio, weddingsPerYear: 100 },
];
const BASE: GenerateOptions = { seed: 42, organisations: ORGS, from: "2025-01-01", to: "2026-12-31", anomalyRate: 0 };

const cache = new Map<string, GeneratedItem[]>();
/** Generates (once per distinct options) and keeps the items. */
function items(overrides: Partial<GenerateOptions> = {}): GeneratedItem[] {
  const key = JSON.stringify(overrides);
  let list = cache.get(key);
  if (list === undefined) {
    list = [...generateWeddingData({ ...BASE, ...overrides })];
    cache.set(key, list);
  }
  return list;
}

const ofType = <T extends WedSyncEvent["type"]>(list: GeneratedItem[], type: T) =>
  list.filter((item) => item.event.type === type) as (GeneratedItem & { event: EventOf<T> })[];

describe("generateWeddingData", () => {
  it("is deterministic: the same seed gives the same items, another seed others", () => {
    const options = { ...BASE, organisations: ORGS.slice(2), anomalyRate: 0.2, invalidRate: 0.1, duplicateRate: 0.05 };
    const data = generateWeddingData(options);
    const first = [...data];
    expect([...data]).toEqual(first);
    expect([...generateWeddingData(options)]).toEqual(first);
    expect([...generateWeddingData({ ...options, seed: 43 })]).not.toEqual(first);
  });

  it("keeps an organisation's events unchanged when other organisations are added", () => {
    const alone = [...generateWeddingData({ ...BASE, organisations: [ORGS[2]!] })];
    const together = items().filter((item) => item.orgKey === ORGS[2]!.key);
    expect(together).toEqual(alone);
  });

  it("emits only events that pass the contract, within the period, in time order", () => {
    const list = items({ anomalyRate: 0.1, invalidRate: 0.05 });
    expect(list.length).toBeGreaterThan(10_000);
    const first = Date.parse("2025-01-01T00:00:00Z");
    const last = Date.parse("2026-12-31T23:59:59Z");
    let previous = first;
    for (const { event } of list) {
      const outcome = parseEvent(JSON.parse(JSON.stringify(event)));
      if (!outcome.ok) expect.fail(`${JSON.stringify(event)}: ${JSON.stringify(outcome.errors)}`);
      const at = Date.parse(event.occurredAt);
      expect(at).toBeGreaterThanOrEqual(previous);
      expect(at).toBeLessThanOrEqual(last);
      previous = at;
    }
    expect(new Set(list.map((item) => item.event.id)).size).toBe(list.length);
    expect(new Set(list.map((item) => item.orgKey))).toEqual(new Set(ORGS.map((org) => org.key)));
  });

  it("puts most weddings in May–September and on Saturdays", () => {
    const dates = ofType(items(), "booking.created").map((item) => item.event.data.weddingDate);
    expect(dates.length).toBeGreaterThan(1000);
    const summer = dates.filter((date) => Number(date.slice(5, 7)) >= 5 && Number(date.slice(5, 7)) <= 9).length;
    const saturdays = dates.filter((date) => weekdayOf(dayNumber(date)) === 5).length;
    expect(summer / dates.length).toBeGreaterThan(0.5);
    expect(saturdays / dates.length).toBeGreaterThan(0.5);
  });

  it("books 3–18 months ahead and schedules deposit at booking, instalments, final payment 4–8 weeks before", () => {
    const list = items();
    const bookings = new Map(ofType(list, "booking.created").map((item) => [item.event.data.bookingId, item.event]));
    for (const booking of bookings.values()) {
      const lead = dayNumber(booking.data.weddingDate) - Math.floor(Date.parse(booking.occurredAt) / DAY_MS);
      expect(lead).toBeGreaterThanOrEqual(90);
      expect(lead).toBeLessThanOrEqual(549);
    }
    const kinds = new Map<string, string[]>();
    for (const { event } of ofType(list, "payment.received")) {
      const booking = bookings.get(event.data.bookingId)!;
      const list = kinds.get(booking.data.bookingId) ?? [];
      kinds.set(booking.data.bookingId, [...list, event.data.kind!]);
      if (event.data.kind === "deposit") {
        expect(Date.parse(event.occurredAt) - Date.parse(booking.occurredAt)).toBeLessThanOrEqual(31 * 60_000);
      }
      if (event.data.kind === "final") {
        const before = dayNumber(booking.data.weddingDate) - Math.floor(Date.parse(event.occurredAt) / DAY_MS);
        expect(before).toBeGreaterThanOrEqual(28);
        expect(before).toBeLessThanOrEqual(57);
      }
    }
    for (const sequence of kinds.values()) {
      expect(sequence[0]).toBe("deposit");
      expect(sequence.indexOf("final")).toBeOneOf([-1, sequence.length - 1]);
    }
    expect([...kinds.values()].some((sequence) => sequence.includes("instalment"))).toBe(true);
  });

  it("makes the payments of every settled, normal booking add up to its latest contract value", () => {
    const list = items();
    const truth = computeGroundTruth(list);
    const value = new Map<string, number>();
    const paid = new Map<string, number>();
    const settled = new Set<string>();
    const cancelled = new Set<string>();
    for (const { event } of list) {
      if (event.type === "booking.created") value.set(event.data.bookingId, event.data.contractValue.amount);
      if (event.type === "booking.updated" && event.data.contractValue)
        value.set(event.data.bookingId, event.data.contractValue.amount);
      if (event.type === "booking.cancelled") cancelled.add(event.data.bookingId);
      if (event.type === "payment.received") {
        paid.set(event.data.bookingId, (paid.get(event.data.bookingId) ?? 0) + event.data.amount.amount);
        if (event.data.kind === "final") settled.add(event.data.bookingId);
      }
    }
    expect(settled.size).toBeGreaterThan(500);
    for (const bookingId of settled) expect(paid.get(bookingId), bookingId).toBe(value.get(bookingId));
    for (const bookingId of paid.keys()) expect(paid.get(bookingId)!).toBeLessThanOrEqual(value.get(bookingId)!);
    expect(cancelled.size).toBeGreaterThan(0);
    // Without injected faults there is nothing for the pipeline to reject.
    for (const org of Object.values(truth.orgs)) expect(org.rejected).toEqual([]);
  });

  it("keeps money in integer minor units of the organisation's currencies, whole yen for JPY", () => {
    const currencies = new Map<string, Set<string>>();
    for (const { orgKey, event } of items()) {
      for (const money of Object.values(event.data).filter(
        (v): v is { amount: number; currency: string } => typeof v === "object",
      )) {
        expect(Number.isInteger(money.amount)).toBe(true);
        currencies.set(orgKey, (currencies.get(orgKey) ?? new Set()).add(money.currency));
      }
    }
    expect(currencies.get("chateaux-group")).toEqual(new Set(["EUR", "GBP"]));
    expect(currencies.get("sakura-studio")).toEqual(new Set(["JPY"]));
  });

  it("labels every injected anomaly, and only injected events show one", () => {
    const data = generateWeddingData({ ...BASE, anomalyRate: 0.3, invalidRate: 0.05 });
    const list = [...data];
    const capacity = new Map(
      data.catalogs.flatMap((catalog) => catalog.venues.map((venue) => [venue.id, venue.capacity] as const)),
    );
    const labelled = new Map(
      list
        .filter((item) => item.label?.class === "anomaly")
        .map((item) => [item.event.id, (item.label as { kind: AnomalyKind }).kind]),
    );
    const detected = detectAnomalies(list, capacity);
    expect(detected).toEqual(labelled);
    for (const kind of ANOMALY_KINDS)
      expect([...labelled.values()].filter((k) => k === kind).length, kind).toBeGreaterThan(5);
  });

  it("labels semantically invalid events exactly as ground truth rejects them", () => {
    const list = items({ invalidRate: 0.2 });
    const truth = computeGroundTruth(list);
    const labelled = list
      .filter((item) => item.label?.class === "invalid")
      .map((item) => ({ eventId: item.event.id, reason: (item.label as { kind: string }).kind }))
      .sort((a, b) => a.eventId.localeCompare(b.eventId));
    const rejected = Object.values(truth.orgs)
      .flatMap((org) => org.rejected.map(({ eventId, reason }) => ({ eventId, reason })))
      .sort((a, b) => a.eventId.localeCompare(b.eventId));
    expect(rejected).toEqual(labelled);
    expect(new Set(labelled.map((entry) => entry.reason))).toEqual(
      new Set(["unknown-booking", "cancelled-booking", "refund-exceeds-paid", "currency-mismatch"]),
    );
  });

  it("re-sends exact duplicates that leave the ground truth unchanged", () => {
    const plain = items();
    const resent = items({ duplicateRate: 0.05 });
    const duplicates = resent.filter((item) => item.label?.class === "exact-duplicate");
    expect(duplicates.length).toBeGreaterThan(plain.length * 0.04);
    const firstSeen = new Map(
      resent.filter((item) => item.label === undefined).map((item) => [item.event.id, item.event]),
    );
    for (const duplicate of duplicates) expect(duplicate.event).toEqual(firstSeen.get(duplicate.event.id));
    const withDuplicates = computeGroundTruth(resent);
    const without = computeGroundTruth(plain);
    for (const [orgKey, org] of Object.entries(without.orgs)) {
      const other = withDuplicates.orgs[orgKey]!;
      expect(other.totals).toEqual(org.totals);
      expect(other.revenueDaily).toEqual(org.revenueDaily);
      expect(other.exactDuplicates).toBe(other.events.received - org.events.received);
    }
  });

  it("computes ground truth equal to a naive recomputation from the events", () => {
    const list = items({ invalidRate: 0.1, duplicateRate: 0.02, anomalyRate: 0.05 });
    const truth = computeGroundTruth(list);
    for (const org of ORGS) {
      const naive = naiveRevenue(list.filter((item) => item.orgKey === org.key));
      const orgTruth = truth.orgs[org.key]!;
      for (const interval of ["day", "week", "month"] as const) {
        for (const groupBy of ["none", "service", "region"] as const) {
          const question = { from: "2025-03-01", to: "2026-10-15", interval, groupBy };
          expect(expectedRevenue(orgTruth, question), `${org.key} ${interval} ${groupBy}`).toEqual(naive(question));
        }
      }
      const totals = naiveTotals(list.filter((item) => item.orgKey === org.key));
      expect(Object.keys(orgTruth.totals).sort()).toEqual(Object.keys(totals).sort());
      for (const [currency, expected] of Object.entries(totals))
        expect(orgTruth.totals[currency]).toMatchObject(expected);
    }
  });

  it("stops at maxEvents and rejects nonsensical options", () => {
    expect([...generateWeddingData({ ...BASE, maxEvents: 123 })]).toHaveLength(123);
    expect(() => generateWeddingData({ ...BASE, from: "2026-01-01", to: "2025-01-01" })).toThrow(RangeError);
    expect(() => generateWeddingData({ ...BASE, to: "2025-02-30" })).toThrow(RangeError);
    expect(() => generateWeddingData({ ...BASE, anomalyRate: 2 })).toThrow(RangeError);
    expect(() => generateWeddingData({ ...BASE, organisations: [ORGS[0]!, ORGS[0]!] })).toThrow(RangeError);
    expect(() => generateWeddingData({ ...BASE, organisations: [{ ...ORGS[0]!, currency: "XYZ" }] })).toThrow(
      RangeError,
    );
  });
});

/**
 * A reference detector written independently of the generator: which events show each anomaly,
 * read the simple way (gross payments above the contract value, an equal payment on the same
 * booking within an hour, expenses above the latest allocation, more guests than the venue seats,
 * a new booking dated before the day it was made). Labelled-invalid events are skipped, as the
 * pipeline dead-letters them.
 */
function detectAnomalies(list: GeneratedItem[], capacity: Map<string, number>): Map<string, AnomalyKind> {
  const found = new Map<string, AnomalyKind>();
  const seen = new Set<string>();
  const bookings = new Map<
    string,
    { value: number; paid: number; venueId?: string; payments: { at: number; amount: number }[] }
  >();
  const budgets = new Map<string, number>();
  const spent = new Map<string, number>();
  for (const { event, label } of list) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    if (label?.class === "invalid") continue;
    const at = Date.parse(event.occurredAt);
    switch (event.type) {
      case "booking.created": {
        const { data } = event;
        bookings.set(data.bookingId, {
          value: data.contractValue.amount,
          paid: 0,
          venueId: data.venueId,
          payments: [],
        });
        if (data.venueId !== undefined && data.guestCount > capacity.get(data.venueId)!)
          found.set(event.id, "guest-count-over-capacity");
        if (dayNumber(data.weddingDate) < Math.floor(at / DAY_MS)) found.set(event.id, "wedding-date-in-past");
        break;
      }
      case "booking.updated": {
        const booking = bookings.get(event.data.bookingId)!;
        if (event.data.contractValue) booking.value = event.data.contractValue.amount;
        const guests = event.data.guestCount;
        if (guests !== undefined && booking.venueId !== undefined && guests > capacity.get(booking.venueId)!) {
          found.set(event.id, "guest-count-over-capacity");
        }
        break;
      }
      case "payment.received": {
        const booking = bookings.get(event.data.bookingId)!;
        const amount = event.data.amount.amount;
        booking.paid += amount;
        if (booking.payments.some((p) => p.amount === amount && at - p.at <= 3_600_000))
          found.set(event.id, "duplicate-payment");
        else if (booking.paid > booking.value) found.set(event.id, "overpayment");
        booking.payments.push({ at, amount });
        break;
      }
      case "budget.allocated":
        budgets.set(`${event.data.weddingId}/${event.data.category}`, event.data.amount.amount);
        break;
      case "expense.recorded": {
        const key = `${event.data.weddingId}/${event.data.category}`;
        spent.set(key, (spent.get(key) ?? 0) + event.data.amount.amount);
        if (spent.get(key)! > (budgets.get(key) ?? 0)) found.set(event.id, "expense-over-budget");
        break;
      }
      default:
        break;
    }
  }
  return found;
}

/** Unique events that are not labelled invalid: the ones the pipeline accepts. */
function accepted(list: GeneratedItem[]): WedSyncEvent[] {
  const seen = new Set<string>();
  const events: WedSyncEvent[] = [];
  for (const { event, label } of list) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    if (label?.class !== "invalid") events.push(event);
  }
  return events;
}

/** Revenue recomputed by brute force from labels and events, for comparison with expectedRevenue. */
function naiveRevenue(list: GeneratedItem[]) {
  const events = accepted(list);
  const created = events.filter((event) => event.type === "booking.created") as EventOf<"booking.created">[];
  const latestChange = new Map<string, WedSyncEvent>();
  for (const event of events) {
    if ((event.type === "booking.created" || event.type === "booking.updated") && event.data.contractValue) {
      const best = latestChange.get(event.data.bookingId);
      if (best === undefined || event.occurredAt >= best.occurredAt) latestChange.set(event.data.bookingId, event);
    }
  }
  const latest = (bookingId: string) => {
    const event = latestChange.get(bookingId) as EventOf<"booking.created"> | EventOf<"booking.updated">;
    return event.data.contractValue!.amount;
  };
  const byId = new Map(created.map((event) => [event.data.bookingId, event]));
  const bucket = (iso: string, interval: string) => {
    const day = iso.slice(0, 10);
    if (interval === "day") return day;
    if (interval === "month") return `${day.slice(0, 7)}-01`;
    const monday = new Date(Date.parse(day) - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS);
    return monday.toISOString().slice(0, 10);
  };
  const values = new Map(created.map((event) => [event.data.bookingId, latest(event.data.bookingId)]));
  return (q: { from: string; to: string; interval: string; groupBy: string }) => {
    const rows = new Map<string, RevenueRow>();
    const add = (
      iso: string,
      booking: EventOf<"booking.created">,
      field: "bookings" | "contractValue" | "paymentsReceived" | "refunds",
      amount: number,
    ) => {
      const day = iso.slice(0, 10);
      if (day < q.from || day > q.to) return;
      const group =
        q.groupBy === "service" ? booking.data.service : q.groupBy === "region" ? (booking.data.region ?? null) : null;
      const b = bucket(iso, q.interval);
      const key = `${b}|${group}|${booking.data.contractValue.currency}`;
      const row = rows.get(key) ?? {
        bucket: b,
        group,
        currency: booking.data.contractValue.currency,
        bookings: 0,
        contractValue: 0,
        paymentsReceived: 0,
        refunds: 0,
      };
      row[field] += amount;
      rows.set(key, row);
    };
    for (const event of created) {
      add(event.occurredAt, event, "bookings", 1);
      add(event.occurredAt, event, "contractValue", values.get(event.data.bookingId)!);
    }
    for (const event of events) {
      if (event.type === "payment.received")
        add(event.occurredAt, byId.get(event.data.bookingId)!, "paymentsReceived", event.data.amount.amount);
      if (event.type === "payment.refunded")
        add(event.occurredAt, byId.get(event.data.bookingId)!, "refunds", event.data.amount.amount);
    }
    return [...rows.values()].sort(
      (a, b) =>
        a.bucket.localeCompare(b.bucket) ||
        (a.group ?? "").localeCompare(b.group ?? "") ||
        a.currency.localeCompare(b.currency),
    );
  };
}

/** Per-currency totals recomputed by brute force. */
function naiveTotals(list: GeneratedItem[]): Record<string, Record<string, number>> {
  const events = accepted(list);
  const totals: Record<string, Record<string, number>> = {};
  const add = (currency: string, field: string, amount: number) => {
    const entry = (totals[currency] ??= {});
    entry[field] = (entry[field] ?? 0) + amount;
  };
  const currencyOf = new Map<string, string>();
  const budgets = new Map<string, { amount: number; currency: string }>();
  for (const event of events) {
    if (event.type === "booking.created") {
      currencyOf.set(event.data.bookingId, event.data.contractValue.currency);
      add(event.data.contractValue.currency, "bookings", 1);
    }
    if (event.type === "booking.cancelled") {
      add(currencyOf.get(event.data.bookingId)!, "cancelledBookings", 1);
      add(currencyOf.get(event.data.bookingId)!, "cancellationFees", event.data.cancellationFee?.amount ?? 0);
    }
    if (event.type === "payment.received")
      add(event.data.amount.currency, "paymentsReceived", event.data.amount.amount);
    if (event.type === "payment.refunded") add(event.data.amount.currency, "refunds", event.data.amount.amount);
    if (event.type === "expense.recorded") add(event.data.amount.currency, "expenses", event.data.amount.amount);
    if (event.type === "budget.allocated")
      budgets.set(`${event.data.weddingId}/${event.data.category}`, event.data.amount);
  }
  for (const budget of budgets.values()) add(budget.currency, "budgetAllocated", budget.amount);
  return totals;
}
