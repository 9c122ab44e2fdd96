import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyFingerprintIndex, type KeyLocation } from "./key-fingerprint-index.ts";

/** Every location the index yields for a fingerprint, sorted by record. */
function locations(index: ReturnType<typeof createKeyFingerprintIndex>, fingerprint: number): KeyLocation[] {
  const found: KeyLocation[] = [];
  index.some(fingerprint, (location) => {
    found.push(location);
    return false;
  });
  return found.sort((a, b) => a.record - b.record);
}

describe("key fingerprint index", () => {
  it("behaves like a list of entries under any sequence of adds and removes", () => {
    // Few distinct fingerprints, many of them equal modulo the table size, and enough adds to grow the table:
    // long probe runs, wrap-around and backward shifts all happen.
    const fingerprint = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(4095, 8191, 2 ** 32 - 1, 2 ** 31));
    const operation = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constant("add" as const), fingerprint }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("remove" as const), fingerprint, pick: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 6000 }), (operations) => {
        const index = createKeyFingerprintIndex(1);
        const model: { fingerprint: number; record: number; timeSeconds: number }[] = [];
        let record = 2 ** 32 - 3; // crosses 2^32, so both halves of the stored record number matter
        for (const operation of operations) {
          if (operation.op === "add") {
            const entry = { fingerprint: operation.fingerprint, record: record++, timeSeconds: 1 + (record % 1000) };
            index.add(entry.fingerprint, entry);
            model.push(entry);
          } else {
            const candidates = model.filter((entry) => entry.fingerprint === operation.fingerprint);
            const victim = candidates[operation.pick % Math.max(1, candidates.length)];
            expect(index.remove(operation.fingerprint, victim?.record ?? -1)).toBe(victim !== undefined);
            if (victim) model.splice(model.indexOf(victim), 1);
          }
        }
        expect(index.size).toBe(model.length);
        for (const fp of new Set(model.map((entry) => entry.fingerprint))) {
          const expected = model
            .filter((entry) => entry.fingerprint === fp)
            .map(({ record: r, timeSeconds }) => ({ record: r, timeSeconds }));
          expect(locations(index, fp)).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("stops at the first location the visitor accepts", () => {
    const index = createKeyFingerprintIndex();
    for (const record of [1, 2, 3]) index.add(7, { record, timeSeconds: 10 });
    const seen: number[] = [];
    expect(
      index.some(7, ({ record }) => {
        seen.push(record);
        return record === 2;
      }),
    ).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(index.some(8, () => true)).toBe(false);
  });

  it("spreads similar keys and depends on its seed", () => {
    const a = createKeyFingerprintIndex(1);
    const b = createKeyFingerprintIndex(2);
    const keys = Array.from(
      { length: 10_000 },
      (_, i) => `org_1:00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    expect(new Set(keys.map((key) => a.fingerprint(key))).size).toBeGreaterThan(9_990);
    expect(new Set(keys.map((key) => a.fingerprint(key) & 0xfff)).size).toBeGreaterThan(3_600); // 4096 × (1 − e^(−10000/4096)) ≈ 3,740 if uniform
    expect(keys.filter((key) => a.fingerprint(key) === b.fingerprint(key)).length).toBeLessThan(5);
  });
});
