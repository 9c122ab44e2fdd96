import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionFor } from "./partition-for.ts";

describe("partitionFor", () => {
  it("is FNV-1a 32-bit of the UTF-8 bytes, modulo the partition count", () => {
    const mod = 2 ** 32 - 1;
    expect(partitionFor("", mod)).toBe(0x811c9dc5 % mod);
    expect(partitionFor("a", mod)).toBe(0xe40c292c % mod);
    expect(partitionFor("foobar", mod)).toBe(0xbf9cf968 % mod);
  });

  it("hashes non-ASCII keys by their UTF-8 bytes", () => {
    const mod = 2 ** 32 - 1;
    // FNV-1a of the bytes c3 a9 ("é").
    expect(partitionFor("é", mod)).toBe(0x1e9de8c1 % mod);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (key) => {
        expect(partitionFor(key, mod)).toBe(referenceFnv1a(Buffer.from(key, "utf8")) % mod);
      }),
    );
  });

  it("is stable and always within range", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 1, max: 256 }), (key, partitions) => {
        const partition = partitionFor(key, partitions);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitions);
        expect(partitionFor(key, partitions)).toBe(partition);
      }),
    );
  });

  it("spreads wedding ids over every partition", () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) {
      const partition = partitionFor(`wedding-${i}`, 8);
      counts[partition] = (counts[partition] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });
});

function referenceFnv1a(bytes: Buffer): number {
  let hash = 0x811c9dc5n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x01000193n) & 0xffffffffn;
  return Number(hash);
}
