import { describe, expect, it } from "vitest";
import type { WedSyncEvent } from "../schemas/index.ts";
import { computeGroundTruth, GroundTruthBuilder } from "./ground-truth.ts";
import type { TruthInput } from "./replay-events.ts";
import { Rng } from "../generator/random.ts";

const rng = new Rng(1);
const GBP = (amount: number) => ({ amount, currency: "GBP" });

/** An event of the given type and data, with a fresh id. */
function event(type: WedSyncEvent["type"], occurredAt: string, data: Record<string, unknown>): WedSyncEvent {
  return { id: rng.uuid(), type, occurredAt, source: "test", data } as WedSyncEvent;
}

const wed = "wed-1";
const created = event("booking.created", "2026-01-15T10:00:00Z", {
  bookingId: "bk-1",
  weddingId: wed,
  supplierId: "sup-1",
  service: "photography",
  weddingDate: "2027-06-12",
  guestCount: 120,
  contractValue: GBP(100_000),
  region: "Yorkshire",
});

describe("computeGroundTruth", () => {
  it("values bookings at the contract value last applied, even one dated earlier, bucketed by creation day", () => {
    const truth = computeGroundTruth(
      [
        created,
        event("booking.updated", "2026-03-01T09:00:00Z", {
          bookingId: "bk-1",
          weddingId: wed,
          contractValue: GBP(130_000),
        }),
        event("booking.updated", "2026-03-01T09:00:00Z", {
          bookingId: "bk-1",
          weddingId: wed,
          contractValue: GBP(120_000),
        }),
        // Arrives last but says it occurred before the two above: the projections apply it last, so it wins.
        event("booking.updated", "2026-02-01T09:00:00Z", {
          bookingId: "bk-1",
          weddingId: wed,
          contractValue: GBP(110_000),
        }),
        event("booking.updated", "2026-04-01T09:00:00Z", { bookingId: "bk-1", weddingId: wed, guestCount: 140 }),
      ].map((e) => ({ orgKey: "a", event: e })),
    );
    const org = truth.orgs.a!;
    expect(org.totals.GBP).toMatchObject({ bookings: 1, contractValue: 110_000 });
    expect(org.revenueDaily).toEqual([
      {
        day: "2026-01-15",
        service: "photography",
        region: "Yorkshire",
        currency: "GBP",
        bookings: 1,
        contractValue: 110_000,
        paymentsReceived: 0,
        refunds: 0,
      },
    ]);
  });

  it("rejects what the pipeline dead-letters and counts it nowhere else", () => {
    const pay = (at: string, amount: number, currency = "GBP", bookingId = "bk-1") =>
      event("payment.received", at, {
        paymentId: rng.uuid(),
        bookingId,
        weddingId: wed,
        amount: { amount, currency },
        method: "card",
      });
    const refund = (at: string, amount: number) =>
      event("payment.refunded", at, {
        refundId: rng.uuid(),
        paymentId: "p",
        bookingId: "bk-1",
        weddingId: wed,
        amount: GBP(amount),
      });
    const events = [
      created,
      pay("2026-01-15T10:05:00Z", 30_000),
      pay("2026-01-16T10:00:00Z", 5_000, "EUR"),
      pay("2026-01-16T11:00:00Z", 5_000, "GBP", "bk-unknown"),
      event("booking.updated", "2026-01-17T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        contractValue: { amount: 1, currency: "EUR" },
      }),
      refund("2026-01-20T10:00:00Z", 40_000),
      refund("2026-01-21T10:00:00Z", 10_000),
      event("booking.cancelled", "2026-02-01T10:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        cancellationFee: { amount: 5, currency: "USD" },
      }),
      event("booking.cancelled", "2026-02-02T10:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        cancellationFee: GBP(500),
      }),
      pay("2026-02-03T10:00:00Z", 1_000),
      refund("2026-02-10T10:00:00Z", 20_000),
    ];
    const org = computeGroundTruth(events.map((e) => ({ orgKey: "a", event: e }))).orgs.a!;
    expect(org.rejected.map((r) => [r.eventId, r.reason])).toEqual([
      [events[2]!.id, "currency-mismatch"],
      [events[3]!.id, "unknown-booking"],
      [events[4]!.id, "currency-mismatch"],
      [events[5]!.id, "refund-exceeds-paid"],
      [events[7]!.id, "currency-mismatch"],
      [events[9]!.id, "cancelled-booking"],
    ]);
    expect(org.totals.GBP).toMatchObject({
      bookings: 1,
      cancelledBookings: 1,
      contractValue: 100_000,
      cancellationFees: 500,
      paymentsReceived: 30_000,
      refunds: 30_000,
    });
    expect(org.events).toMatchObject({ received: 11, unique: 11, accepted: 5 });
    expect(org.revenueDaily.map((row) => [row.day, row.paymentsReceived, row.refunds])).toEqual([
      ["2026-01-15", 30_000, 0],
      ["2026-01-21", 0, 10_000],
      ["2026-02-10", 0, 20_000],
    ]);
  });

  it("counts a repeated id once, keeps organisations apart and records labels", () => {
    const inquiry = event("inquiry.received", "2026-01-08T19:42:00Z", {
      inquiryId: "i-1",
      weddingId: wed,
      service: "photography",
      channel: "referral",
    });
    const lone = event("inquiry.received", "2026-01-09T19:42:00Z", {
      inquiryId: "i-2",
      service: "photography",
      channel: "referral",
    });
    const budget = (at: string, amount: number) =>
      event("budget.allocated", at, { weddingId: wed, category: "florist", amount: GBP(amount) });
    const expense = event("expense.recorded", "2026-05-01T10:00:00Z", {
      expenseId: "e-1",
      weddingId: wed,
      category: "florist",
      amount: GBP(9_000),
      incurredOn: "2026-05-01",
    });
    const items: TruthInput[] = [
      { orgKey: "a", event: inquiry },
      { orgKey: "a", event: lone },
      { orgKey: "a", event: created, label: { class: "anomaly", kind: "guest-count-over-capacity" } },
      { orgKey: "a", event: created, label: { class: "exact-duplicate" } },
      { orgKey: "a", event: budget("2026-02-01T10:00:00Z", 8_000) },
      { orgKey: "a", event: budget("2026-03-01T10:00:00Z", 10_000) },
      { orgKey: "a", event: expense },
      { orgKey: "b", event: created },
    ];
    const builder = new GroundTruthBuilder();
    for (const item of items.slice(0, 4)) builder.add(item);
    const early = builder.result();
    for (const item of items.slice(4)) builder.add(item);
    const truth = builder.result();
    expect(builder.result()).toEqual(truth);
    expect(early.orgs.a!.totals.GBP!.budgetAllocated).toBe(0);
    const a = truth.orgs.a!;
    expect(a.exactDuplicates).toBe(1);
    expect(a.events).toMatchObject({ received: 7, unique: 6, accepted: 6 });
    expect(a.totals.GBP).toMatchObject({ bookings: 1, budgetAllocated: 10_000, expenses: 9_000 });
    expect(a.inquiries).toEqual({ referral: { inquiries: 2, converted: 1 } });
    expect(a.anomalies).toEqual([
      {
        eventId: created.id,
        type: "booking.created",
        kind: "guest-count-over-capacity",
        weddingId: wed,
        bookingId: "bk-1",
      },
    ]);
    expect(a.anomalyCounts["guest-count-over-capacity"]).toBe(1);
    expect(truth.orgs.b!.totals.GBP).toMatchObject({ bookings: 1, contractValue: 100_000 });
    expect(a.firstOccurredAt).toBe("2026-01-08T19:42:00.000Z");
  });
});
