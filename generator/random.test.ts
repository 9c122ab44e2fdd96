import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hashString, Rng, WeightedPicker } from "./random.ts";

describe("Rng", () => {
  it("repeats its sequence for a seed and differs across seeds", () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => rng.uint32());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(hashString("lens-and-light")).toBe(hashString("lens-and-light"));
    expect(hashString("a")).not.toBe(hashString("b"));
  });

  it("makes version-4 UUIDs that zod accepts, with the RFC 4122 variant", () => {
    const rng = new Rng(7);
    const uuids = Array.from({ length: 2000 }, () => rng.uuid());
    for (const uuid of uuids) {
      expect(z.uuid().safeParse(uuid).success).toBe(true);
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(uuids).size).toBe(uuids.length);
  });

  it("draws integers within inclusive bounds and floats in [0, 1)", () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const value = rng.int(-2, 2);
      expect(Number.isInteger(value)).toBe(true);
      seen.add(value);
      const float = rng.next();
      expect(float >= 0 && float < 1).toBe(true);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
  });

  it("has the distributions it claims", () => {
    const rng = new Rng(11);
    const n = 50_000;
    const normals = Array.from({ length: n }, () => rng.normal(10, 2));
    const mean = normals.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(normals.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
    const logs = Array.from({ length: n }, () => rng.logNormal(1500, 0.3)).sort((a, b) => a - b);
    expect(logs[n / 2]! / 1500).toBeCloseTo(1, 1);
    for (const lambda of [0.5, 4, 120]) {
      const counts = Array.from({ length: n }, () => rng.poisson(lambda));
      expect(counts.reduce((a, b) => a + b, 0) / n / lambda).toBeCloseTo(1, 1);
    }
    expect(rng.poisson(0)).toBe(0);
  });

  it("picks uniformly or by weight, and refuses empty or weightless choices", () => {
    const rng = new Rng(5);
    const picker = new WeightedPicker([
      ["a", 1],
      ["b", 3],
      ["never", 0],
    ] as const);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 40_000; i++) counts[picker.pick(rng)]++;
    expect(counts.never).toBe(0);
    expect(counts.b / counts.a).toBeCloseTo(3, 0);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(() => new WeightedPicker([["a", 0]])).toThrow(RangeError);
    expect(() => new WeightedPicker([["a", -1]])).toThrow(RangeError);
  });
});
