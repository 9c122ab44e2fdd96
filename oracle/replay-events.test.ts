import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import { conversionOf, EventReplay, replayEvents, type TruthInput } from "./replay-events.ts";

const created = (bookingId: string, at: string, extra: Record<string, unknown> = {}) =>
  item("booking.created", at, {
    bookingId,
    weddingId: "w-1",
    supplierId: "s-1",
    service: "photography",
    weddingDate: "2027-06-12",
    guestCount: 100,
    contractValue: gbp(1000),
    ...extra,
  });
const updated = (at: string, data: Record<string, unknown>, id?: string) =>
  item("booking.updated", at, { bookingId: "b-1", weddingId: "w-1", ...data }, id);
const cancelled = (at: string, data: Record<string, unknown> = {}) =>
  item("booking.cancelled", at, { bookingId: "b-1", weddingId: "w-1", ...data });
const paid = (paymentId: string, at: string, amount: number, data: Record<string, unknown> = {}) =>
  item("payment.received", at, {
    paymentId,
    bookingId: "b-1",
    weddingId: "w-1",
    amount: gbp(amount),
    method: "card",
    ...data,
  });
const allocated = (at: string, amount: number, id?: string) =>
  item("budget.allocated", at, { weddingId: "w-1", category: "florist", amount: gbp(amount) }, id);
/** The same event under a new event id, as a producer re-importing its records sends it. */
const resent = (original: TruthInput, id: string): TruthInput => ({ ...original, event: { ...original.event, id } });

/** The facts of org "a" after the items, in the order given. */
const factsOf = (items: TruthInput[]) => replayEvents(items).get("a")!;

