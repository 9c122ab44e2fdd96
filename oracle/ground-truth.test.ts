import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import { computeGroundTruth, GroundTruthBuilder, type DailyRevenue } from "./ground-truth.ts";
import type { TruthInput } from "./replay-events.ts";

const wed = "wed-1";
const created = item("booking.created", "2026-01-15T10:00:00Z", {
  bookingId: "bk-1",
  weddingId: wed,
  supplierId: "sup-1",
  service: "photography",
  weddingDate: "2027-06-12",
  guestCount: 120,
  contractValue: gbp(100_000),
  region: "Yorkshire",
});
const pay = (paymentId: string, at: string, amount: number, currency = "GBP", bookingId = "bk-1") =>
  item("payment.received", at, { paymentId, bookingId, weddingId: wed, amount: { amount, currency }, method: "card" });
const refund = (refundId: string, at: string, amount: number, paymentId = "p-1") =>
  item("payment.refunded", at, { refundId, paymentId, bookingId: "bk-1", weddingId: wed, amount: gbp(amount) });

/** A daily revenue row with zeros where not given. */
const day = (
  date: string,
  service: string,
  region: string | null,
  currency: string,
  figures: Partial<DailyRevenue>,
): DailyRevenue => ({
  day: date,
  service,
  region,
  currency,
  bookings: 0,
  contractValue: 0,
  paymentsReceived: 0,
  refunds: 0,
  cancelledBookings: 0,
  releasedContractValue: 0,
  cancellationFees: 0,
  ...figures,
});

