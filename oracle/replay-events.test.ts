import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import { conversionOf, EventReplay, replayEvents } from "./replay-events.ts";

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
const updated = (at: string, data: Record<string, unknown>) =>
  item("booking.updated", at, { bookingId: "b-1", weddingId: "w-1", ...data });
const allocated = (at: string, amount: number) =>
  item("budget.allocated", at, { weddingId: "w-1", category: "florist", amount: gbp(amount) });

describe("EventReplay", () => {
  it("keeps a booking's figures as last applied in log order, even from an update dated earlier", () => {
    const facts = replayEvents([
      created("b-1", "2026-01-10T09:00:00Z"),
      updated("2026-01-20T09:00:00Z", { contractValue: gbp(2000), guestCount: 150, weddingDate: "2027-07-10" }),
      updated("2026-01-15T09:00:00Z", { contractValue: gbp(3000), guestCount: 90, weddingDate: "2027-09-11" }),
    ]).get("a")!;
    expect(facts.bookings.get("b-1")).toMatchObject({ contractValue: 3000, guestCount: 90, weddingDate: "2027-09-11" });
    expect(facts.weddingDates.get("w-1")).toBe("2027-09-11");
  });

  it("keeps a category's latest allocation by occurredAt, ties going to the one later in the log", () => {
    const facts = replayEvents([
      allocated("2026-03-01T10:00:00Z", 10_000),
      allocated("2026-02-01T10:00:00Z", 8_000),
      allocated("2026-03-01T10:00:00Z", 12_000),
    ]).get("a")!;
    expect([...facts.allocations.values()].map((a) => a.amount)).toEqual([12_000]);
  });

  it("changes nothing for an update or cancellation before its booking, nor for a booking id created again", () => {
    const facts = replayEvents([
      updated("2026-01-01T09:00:00Z", { contractValue: gbp(5000) }),
      item("booking.cancelled", "2026-01-02T09:00:00Z", { bookingId: "b-1", weddingId: "w-1" }),
      created("b-1", "2026-01-10T09:00:00Z"),
      created("b-1", "2026-01-11T09:00:00Z", { contractValue: gbp(7000), service: "florist" }),
    ]).get("a")!;
    expect(facts.bookings.get("b-1")).toMatchObject({ contractValue: 1000, service: "photography", cancelled: false });
    expect(facts.accepted).toBe(4);
  });

  it("says what the pipeline does with each item", () => {
    const replay = new EventReplay();
    const booking = created("b-1", "2026-01-10T09:00:00Z");
    const pay = (amount: number, currency = "GBP") =>
      item("payment.received", "2026-01-11T09:00:00Z", {
        paymentId: `p-${amount}`,
        bookingId: "b-1",
        weddingId: "w-1",
        amount: { amount, currency },
        method: "card",
      });
    expect(
      [
        booking,
        booking,
        pay(100),
        pay(200, "EUR"),
        item("payment.refunded", "2026-01-12T09:00:00Z", {
          refundId: "r-1",
          paymentId: "p-100",
          bookingId: "b-1",
          weddingId: "w-1",
          amount: gbp(150),
        }),
      ].map((i) => replay.add(i)),
    ).toEqual(["accepted", "duplicate", "accepted", "rejected", "rejected"]);
    expect(replay.facts("a")!.rejected.map((r) => r.reason)).toEqual(["currency-mismatch", "refund-exceeds-paid"]);
    expect(replay.facts("a")!.payments).toEqual([
      expect.objectContaining({ amount: 100, bookingNetPaid: 100, bookingContractValue: 1000 }),
    ]);
  });

  it("converts an inquiry only into a booking of its wedding and service, whichever arrived first", () => {
    const inquiry = (inquiryId: string, service: string, weddingId?: string) =>
      item("inquiry.received", "2026-01-05T10:00:00Z", {
        inquiryId,
        service,
        channel: "website",
        ...(weddingId ? { weddingId } : {}),
      });
    const facts = replayEvents([
      inquiry("i-1", "photography", "w-1"),
      inquiry("i-2", "florist", "w-1"),
      inquiry("i-3", "photography"),
      created("b-1", "2026-01-10T09:00:00Z"),
    ]).get("a")!;
    expect(facts.inquiries.map(conversionOf(facts))).toEqual([true, false, false]);
  });
});
