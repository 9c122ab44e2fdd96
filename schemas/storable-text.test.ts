import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { EVENT_DATA_SCHEMAS, EVENT_TYPES, isStorableText, parseEvent } from "./index.ts";

const examples = JSON.parse(readFileSync(new URL("./examples/events.json", import.meta.url), "utf8")) as Record<
  string,
  any
>[];
const byType = (type: string) => structuredClone(examples.find((e) => e.type === type)!);

/** Every string field of a data schema, optional ones included, read off the schema so a new field is covered too. */
function stringFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, field]) => {
      let def = field.def as { type: string; innerType?: z.ZodType };
      while (def.type === "optional" && def.innerType) def = def.innerType.def as typeof def;
      return def.type === "string";
    })
    .map(([name]) => name);
}

/** Every text field of every event type: the envelope's source plus each string in data. */
const TEXT_FIELDS = EVENT_TYPES.flatMap((type) => [
  { type, path: ["source"] },
  ...stringFields(EVENT_DATA_SCHEMAS[type] as unknown as z.ZodObject).map((field) => ({ type, path: ["data", field] })),
]);

/** Strings built from arbitrary UTF-16 code units: lone surrogates, NUL and every control character included. */
const codeUnitStrings = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0xd800, 0xdbff, 0xdc00, 0xdfff)), {
    minLength: 1,
    maxLength: 70,
  })
  .map((units) => String.fromCharCode(...units));

const setAt = (event: Record<string, any>, path: string[], value: string) => {
  if (path.length === 1) event[path[0]!] = value;
  else event[path[0]!][path[1]!] = value;
};

describe("text the stores cannot hold", () => {
  it("covers every string field of every type, free text and ids alike", () => {
    const names = TEXT_FIELDS.map((f) => `${f.type}:${f.path.join(".")}`);
    for (const expected of [
      "booking.created:data.region",
      "booking.cancelled:data.reason",
      "expense.recorded:data.vendor",
      "payment.received:source",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("is refused at the exact path in every text field, and whatever is accepted is storable", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TEXT_FIELDS), codeUnitStrings, ({ type, path }, text) => {
        const event = byType(type);
        setAt(event, path, text);
        const outcome = parseEvent(event);
        if (outcome.ok) {
          expect(isStorableText(text)).toBe(true);
          expect(JSON.parse(JSON.stringify(outcome.event))).toEqual(outcome.event);
        } else if (!isStorableText(text)) {
          expect(outcome.errors.map((e) => e.path)).toContain(`$.${path.join(".")}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("names the rule broken: a NUL character or an unpaired surrogate", () => {
    const booking = byType("booking.created");
    booking.data.region = "a\u0000b";
    booking.source = "src\ud800";
    booking.data.venueId = "v\udc00x";
    expect(parseEvent(booking)).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        { path: "$.data.region", message: "must not contain NUL (\\u0000) characters" },
        { path: "$.source", message: "must be well-formed Unicode (it holds an unpaired UTF-16 surrogate)" },
        { path: "$.data.venueId", message: "must be well-formed Unicode (it holds an unpaired UTF-16 surrogate)" },
      ]),
    });
  });

  it("accepts well-formed text beyond the basic plane and control characters free text may hold", () => {
    const cancelled = byType("booking.cancelled");
    cancelled.data.reason = "moved 💍 abroad\tto Zürich\nnext year";
    expect(parseEvent(cancelled).ok).toBe(true);
    expect(isStorableText("😀")).toBe(true);
    expect(isStorableText("\ud83d")).toBe(false);
    expect(isStorableText("\u0000")).toBe(false);
  });
});
