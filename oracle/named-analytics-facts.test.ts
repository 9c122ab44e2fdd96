import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import { expectedConversion, expectedPeriodComparison } from "./expected-named-analytics.ts";
import { namedFacts } from "./named-analytics-facts.ts";
import { replayEvents } from "./replay-events.ts";

const booking = (bookingId: string, service: string, at: string) =>
  item("booking.created", at, {
    bookingId,
    weddingId: "w-1",
    supplierId: "s-1",
    service,
    weddingDate: "2026-09-05",
    guestCount: 90,
    contractValue: gbp(1000),
  });
const payment = (paymentId: string, amount: number, at: string) =>
  item("payment.received", at, { paymentId, bookingId: "b-1", weddingId: "w-1", amount: gbp(amount), method: "card" });

const items = [
  booking("b-1", "photography", "2026-01-10T10:00:00Z"),
  payment("p-1", 300, "2026-01-10T11:00:00Z"),
  // The same amount 20 hours later: a duplicate payment.
  payment("p-2", 300, "2026-01-11T07:00:00Z"),
  // Paid 1100 of 1000: an overpayment.
  payment("p-3", 500, "2026-03-01T10:00:00Z"),
  // For a booking that does not exist: rejected, so counted nowhere.
  item("payment.received", "2026-03-02T10:00:00Z", {
    paymentId: "p-x",
    bookingId: "b-none",
    weddingId: "w-1",
    amount: gbp(50),
    method: "cash",
  }),
  // Of the same wedding: one asks for the booked service (converted), one for another (not).
  item("inquiry.received", "2026-01-05T10:00:00Z", {
    inquiryId: "i-1",
    weddingId: "w-1",
    service: "photography",
    channel: "website",
  }),
  item("inquiry.received", "2026-01-06T10:00:00Z", {
    inquiryId: "i-2",
    weddingId: "w-1",
    service: "florist",
    channel: "website",
  }),
  item("inquiry.received", "2026-01-07T10:00:00Z", { inquiryId: "i-3", service: "photography", channel: "social" }),
];

describe("namedFacts", () => {
  const facts = namedFacts(replayEvents([...items, items[1]!]).get("a")!, { duplicatePaymentWindowMs: 24 * 3_600_000 });

  it("counts each accepted event once and rejected ones nowhere", () => {
    expect(facts.payments.map((p) => p.amount)).toEqual([300, 300, 500]);
    expect(facts.bookings[0]).toMatchObject({ paid: 1100, contractValue: 1000 });
  });

  it("raises the flags the detectors raise", () => {
    expect(facts.flags.map((f) => [f.kind, f.bookingId])).toEqual([
      ["duplicate_payment", "b-1"],
      ["overpayment", "b-1"],
    ]);
  });

  it("converts an inquiry only into a booking of its wedding and service", () => {
    expect(expectedConversion(facts, { from: "2026-01-01", to: "2026-01-31", by: "channel" })).toEqual([
      { channel: "social", inquiries: 1, converted: 0, rate: 0 },
      { channel: "website", inquiries: 2, converted: 1, rate: 0.5 },
    ]);
  });

  it("compares periods, with no relative change on a zero base", () => {
    const january = { from: "2026-01-01", to: "2026-01-31" };
    const march = { from: "2026-03-01", to: "2026-03-31" };
    expect(expectedPeriodComparison(facts, "paymentsReceived", march, january)).toEqual([
      { currency: "GBP", current: 500, previous: 600, change: -100, relativeChange: -100 / 600 },
    ]);
    expect(expectedPeriodComparison(facts, "bookings", january, march)).toEqual([
      { currency: "GBP", current: 1, previous: 0, change: 1, relativeChange: null },
    ]);
  });
});
