import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import {
  expectedConversion,
  expectedPeriodComparison,
  expectedReceivables,
  expectedSupplierPerformance,
} from "./expected-named-analytics.ts";
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
  // For a booking that does not exist: money that moved, counted with no supplier.
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

  it("counts each event once, and every payment whatever its booking", () => {
    expect(facts.payments.map((p) => [p.amount, p.supplierId])).toEqual([
      [300, "s-1"],
      [300, "s-1"],
      [500, "s-1"],
      [50, null],
    ]);
    expect(facts.bookings[0]).toMatchObject({ paid: 1100, contractValue: 1000 });
  });

  it("holds the anomalies the rules hold open on the converged state", () => {
    expect(facts.flags.map((f) => [f.kind, f.subject, f.bookingId])).toEqual([
      ["duplicate_payment", "p-2", "b-1"],
      ["overpayment", "b-1", "b-1"],
    ]);
  });

  it("answers supplier performance with unlinked money under no supplier, and owes nothing on an overpaid booking", () => {
    expect(expectedSupplierPerformance(facts, { from: "2026-01-01", to: "2026-03-31" })).toEqual([
      {
        supplierId: null,
        currency: "GBP",
        bookings: 0,
        contractValue: 0,
        cancellations: 0,
        paymentsReceived: 50,
        refunds: 0,
        anomalies: 0,
      },
      {
        supplierId: "s-1",
        currency: "GBP",
        bookings: 1,
        contractValue: 1000,
        cancellations: 0,
        paymentsReceived: 1100,
        refunds: 0,
        anomalies: 2,
      },
    ]);
    expect(expectedReceivables(facts, { asOf: "2026-03-15" })).toEqual([]);
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
      { currency: "GBP", current: 550, previous: 600, change: -50, relativeChange: -50 / 600 },
    ]);
    expect(expectedPeriodComparison(facts, "bookings", january, march)).toEqual([
      { currency: "GBP", current: 1, previous: 0, change: 1, relativeChange: null },
    ]);
  });
});