describe("computeGroundTruth", () => {
  it("values bookings at their current contract value by occurrence, bucketed by creation day", () => {
    const items = [
      created,
      item("booking.updated", "2026-03-01T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        contractValue: gbp(130_000),
      }),
      // Arrives last but occurred before the one above: it changes nothing.
      item("booking.updated", "2026-02-01T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        contractValue: gbp(110_000),
      }),
    ];
    const org = computeGroundTruth(items).orgs.a!;
    expect(org.totals.GBP).toMatchObject({ bookings: 1, contractValue: 130_000 });
    expect(org.revenueDaily).toEqual([
      day("2026-01-15", "photography", "Yorkshire", "GBP", { bookings: 1, contractValue: 130_000 }),
    ]);
  });

  it("counts every payment and refund in its own currency and day, unlinked ones under no service or region", () => {
    const items = [
      pay("p-1", "2026-01-15T10:05:00Z", 30_000),
      pay("p-2", "2026-01-16T10:00:00Z", 5_000, "EUR"),
      pay("p-3", "2026-01-16T11:00:00Z", 7_000, "GBP", "bk-unknown"),
      refund("r-1", "2026-01-20T10:00:00Z", 40_000),
      refund("r-2", "2026-01-21T10:00:00Z", 1_000, "p-unknown"),
      created,
    ];
    const org = computeGroundTruth(items).orgs.a!;
    expect(org.rejected).toEqual([]);
    expect(org.events).toMatchObject({ received: 6, unique: 6, accepted: 6 });
    expect(org.totals).toEqual({
      EUR: expect.objectContaining({ bookings: 0, paymentsReceived: 5_000 }),
      GBP: expect.objectContaining({ bookings: 1, paymentsReceived: 37_000, refunds: 41_000 }),
    });
    expect(org.revenueDaily).toEqual([
      day("2026-01-15", "photography", "Yorkshire", "GBP", {
        bookings: 1,
        contractValue: 100_000,
        paymentsReceived: 30_000,
      }),
      day("2026-01-16", "", null, "GBP", { paymentsReceived: 7_000 }),
      day("2026-01-16", "photography", "Yorkshire", "EUR", { paymentsReceived: 5_000 }),
      day("2026-01-20", "photography", "Yorkshire", "GBP", { refunds: 40_000 }),
      day("2026-01-21", "photography", "Yorkshire", "GBP", { refunds: 1_000 }),
    ]);
  });

  it("counts a cancelled booking again on the day of the cancellation that counts, with its fee in its currency", () => {
    const cancel = (at: string, fee?: { amount: number; currency: string }) =>
      item("booking.cancelled", at, { bookingId: "bk-1", weddingId: wed, ...(fee ? { cancellationFee: fee } : {}) });
    const withFee = computeGroundTruth([
      cancel("2026-03-05T10:00:00Z", gbp(900)),
      created,
      cancel("2026-03-02T10:00:00Z", { amount: 500, currency: "EUR" }),
      item("booking.updated", "2026-04-01T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: wed,
        contractValue: gbp(90_000),
      }),
    ]).orgs.a!;
    expect(withFee.revenueDaily).toEqual([
      day("2026-01-15", "photography", "Yorkshire", "GBP", { bookings: 1, contractValue: 90_000 }),
      day("2026-03-02", "photography", "Yorkshire", "EUR", { cancellationFees: 500 }),
      day("2026-03-02", "photography", "Yorkshire", "GBP", { cancelledBookings: 1, releasedContractValue: 90_000 }),
    ]);
    expect(withFee.totals.GBP).toMatchObject({
      cancelledBookings: 1,
      releasedContractValue: 90_000,
      cancellationFees: 0,
    });
    expect(withFee.totals.EUR).toMatchObject({ cancellationFees: 500, bookings: 0 });
    const noFee = computeGroundTruth([created, cancel("2026-03-02T10:00:00Z")]).orgs.a!;
    expect(noFee.revenueDaily.at(-1)).toEqual(
      day("2026-03-02", "photography", "Yorkshire", "GBP", { cancelledBookings: 1, releasedContractValue: 100_000 }),
    );
    // A cancellation of a booking never created contributes nothing.
    expect(computeGroundTruth([cancel("2026-03-02T10:00:00Z", gbp(900))]).orgs.a!.revenueDaily).toEqual([]);
  });

  it("counts a repeated id and a business id re-sent under a new id once, and records labels", () => {
    const inquiry = item("inquiry.received", "2026-01-08T19:42:00Z", {
      inquiryId: "i-1",
      weddingId: wed,
      service: "photography",
      channel: "referral",
    });
    const lone = item("inquiry.received", "2026-01-09T19:42:00Z", {
      inquiryId: "i-2",
      service: "photography",
      channel: "referral",
    });
    const budget = (at: string, amount: number) =>
      item("budget.allocated", at, { weddingId: wed, category: "florist", amount: gbp(amount) });
    const expense = item("expense.recorded", "2026-05-01T10:00:00Z", {
      expenseId: "e-1",
      weddingId: wed,
      category: "florist",
      amount: gbp(9_000),
      incurredOn: "2026-05-01",
    });
    const resentExpense: TruthInput = {
      ...expense,
      event: { ...expense.event, id: "00000000-0000-4000-8000-00000000e1e1" },
      label: { class: "resend", of: expense.event.id },
    };
    const items: TruthInput[] = [
      inquiry,
      lone,
      { ...created, label: { class: "anomaly", kind: "guest-count-over-capacity" } },
      { ...created, label: { class: "exact-duplicate" } },
      budget("2026-03-01T10:00:00Z", 10_000),
      budget("2026-02-01T10:00:00Z", 8_000),
      expense,
      resentExpense,
      { orgKey: "b", event: created.event },
    ];
    const builder = new GroundTruthBuilder();
    for (const i of items.slice(0, 4)) builder.add(i);
    const early = builder.result();
    for (const i of items.slice(4)) builder.add(i);
    const truth = builder.result();
    expect(builder.result()).toEqual(truth);
    expect(early.orgs.a!.totals.GBP!.budgetAllocated).toBe(0);
    const a = truth.orgs.a!;
    expect(a).toMatchObject({ exactDuplicates: 1, resends: 1 });
    expect(a.events).toMatchObject({ received: 8, unique: 7, accepted: 6 });
    expect(a.totals.GBP).toMatchObject({ bookings: 1, budgetAllocated: 10_000, expenses: 9_000 });
    expect(a.inquiries).toEqual({ referral: { inquiries: 2, converted: 1 } });
    expect(a.anomalies).toEqual([
      {
        eventId: created.event.id,
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
