import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, type Backoff } from "./retry-backoff.ts";

const BACKOFF: Backoff = { firstMs: 500, maxMs: 30_000 };

describe("backoffDelayMs", () => {
  it("doubles the ceiling with each retry up to the cap, and uses the whole range below it", () => {
    const ceiling = (retry: number) => backoffDelayMs(BACKOFF, retry, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(ceiling)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(backoffDelayMs(BACKOFF, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(BACKOFF, 3, () => 0.25)).toBe(500);
  });

  it("stays within [0, cap] for any retry count, however large", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, r) => {
          const delay = backoffDelayMs(BACKOFF, retry, () => r);
          return Number.isFinite(delay) && delay >= 0 && delay <= BACKOFF.maxMs;
        },
      ),
    );
  });

  it("jitters: delays of one retry spread over its range rather than bunching at one value", () => {
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(BACKOFF, 4));
    expect(Math.min(...delays)).toBeLessThan(1000);
    expect(Math.max(...delays)).toBeGreaterThan(3000);
    expect(delays.every((d) => d >= 0 && d <= 4000)).toBe(true);
  });
});