describe("EventReplay: the converged state of the set of events", () => {
  it("keeps each of a booking's figures from the latest event by occurrence that carries it, whatever arrived last", () => {
    const create = created("b-1", "2026-01-10T09:00:00Z");
    const later = updated("2026-01-20T09:00:00Z", { contractValue: gbp(2000), guestCount: 150 });
    // Arrives last, dated before `later`: it loses on the figures both carry, and wins on the date only it carries.
    const earlier = updated("2026-01-15T09:00:00Z", { contractValue: gbp(3000), weddingDate: "2027-09-11" });
    for (const order of [
      [create, later, earlier],
      [earlier, later, create],
      [later, create, earlier],
    ]) {
      const facts = factsOf(order);
      expect(facts.bookings.get("b-1")).toMatchObject({
        contractValue: 2000,
        guestCount: 150,
        weddingDate: "2027-09-11",
        currency: "GBP",
      });
      expect(facts.weddingDates.get("w-1")).toBe("2027-09-11");
      expect(facts.changes.every((c) => c.linked)).toBe(true);
    }
  });

  it("breaks a tie of occurredAt by event id, and takes a contract value's currency from the same event", () => {
    const at = "2026-01-20T09:00:00Z";
    const low = updated(
      at,
      { contractValue: { amount: 500, currency: "EUR" } },
      "00000000-0000-4000-8000-00000000000a",
    );
    const high = updated(
      at,
      { contractValue: { amount: 700, currency: "USD" } },
      "00000000-0000-4000-8000-00000000000b",
    );
    for (const order of [
      [created("b-1", "2026-01-10T09:00:00Z"), high, low],
      [low, high, created("b-1", "2026-01-10T09:00:00Z")],
    ]) {
      expect(factsOf(order).bookings.get("b-1")).toMatchObject({ contractValue: 700, currency: "USD" });
    }
  });

  it("links a payment that arrived before its booking, and counts it whether or not the booking ever comes", () => {
    const pay = paid("p-1", "2026-01-10T09:30:00Z", 300);
    const alone = factsOf([pay]);
    expect(alone.payments).toEqual([
      expect.objectContaining({ paymentId: "p-1", linked: false, service: null, supplierId: null, region: null }),
    ]);
    expect(alone.bookings.size).toBe(0);
    const facts = factsOf([pay, created("b-1", "2026-01-10T09:00:00Z", { region: "Kent", venueId: "v-1" })]);
    expect(facts.payments[0]).toMatchObject({
      linked: true,
      service: "photography",
      supplierId: "s-1",
      region: "Kent",
      venueId: "v-1",
      weddingDate: "2027-06-12",
    });
    expect(facts.bookings.get("b-1")).toMatchObject({ paid: 300, refunded: 0 });
  });

  it("links only within the same wedding, and sums only money in the booking's currency", () => {
    const facts = factsOf([
      created("b-1", "2026-01-10T09:00:00Z"),
      paid("p-1", "2026-01-11T09:00:00Z", 100),
      paid("p-2", "2026-01-11T10:00:00Z", 200, { weddingId: "w-other" }),
      paid("p-3", "2026-01-11T11:00:00Z", 400, { amount: { amount: 400, currency: "EUR" } }),
      updated("2026-01-12T09:00:00Z", { weddingId: "w-other", guestCount: 5 }),
    ]);
    expect(facts.payments.map((p) => [p.paymentId, p.linked, p.currency])).toEqual([
      ["p-1", true, "GBP"],
      ["p-2", false, "GBP"],
      ["p-3", true, "EUR"],
    ]);
    expect(facts.bookings.get("b-1")).toMatchObject({ paid: 100, guestCount: 100 });
    expect(facts.changes.map((c) => c.linked)).toEqual([false]);
  });

  it("counts the earliest cancellation by occurrence, whenever it arrived, and keeps applying updates after it", () => {
    const late = cancelled("2026-03-01T09:00:00Z", { cancellationFee: gbp(50) });
    const early = cancelled("2026-02-01T09:00:00Z", { cancellationFee: gbp(80) });
    const raise = updated("2026-04-01T09:00:00Z", { contractValue: gbp(1500) });
    for (const order of [
      [created("b-1", "2026-01-10T09:00:00Z"), late, early, raise],
      [raise, early, late, created("b-1", "2026-01-10T09:00:00Z")],
    ]) {
      const booking = factsOf(order).bookings.get("b-1")!;
      expect(booking).toMatchObject({ cancelled: true, contractValue: 1500 });
      expect(booking.cancellation).toEqual({
        eventId: early.event.id,
        at: Date.parse("2026-02-01T09:00:00Z"),
        fee: 80,
        feeCurrency: "GBP",
      });
    }
    // A cancellation naming no fee charges 0 in the booking's currency, the currency it ends up with.
    const noFee = factsOf([
      created("b-1", "2026-01-10T09:00:00Z"),
      cancelled("2026-02-01T09:00:00Z"),
      updated("2026-01-20T09:00:00Z", { contractValue: { amount: 900, currency: "EUR" } }),
    ]).bookings.get("b-1")!;
    expect(noFee.cancellation).toMatchObject({ fee: 0, feeCurrency: "EUR" });
  });

  it("holds an update or cancellation of a booking not yet created, and applies it when the create arrives", () => {
    const facts = factsOf([
      updated("2026-01-12T09:00:00Z", { contractValue: gbp(5000) }),
      cancelled("2026-01-13T09:00:00Z"),
      created("b-1", "2026-01-10T09:00:00Z"),
    ]);
    expect(facts.bookings.get("b-1")).toMatchObject({ contractValue: 5000, cancelled: true });
    expect(factsOf([updated("2026-01-12T09:00:00Z", { guestCount: 5 })]).bookings.size).toBe(0);
  });

  it("counts a business id re-sent with the same content under a new event id once, as already applied", () => {
    const pay = paid("p-1", "2026-01-11T09:00:00Z", 300);
    // The same content with its data's keys in another order and occurredAt spelt another way.
    const copy: TruthInput = {
      orgKey: "a",
      event: {
        ...pay.event,
        id: "00000000-0000-4000-8000-0000000000ff",
        occurredAt: "2026-01-11T09:00:00.000Z",
        data: { method: "card", amount: gbp(300), weddingId: "w-1", bookingId: "b-1", paymentId: "p-1" },
      } as TruthInput["event"],
    };
    const replay = new EventReplay();
    expect([pay, copy, copy, pay].map((i) => replay.add(i))).toEqual([
      "accepted",
      "duplicate",
      "duplicate",
      "duplicate",
    ]);
    const facts = replay.facts("a")!;
    expect(facts).toMatchObject({ received: 4, unique: 2, accepted: 1, exactDuplicates: 2, resends: 1, rejected: [] });
    expect(facts.payments).toHaveLength(1);
    expect(facts.payments[0]!.eventIds).toEqual([pay.event.id, copy.event.id].sort());
    expect(factsOf([copy, pay])).toEqual(factsOf([pay, copy]));
  });

  it("dead-letters a business id's version that arrives after another with different content, naming both", () => {
    const first = created("b-1", "2026-01-10T09:00:00Z");
    const second = created("b-1", "2026-01-11T09:00:00Z", { contractValue: gbp(7000), service: "florist" });
    const replay = new EventReplay();
    expect([first, second].map((i) => replay.add(i))).toEqual(["accepted", "rejected"]);
    const facts = replay.facts("a")!;
    expect(facts.rejected).toEqual([
      {
        eventId: second.event.id,
        type: "booking.created",
        reason: "business_id_conflict",
        businessId: "b-1",
        conflictsWith: first.event.id,
      },
    ]);
    expect(facts.bookings.get("b-1")).toMatchObject({ contractValue: 1000, service: "photography" });
    expect(facts).toMatchObject({ accepted: 1, unique: 2 });
    // The other way round, the other version stands: a conflict is the one thing arrival order decides.
    const reversed = factsOf([second, first]);
    expect(reversed.bookings.get("b-1")).toMatchObject({ contractValue: 7000, service: "florist" });
    expect(reversed.rejected.map((r) => [r.eventId, r.conflictsWith])).toEqual([[first.event.id, second.event.id]]);
  });

  it("keeps a category's latest allocation by occurredAt, ties going to the larger event id", () => {
    const items = [
      allocated("2026-03-01T10:00:00Z", 10_000, "00000000-0000-4000-8000-0000000000b2"),
      allocated("2026-02-01T10:00:00Z", 8_000),
      allocated("2026-03-01T10:00:00Z", 12_000, "00000000-0000-4000-8000-0000000000b1"),
    ];
    expect([...factsOf(items).allocations.values()].map((a) => a.amount)).toEqual([10_000]);
    expect([...factsOf(items.reverse()).allocations.values()].map((a) => a.amount)).toEqual([10_000]);
  });

  it("keeps a label whichever copy of its event arrives first, and drops it with a conflict", () => {
    const pay = paid("p-1", "2026-01-11T09:00:00Z", 300);
    const labelled: TruthInput = { ...pay, label: { class: "anomaly", kind: "duplicate-payment" } };
    const retry: TruthInput = { ...pay, label: { class: "exact-duplicate" } };
    const anomalies = factsOf([retry, labelled, resent(pay, "00000000-0000-4000-8000-0000000000fe")]).anomalies;
    expect(anomalies).toEqual([
      {
        eventId: pay.event.id,
        type: "payment.received",
        kind: "duplicate-payment",
        weddingId: "w-1",
        bookingId: "b-1",
      },
    ]);
    const other = paid("p-1", "2026-01-11T09:00:00Z", 999);
    expect(factsOf([other, labelled]).anomalies).toEqual([]);
  });

  it("converts an inquiry only into a booking of its wedding and service, whichever arrived first", () => {
    const inquiry = (inquiryId: string, service: string, weddingId?: string) =>
      item("inquiry.received", "2026-01-05T10:00:00Z", {
        inquiryId,
        service,
        channel: "website",
        ...(weddingId ? { weddingId } : {}),
      });
    const facts = factsOf([
      inquiry("i-1", "photography", "w-1"),
      inquiry("i-2", "florist", "w-1"),
      inquiry("i-3", "photography"),
      created("b-1", "2026-01-10T09:00:00Z"),
    ]);
    expect(facts.inquiries.map(conversionOf(facts))).toEqual([true, false, false]);
  });

  it("computes the facts when asked, and again after more items", () => {
    const replay = new EventReplay();
    replay.add(created("b-1", "2026-01-10T09:00:00Z"));
    const before = replay.facts("a")!;
    expect(replay.facts("a")).toBe(before);
    replay.add(paid("p-1", "2026-01-11T09:00:00Z", 300));
    expect(replay.facts("a")!.payments).toHaveLength(1);
    expect(before.payments).toHaveLength(0);
    expect(replay.facts("nobody")).toBeUndefined();
  });
});
