import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLogEnvelope, encodeLogEnvelope, redriveOfIn, withRedriveOf } from "./log-message.ts";

const ID = "dl_0123456789abcdef01234567";

describe("log envelopes and redrives", () => {
  it("decodes an envelope written before redrives existed exactly as before, and one that names a redrive", () => {
    const envelope = { orgId: "org_1", receivedAt: "2026-06-02T09:30:00.000Z", event: { id: "e" } };
    expect(decodeLogEnvelope(encodeLogEnvelope(envelope))).toEqual({ ok: true, envelope });
    expect(decodeLogEnvelope(encodeLogEnvelope({ ...envelope, redriveOf: ID }))).toEqual({
      ok: true,
      envelope: { ...envelope, redriveOf: ID },
    });
  });

  it("adds redriveOf to a JSON object's bytes without touching the bytes before it, and overrides an earlier one", () => {
    // A number beyond double precision, a key order and a byte that is not UTF-8: re-serialising would change each.
    const original = Buffer.concat([
      Buffer.from('{"orgId":"org_1","n":12345678901234567890,"event":{"text":"'),
      Buffer.from([0xff]),
      Buffer.from('"}}  \n'),
    ]);
    const marked = withRedriveOf(original, ID);
    const close = original.lastIndexOf(0x7d);
    expect(marked.subarray(0, close)).toEqual(original.subarray(0, close));
    expect(marked.subarray(close)).toEqual(Buffer.from(`,"redriveOf":"${ID}"}  \n`));
    expect(redriveOfIn(marked)).toBe(ID);
    const again = withRedriveOf(marked, "dl_ffffffffffffffffffffffff");
    expect(redriveOfIn(again)).toBe("dl_ffffffffffffffffffffffff");
    expect(withRedriveOf(Buffer.from("{ }"), ID).toString()).toBe(`{ "redriveOf":"${ID}"}`);
  });

  it("leaves bytes that are not a JSON object as they are, and reads no redriveOf from them", () => {
    for (const text of ["[1, 2]", '"text"', "{ not JSON", "null", "42", ""]) {
      const bytes = Buffer.from(text);
      expect(withRedriveOf(bytes, ID)).toBe(bytes);
      expect(redriveOfIn(bytes)).toBeUndefined();
    }
  });

  it("keeps every JSON object's members and makes redriveOf its value, whatever the object", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const text = JSON.stringify(object);
        const marked = JSON.parse(withRedriveOf(Buffer.from(text), ID).toString());
        expect(marked).toEqual({ ...JSON.parse(text), redriveOf: ID });
      }),
      { numRuns: 300 },
    );
  });
});
