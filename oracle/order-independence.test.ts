import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arrivalOrder } from "../generator/arrival-order.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { expectedAnomalies, type AnomalyOptions } from "./expected-anomalies.ts";
import { computeGroundTruth } from "./ground-truth.ts";
import { replayEvents } from "./replay-events.ts";

/**
 * Small worlds of two organisations, with every kind of fault the generator injects, both kinds of re-send, and
 * cancellations, changes and refunds, at rates far above the realistic ones so that each permutation moves plenty of
 * them around.
 */
const often = { cancellationRate: 0.3, updateRate: 0.6, goodwillRefundRate: 0.3 };
const worlds: GeneratedItem[][] = [11, 12, 13].map((seed) => [
  ...generateWeddingData({
    seed,
    organisations: [
      { ...ORG_PRESETS.soloFlorist, ...often, weddingsPerYear: 25 },
      { ...ORG_PRESETS.venueGroup, ...often, weddingsPerYear: 12 },
    ],
    from: "2025-01-01",
    to: "2026-06-30",
    anomalyRate: 0.4,
    mismatchRate: 0.4,
    duplicateRate: 0.05,
    resendRate: 0.05,
  }),
]);

const OPTIONS: AnomalyOptions = {
  duplicatePaymentWindowMs: 24 * 3_600_000,
  orphans: { graceMs: 86_400_000, now: Date.parse("2026-07-01T00:00:00Z") },
};

/** Everything the oracle says of a set of items in one arrival order. */
function verdict(items: readonly GeneratedItem[]) {
  const facts = replayEvents(items);
  return {
    facts,
    truth: computeGroundTruth(items),
    anomalies: Object.fromEntries([...facts].map(([orgKey, f]) => [orgKey, expectedAnomalies(f, OPTIONS)])),
  };
}

const generated = worlds.map(verdict);

describe("the oracle's facts depend on the set of events, not on their arrival order", () => {
  it("has worlds worth permuting: faults of every kind, re-sends, orphans and cancellations", () => {
    for (const [i, world] of worlds.entries()) {
      const labels = new Set(
        world.map((item) => (item.label?.class === "anomaly" ? item.label.kind : item.label?.class)),
      );
      expect(labels.size).toBeGreaterThan(8);
      expect(labels).toContain("resend");
      const cancellations = world.filter((item) => item.event.type === "booking.cancelled").map((item) => item.event);
      const cancelledTwice = cancellations.filter(
        (e, j) =>
          cancellations.findIndex(
            (c) => (c.data as { bookingId: string }).bookingId === (e.data as { bookingId: string }).bookingId,
          ) !== j,
      );
      expect(cancelledTwice.length).toBeGreaterThan(0);
      expect(Object.values(generated[i]!.anomalies).flatMap((list) => list.map((a) => a.kind))).toContain(
        "orphan_payment",
      );
    }
  });

  it("gives the same facts, ground truth and anomalies for any permutation of generated weddings", () => {
    const world = fc.nat(worlds.length - 1);
    const permuted = world.chain((i) =>
      fc.tuple(
        fc.constant(i),
        fc.shuffledSubarray(worlds[i]!, { minLength: worlds[i]!.length, maxLength: worlds[i]!.length }),
      ),
    );
    fc.assert(
      fc.property(permuted, ([i, items]) => {
        expect(verdict(items)).toEqual(generated[i]);
      }),
      { numRuns: 40 },
    );
  });

  it("gives the same for the generator's own arrival orders, realistic and random", () => {
    fc.assert(
      fc.property(
        fc.nat(worlds.length - 1),
        fc.integer(),
        fc.constantFrom("realistic", "random"),
        (i, seed, shuffle) => {
          const order = arrivalOrder(worlds[i]!, {
            seed,
            shuffle: shuffle as "realistic" | "random",
            maxDelayDays: 120,
          });
          expect(verdict(order)).toEqual(generated[i]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
