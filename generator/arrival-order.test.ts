import { describe, expect, it } from "vitest";
import { arrivalOrder } from "./arrival-order.ts";
import { generateWeddingData } from "./generate-wedding-data.ts";
import type { GeneratedItem } from "./generated-item.ts";
import { ORG_PRESETS } from "./org-profiles.ts";

const items: GeneratedItem[] = [
  ...generateWeddingData({
    seed: 3,
    organisations: [{ ...ORG_PRESETS.venueGroup, weddingsPerYear: 150 }, ORG_PRESETS.soloFlorist],
    from: "2025-01-01",
    to: "2026-12-31",
    duplicateRate: 0.02,
    resendRate: 0.02,
  }),
];

/** Ids of the items in order. */
const ids = (list: GeneratedItem[]) => list.map((item) => `${item.event.id}/${item.label?.class ?? ""}`);

/** How many times an event of `later` type arrived before the `earlier` event it refers to (by a key of each). */
function overtakings(
  list: GeneratedItem[],
  earlier: (item: GeneratedItem) => string | undefined,
  later: (item: GeneratedItem) => string | undefined,
): number {
  const arrived = new Set<string>();
  let count = 0;
  for (const item of list) {
    const key = earlier(item);
    if (key !== undefined) arrived.add(key);
    const ref = later(item);
    if (ref !== undefined && !arrived.has(ref)) count++;
  }
  return count;
}

const field = (type: string, name: string) => (item: GeneratedItem) =>
  item.event.type === type ? (item.event.data as unknown as Record<string, string>)[name] : undefined;

describe("arrivalOrder", () => {
  it("reorders without dropping or adding, the same way for a seed and differently for another", () => {
    for (const shuffle of ["realistic", "random"] as const) {
      const order = arrivalOrder(items, { seed: 1, shuffle });
      expect(ids(order).sort()).toEqual(ids(items).sort());
      expect(ids(order)).not.toEqual(ids(items));
      expect(arrivalOrder(items, { seed: 1, shuffle })).toEqual(order);
      expect(ids(arrivalOrder(items, { seed: 2, shuffle }))).not.toEqual(ids(order));
    }
  });

  it("lets payments overtake their booking, updates their create and refunds their payment, realistically", () => {
    const order = arrivalOrder(items, { seed: 1 });
    const created = field("booking.created", "bookingId");
    const paid = field("payment.received", "paymentId");
    expect(overtakings(order, created, field("payment.received", "bookingId"))).toBeGreaterThan(10);
    // An update comes weeks after its booking, a refund weeks after its payment: overtaking them takes long hold-backs
    // (a late import of a year's records), more of them than by default.
    const offline = arrivalOrder(items, { seed: 1, offlineShare: 0.3, maxDelayDays: 365 });
    expect(overtakings(offline, created, field("booking.updated", "bookingId"))).toBeGreaterThan(0);
    expect(overtakings(offline, paid, field("payment.refunded", "paymentId"))).toBeGreaterThan(0);
    // … while most items arrive in the order they occurred.
    const inOrder = order.filter(
      (item, i) => i === 0 || Date.parse(item.event.occurredAt) >= Date.parse(order[i - 1]!.event.occurredAt),
    );
    expect(inOrder.length / order.length).toBeGreaterThan(0.8);
    expect(overtakings(items, created, field("payment.received", "bookingId"))).toBe(0);
  });

  it("holds items back only as asked", () => {
    const prompt = arrivalOrder(items, { seed: 1, queuedShare: 0, offlineShare: 0 });
    const created = field("booking.created", "bookingId");
    expect(overtakings(prompt, created, field("booking.updated", "bookingId"))).toBe(0);
    expect(() => arrivalOrder(items, { seed: 1, queuedShare: 0.8, offlineShare: 0.3 })).toThrow(RangeError);
  });
});
