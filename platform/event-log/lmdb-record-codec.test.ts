import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord } from "./lmdb-record-codec.ts";

describe("lmdb record codec", () => {
  it("decodes exactly what it encoded", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.integer({ min: 0, max: 2 ** 48 }),
        (key, bytes, timestamp) => {
          const value = Buffer.from(bytes);
          const decoded = decodeRecord(encodeRecord({ key, value, timestamp }));
          expect(decoded.key).toBe(key);
          expect(decoded.timestamp).toBe(timestamp);
          expect(decoded.value.equals(value)).toBe(true);
        },
      ),
    );
  });

  it("rejects a value of an unknown format", () => {
    const encoded = encodeRecord({ key: "k", value: Buffer.from("v"), timestamp: 1 });
    encoded.writeUInt8(9, 0);
    expect(() => decodeRecord(encoded)).toThrow("unknown event log record format 9");
  });
});
