import { describe, expect, it } from "vitest";
import { parseEvent, type EventOf, type WedSyncEvent } from "../schemas/index.ts";
import { DAY_MS, dayNumber, weekdayOf } from "./calendar.ts";
import { expectedRevenue } from "../oracle/expected-revenue.ts";
import { generateWeddingData, type GenerateOptions } from "./generate-wedding-data.ts";
import { ANOMALY_KINDS, MISMATCH_KINDS, type AnomalyKind, type GeneratedItem } from "./generated-item.ts";
import { computeGroundTruth } from "../oracle/ground-truth.ts";
import { expectedAnomalies } from "../oracle/expected-anomalies.ts";
import { replayEvents } from "../oracle/replay-events.ts";
import { ORG_PRESETS } from "./org-profiles.ts";
import type { ExpectedRevenueRow } from "../oracle/expected-revenue.ts";

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
    const options = {
      ...BASE,
      organisations: ORGS.slice(2),
      anomalyRate: 0.2,
      mismatchRate: 0.1,
      duplicateRate: 0.05,
      resendRate: 0.05,
    };
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
    const list = items({ anomalyRate: 0.1, mismatchRate: 0.05 });
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
    // Without injected faults there is nothing for the pipeline to reject, and nothing for the rules to flag.
    for (const org of Object.values(truth.orgs)) expect(org.rejected).toEqual([]);
    const clock = { graceMs: 0, now: Date.parse("2027-01-01T00:00:00Z") };
    for (const facts of replayEvents(list).values())
      expect(expectedAnomalies(facts, { duplicatePaymentWindowMs: 24 * 3_600_000, orphans: clock })).toEqual([]);
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
    const data = generateWeddingData({ ...BASE, anomalyRate: 0.3, mismatchRate: 0.5 });
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

  it("labels mismatches, which ground truth counts and the rules flag, and nothing else is flagged", () => {
    const list = items({ mismatchRate: 0.2 });
    const replayed = replayEvents(list);
    /** Each flag (kind and subject) and its booking. */
    const flagged = new Map<string, string | null>();
    const weddingOf = new Map<string, string>();
    const mismatched = new Set<string>();
    for (const facts of replayed.values()) {
      expect(facts.rejected).toEqual([]);
      const clock = { graceMs: 0, now: Date.parse("2027-01-01T00:00:00Z") };
      for (const a of expectedAnomalies(facts, { duplicatePaymentWindowMs: 24 * 3_600_000, orphans: clock }))
        flagged.set(`${a.kind}:${a.subject}`, a.bookingId);
      // The wedding of every subject an anomaly can have.
      for (const p of facts.payments) weddingOf.set(p.paymentId, p.weddingId);
      for (const r of facts.refunds) weddingOf.set(r.refundId, r.weddingId);
      for (const c of facts.changes) weddingOf.set(c.eventId, c.weddingId);
      for (const b of facts.bookings.values()) weddingOf.set(b.bookingId, b.weddingId);
    }
    const labelled = list.filter((item) => item.label?.class === "anomaly");
    for (const { event, label } of labelled) {
      if (label?.class !== "anomaly") continue;
      const data = event.data as { weddingId: string; bookingId: string; paymentId: string; refundId?: string };
      mismatched.add(data.weddingId);
      const payment = event.type === "payment.received" ? data.paymentId : undefined;
      const expected = {
        "orphan-payment": `orphan_payment:${payment}`,
        "payment-after-cancellation": `payment_after_cancellation:${payment}`,
        "refund-exceeds-paid": `refund_exceeds_paid:${data.paymentId}`,
        "currency-mismatch": `currency_mismatch:${payment}`,
      }[label.kind as (typeof MISMATCH_KINDS)[number]];
      if (event.type === "booking.updated") {
        // A contract value in another currency makes the booking's money in its first currency the mismatch.
        const ofBooking = [...flagged].filter(
          ([key, bookingId]) => key.startsWith("currency_mismatch:") && bookingId === data.bookingId,
        );
        expect(ofBooking.length, event.id).toBeGreaterThan(0);
      } else expect(flagged.has(expected), expected).toBe(true);
    }
    expect(new Set(labelled.map((item) => (item.label as { kind: string }).kind))).toEqual(new Set(MISMATCH_KINDS));
    // Every flag is in a wedding given a mismatch.
    for (const key of flagged.keys()) expect(mismatched, key).toContain(weddingOf.get(key.slice(key.indexOf(":") + 1)));
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

  it("re-sends business ids with the same content under new event ids, which count once", () => {
    const plain = items();
    const resent = items({ resendRate: 0.05 });
    const copies = resent.filter((item) => item.label?.class === "resend");
    expect(copies.length).toBeGreaterThan(plain.length * 0.03);
    // Turning re-sends on changes no other event.
    expect(resent.filter((item) => item.label?.class !== "resend")).toEqual(plain);
    const byId = new Map(plain.map((item) => [item.event.id, item.event]));
    const types = new Set<string>();
    for (const copy of copies) {
      const original = byId.get((copy.label as { of: string }).of)!;
      expect(copy.event.id).not.toBe(original.id);
      expect({ ...copy.event, id: original.id }).toEqual(original);
      expect(Date.parse(copy.event.occurredAt)).toBe(Date.parse(original.occurredAt));
      types.add(copy.event.type);
    }
    expect(types).toEqual(
      new Set(["booking.created", "payment.received", "payment.refunded", "expense.recorded", "inquiry.received"]),
    );
    const withResends = computeGroundTruth(resent);
    for (const [orgKey, org] of Object.entries(computeGroundTruth(plain).orgs)) {
      const other = withResends.orgs[orgKey]!;
      expect(other.totals).toEqual(org.totals);
      expect(other.revenueDaily).toEqual(org.revenueDaily);
      expect(other.inquiries).toEqual(org.inquiries);
      expect(other.events.accepted).toBe(org.events.accepted);
      expect(other.resends).toBe(copies.filter((copy) => copy.orgKey === orgKey).length);
    }
  });

  it("computes ground truth equal to a naive recomputation from the events", () => {
    const list = items({ mismatchRate: 0.1, duplicateRate: 0.02, resendRate: 0.02, anomalyRate: 0.05 });
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
 * A reference detector written independently of the generator and the oracle: which events show each anomaly, read
 * the simple way, in the generated order (gross payments above the contract value, an equal payment on the same
 * booking within an hour, expenses above the latest allocation, more guests than the venue seats, a new booking dated
 * before the day it was made; a payment for no known booking, after its booking's cancellation or in another
 * currency, a contract value in another currency, the refund that takes a payment's refunds above it). Money that does
 * not fit its booking is left out of the booking's sums.
 */
function detectAnomalies(list: GeneratedItem[], capacity: Map<string, number>): Map<string, AnomalyKind> {
  const found = new Map<string, AnomalyKind>();
  const seen = new Set<string>();
  const bookings = new Map<
    string,
    {
      value: number;
      currency: string;
      paid: number;
      cancelled: boolean;
      venueId?: string;
      payments: { at: number; amount: number }[];
    }
  >();
  const payments = new Map<string, { amount: number; refunded: number }>();
  const budgets = new Map<string, number>();
  const spent = new Map<string, number>();
  for (const { event, label } of list) {
    if (seen.has(event.id) || label?.class === "resend") continue;
    seen.add(event.id);
    const at = Date.parse(event.occurredAt);
    switch (event.type) {
      case "booking.created": {
        const { data } = event;
        bookings.set(data.bookingId, {
          value: data.contractValue.amount,
          currency: data.contractValue.currency,
          paid: 0,
          cancelled: false,
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
        const value = event.data.contractValue;
        if (value !== undefined && value.currency !== booking.currency) found.set(event.id, "currency-mismatch");
        else if (value !== undefined) booking.value = value.amount;
        const guests = event.data.guestCount;
        if (guests !== undefined && booking.venueId !== undefined && guests > capacity.get(booking.venueId)!) {
          found.set(event.id, "guest-count-over-capacity");
        }
        break;
      }
      case "booking.cancelled":
        bookings.get(event.data.bookingId)!.cancelled = true;
        break;
      case "payment.received": {
        const booking = bookings.get(event.data.bookingId);
        const amount = event.data.amount.amount;
        payments.set(event.data.paymentId, { amount, refunded: 0 });
        if (booking === undefined) found.set(event.id, "orphan-payment");
        else if (booking.cancelled) found.set(event.id, "payment-after-cancellation");
        else if (event.data.amount.currency !== booking.currency) found.set(event.id, "currency-mismatch");
        else {
          booking.paid += amount;
          if (booking.payments.some((p) => p.amount === amount && at - p.at <= 3_600_000))
            found.set(event.id, "duplicate-payment");
          else if (booking.paid > booking.value) found.set(event.id, "overpayment");
          booking.payments.push({ at, amount });
        }
        break;
      }
      case "payment.refunded": {
        const payment = payments.get(event.data.paymentId)!;
        const before = payment.refunded;
        payment.refunded += event.data.amount.amount;
        if (before <= payment.amount && payment.refunded > payment.amount) found.set(event.id, "refund-exceeds-paid");
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

/**
 * Every event once: each event id once, and each business id once (the generator sends no conflicting versions, so
 * the first seen is as good as any).
 */
function distinct(list: GeneratedItem[]): WedSyncEvent[] {
  const businessIdField: Partial<Record<WedSyncEvent["type"], string>> = {
    "booking.created": "bookingId",
    "payment.received": "paymentId",
    "payment.refunded": "refundId",
    "expense.recorded": "expenseId",
    "inquiry.received": "inquiryId",
  };
  const seen = new Set<string>();
  const events: WedSyncEvent[] = [];
  for (const { event } of list) {
    const field = businessIdField[event.type];
    const keys = [
      event.id,
      ...(field ? [`${event.type}/${(event.data as unknown as Record<string, string>)[field]}`] : []),
    ];
    if (keys.some((key) => seen.has(key))) continue;
    for (const key of keys) seen.add(key);
    events.push(event);
  }
  return events;
}

/** A created booking as the rules leave it, recomputed by brute force from all its events. */
interface NaiveBooking {
  created: EventOf<"booking.created">;
  value: number;
  currency: string;
  cancellation: EventOf<"booking.cancelled"> | undefined;
}

/** Each created booking's current contract value (the latest by occurredAt, then id) and earliest cancellation. */
function naiveBookings(events: WedSyncEvent[]): Map<string, NaiveBooking> {
  const byBooking = new Map<string, WedSyncEvent[]>();
  for (const e of events) {
    if (e.type === "booking.created" || e.type === "booking.updated" || e.type === "booking.cancelled")
      byBooking.set(e.data.bookingId, [...(byBooking.get(e.data.bookingId) ?? []), e]);
  }
  const bookings = new Map<string, NaiveBooking>();
  for (const event of events) {
    if (event.type !== "booking.created") continue;
    const { bookingId, weddingId } = event.data;
    const mine = byBooking.get(bookingId)!.filter((e) => (e.data as { weddingId: string }).weddingId === weddingId);
    const key = (e: WedSyncEvent) => `${new Date(e.occurredAt).toISOString()}|${e.id}`;
    const valued = mine
      .filter((e) => (e.type === "booking.created" || e.type === "booking.updated") && e.data.contractValue)
      .sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const value = (valued.at(-1) as EventOf<"booking.updated">).data.contractValue!;
    const cancellations = mine.filter((e) => e.type === "booking.cancelled").sort((a, b) => (key(a) < key(b) ? -1 : 1));
    bookings.set(bookingId, {
      created: event,
      value: value.amount,
      currency: value.currency,
      cancellation: cancellations[0] as EventOf<"booking.cancelled"> | undefined,
    });
  }
  return bookings;
}

/** Revenue recomputed by brute force from the events, for comparison with expectedRevenue. */
function naiveRevenue(list: GeneratedItem[]) {
  const events = distinct(list);
  const bookings = naiveBookings(events);
  const bucket = (iso: string, interval: string) => {
    const day = iso.slice(0, 10);
    if (interval === "day") return day;
    if (interval === "month") return `${day.slice(0, 7)}-01`;
    const monday = new Date(Date.parse(day) - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS);
    return monday.toISOString().slice(0, 10);
  };
  type Figure = Exclude<keyof ExpectedRevenueRow, "bucket" | "group" | "currency">;
  return (q: { from: string; to: string; interval: string; groupBy: string }) => {
    const rows = new Map<string, ExpectedRevenueRow>();
    /** Adds to a row of a day, under a booking's service and region (or none), in a currency. */
    const add = (iso: string, booking: NaiveBooking | undefined, currency: string, field: Figure, amount: number) => {
      const day = iso.slice(0, 10);
      if (day < q.from || day > q.to) return;
      const data = booking?.created.data;
      const group =
        q.groupBy === "service" ? (data?.service ?? null) : q.groupBy === "region" ? (data?.region ?? null) : null;
      const b = bucket(iso, q.interval);
      const key = `${b}|${group}|${currency}`;
      const row = rows.get(key) ?? {
        bucket: b,
        group,
        currency,
        bookings: 0,
        contractValue: 0,
        paymentsReceived: 0,
        refunds: 0,
        cancelledBookings: 0,
        releasedContractValue: 0,
        cancellationFees: 0,
      };
      row[field] += amount;
      rows.set(key, row);
    };
    for (const booking of bookings.values()) {
      add(booking.created.occurredAt, booking, booking.currency, "bookings", 1);
      add(booking.created.occurredAt, booking, booking.currency, "contractValue", booking.value);
      const cancellation = booking.cancellation;
      if (cancellation === undefined) continue;
      add(cancellation.occurredAt, booking, booking.currency, "cancelledBookings", 1);
      add(cancellation.occurredAt, booking, booking.currency, "releasedContractValue", booking.value);
      const fee = cancellation.data.cancellationFee;
      if (fee) add(cancellation.occurredAt, booking, fee.currency, "cancellationFees", fee.amount);
    }
    const linked = (data: { bookingId: string; weddingId: string }) => {
      const booking = bookings.get(data.bookingId);
      return booking?.created.data.weddingId === data.weddingId ? booking : undefined;
    };
    for (const event of events) {
      if (event.type === "payment.received")
        add(
          event.occurredAt,
          linked(event.data),
          event.data.amount.currency,
          "paymentsReceived",
          event.data.amount.amount,
        );
      if (event.type === "payment.refunded")
        add(event.occurredAt, linked(event.data), event.data.amount.currency, "refunds", event.data.amount.amount);
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
  const events = distinct(list);
  const totals: Record<string, Record<string, number>> = {};
  const add = (currency: string, field: string, amount: number) => {
    const entry = (totals[currency] ??= {});
    entry[field] = (entry[field] ?? 0) + amount;
  };
  for (const booking of naiveBookings(events).values()) {
    add(booking.currency, "bookings", 1);
    add(booking.currency, "contractValue", booking.value);
    if (booking.cancellation === undefined) continue;
    add(booking.currency, "cancelledBookings", 1);
    add(booking.currency, "releasedContractValue", booking.value);
    const fee = booking.cancellation.data.cancellationFee;
    if (fee) add(fee.currency, "cancellationFees", fee.amount);
  }
  const budgets = new Map<string, { at: string; amount: { amount: number; currency: string } }>();
  for (const event of events) {
    if (event.type === "payment.received")
      add(event.data.amount.currency, "paymentsReceived", event.data.amount.amount);
    if (event.type === "payment.refunded") add(event.data.amount.currency, "refunds", event.data.amount.amount);
    if (event.type === "expense.recorded") add(event.data.amount.currency, "expenses", event.data.amount.amount);
    if (event.type === "budget.allocated") {
      const key = `${event.data.weddingId}/${event.data.category}`;
      const at = `${new Date(event.occurredAt).toISOString()}|${event.id}`;
      if ((budgets.get(key)?.at ?? "") < at) budgets.set(key, { at, amount: event.data.amount });
    }
  }
  for (const budget of budgets.values()) add(budget.amount.currency, "budgetAllocated", budget.amount.amount);
  return totals;
}
