import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJournalRecord, encodeJournalRecord } from "./dedup-journal-record.ts";

describe("dedup journal record", () => {
  it("decodes exactly what it encoded", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme" }), { maxLength: 50 }),
        fc.integer({ min: 0, max: 2 ** 48 }),
        (keys, time) => {
          expect(decodeJournalRecord(encodeJournalRecord({ time, keys }))).toEqual({ time, keys });
        },
      ),
    );
  });

  it("rejects a value of an unknown format", () => {
    const encoded = encodeJournalRecord({ time: 1, keys: ["k"] });
    encoded.writeUInt8(9, 0);
    expect(() => decodeJournalRecord(encoded)).toThrow("unknown dedup journal record format 9");
  });
});
