import { describe, expect, it } from "vitest";
import { gbp, item } from "../test/support/oracle-items.ts";
import { expectedAnomalies, timedAnomalies, type AnomalyOptions } from "./expected-anomalies.ts";
import { replayEvents, type TruthInput } from "./replay-events.ts";

const HOUR = 3_600_000;
const WINDOW = { duplicatePaymentWindowMs: 24 * HOUR };

const created = (bookingId: string, at: string, contract = 1000) =>
  item("booking.created", at, {
    bookingId,
    weddingId: "w-1",
    supplierId: "s-1",
    service: "photography",
    weddingDate: "2027-06-12",
    guestCount: 100,
    contractValue: gbp(contract),
  });
const paid = (paymentId: string, at: string, amount: number, currency = "GBP", bookingId = "b-1") =>
  item("payment.received", at, {
    paymentId,
    bookingId,
    weddingId: "w-1",
    amount: { amount, currency },
    method: "card",
  });
const refunded = (refundId: string, paymentId: string, at: string, amount: number, currency = "GBP") =>
  item("payment.refunded", at, {
    refundId,
    paymentId,
    bookingId: "b-1",
    weddingId: "w-1",
    amount: { amount, currency },
  });
const cancelled = (at: string, fee?: { amount: number; currency: string }, bookingId = "b-1") =>
  item("booking.cancelled", at, { bookingId, weddingId: "w-1", ...(fee ? { cancellationFee: fee } : {}) });

/** The anomalies of org "a" after the items, as [kind, subject, bookingId]. */
const anomaliesOf = (items: TruthInput[], options: AnomalyOptions = WINDOW) =>
  expectedAnomalies(replayEvents(items).get("a")!, options).map((a) => [a.kind, a.subject, a.bookingId]);

describe("expectedAnomalies: the rules on the converged state", () => {
  it("flags an overpayment on the booking, judged against its current contract value", () => {
    const items = [created("b-1", "2026-01-10T09:00:00Z"), paid("p-1", "2026-01-11T09:00:00Z", 1200)];
    expect(anomaliesOf(items)).toEqual([["overpayment", "b-1", "b-1"]]);
    // A raise dated later, arriving first, clears it; a refund would too.
    const raise = item("booking.updated", "2026-02-01T09:00:00Z", {
      bookingId: "b-1",
      weddingId: "w-1",
      contractValue: gbp(1500),
    });
    expect(anomaliesOf([raise, ...items])).toEqual([]);
    expect(anomaliesOf([...items, refunded("r-1", "p-1", "2026-01-12T09:00:00Z", 300)])).toEqual([]);
    const [flag] = timedAnomalies(replayEvents(items).get("a")!, WINDOW);
    expect(flag!.at).toBe(Date.parse("2026-01-11T09:00:00Z"));
  });

  it("flags a duplicate payment within the window on the later one by (occurredAt, paymentId), nearest first", () => {
    const at = "2026-01-11T09:00:00Z";
    const items = [
      created("b-1", "2026-01-10T09:00:00Z", 10_000),
      paid("p-b", at, 300),
      paid("p-a", at, 300),
      paid("p-c", "2026-01-12T08:00:00Z", 300),
      paid("p-d", "2026-01-14T09:00:00Z", 300),
      paid("p-e", "2026-01-14T10:00:00Z", 300, "EUR"),
      paid("p-f", "2026-01-14T11:00:00Z", 300, "GBP", "b-unknown"),
    ];
    expect(anomaliesOf(items)).toEqual([
      ["currency_mismatch", "p-e", "b-1"],
      ["duplicate_payment", "p-b", "b-1"],
      ["duplicate_payment", "p-c", "b-1"],
    ]);
    expect(anomaliesOf(items, { duplicatePaymentWindowMs: 0 })).toEqual([
      ["currency_mismatch", "p-e", "b-1"],
      ["duplicate_payment", "p-b", "b-1"],
    ]);
  });

  it("flags refunds above their payment, in the payment's currency, whatever booking they name", () => {
    const items = [
      paid("p-1", "2026-01-11T09:00:00Z", 500),
      refunded("r-1", "p-1", "2026-01-12T09:00:00Z", 300),
      refunded("r-2", "p-1", "2026-01-13T09:00:00Z", 100),
      refunded("r-3", "p-1", "2026-01-13T10:00:00Z", 900, "EUR"),
    ];
    expect(anomaliesOf(items)).toEqual([]);
    expect(anomaliesOf([...items, refunded("r-4", "p-1", "2026-01-14T09:00:00Z", 101)])).toEqual([
      ["refund_exceeds_paid", "p-1", null],
    ]);
  });

  it("flags a payment that occurred after the cancellation that counts, and money in another currency", () => {
    const items = [
      created("b-1", "2026-01-10T09:00:00Z"),
      paid("p-1", "2026-01-11T09:00:00Z", 100),
      cancelled("2026-03-01T09:00:00Z", { amount: 50, currency: "EUR" }),
      cancelled("2026-02-01T09:00:00Z"),
      paid("p-2", "2026-02-15T09:00:00Z", 100),
      refunded("r-1", "p-1", "2026-02-16T09:00:00Z", 80, "USD"),
    ];
    const cancellationInEuros = items[2]!.event.id;
    expect(anomaliesOf(items)).toEqual([
      ["currency_mismatch", cancellationInEuros, "b-1"],
      ["currency_mismatch", "r-1", "b-1"],
      ["payment_after_cancellation", "p-2", "b-1"],
    ]);
  });

  it("holds orphans open only with a clock, once received the grace period ago, until their referent exists", () => {
    const orphan = paid("p-1", "2026-01-11T09:00:00Z", 100);
    const lone = refunded("r-1", "p-x", "2026-01-12T09:00:00Z", 50);
    const update = item("booking.updated", "2026-01-13T09:00:00Z", {
      bookingId: "b-1",
      weddingId: "w-1",
      guestCount: 9,
    });
    const items = [orphan, lone, update];
    expect(anomaliesOf(items)).toEqual([]);
    const now = Date.parse("2026-01-14T09:00:00Z");
    const clock = { graceMs: 24 * HOUR, now };
    expect(anomaliesOf(items, { ...WINDOW, orphans: clock })).toEqual([
      ["orphan_payment", "p-1", null],
      ["orphan_refund", "r-1", null],
      ["orphan_update", update.event.id, null],
    ]);
    const receivedAt = new Map([[update.event.id, now - HOUR]]);
    expect(anomaliesOf(items, { ...WINDOW, orphans: { ...clock, receivedAt } }).map(([kind]) => kind)).toEqual([
      "orphan_payment",
      "orphan_refund",
    ]);
    expect(anomaliesOf([...items, created("b-1", "2026-01-10T09:00:00Z")], { ...WINDOW, orphans: clock })).toEqual([
      ["orphan_refund", "r-1", "b-1"],
    ]);
  });
});
