import { describe, expect, it } from "vitest";
import { EVENT_TYPES, parseEvent, type WedSyncEvent } from "../schemas/index.ts";
import { generateWeddingData } from "./generate-wedding-data.ts";
import { makeSchemaInvalid, SCHEMA_FAULTS } from "./mutate-events.ts";
import { ORG_PRESETS } from "./org-profiles.ts";
import { Rng } from "./random.ts";

/** One generated event of every type, plus an update and a cancellation without money. */
function samples(): WedSyncEvent[] {
  const events = [
    ...generateWeddingData({
      seed: 9,
      organisations: [ORG_PRESETS.venueGroup],
      from: "2025-01-01",
      to: "2026-06-30",
      scale: 0.2,
    }),
  ].map((item) => item.event);
  const one = EVENT_TYPES.map((type) => events.find((event) => event.type === type)!);
  const moneyless = events.filter(
    (event) =>
      (event.type === "booking.updated" && event.data.contractValue === undefined) ||
      (event.type === "booking.cancelled" && event.data.cancellationFee === undefined),
  );
  return [...one, ...moneyless.slice(0, 2)];
}

describe("makeSchemaInvalid", () => {
  const events = samples();
  const rng = new Rng(2);

  it("breaks a copy in exactly the labelled way and names the path parseEvent reports", () => {
    expect(events.every((event) => event !== undefined)).toBe(true);
    for (const event of events) {
      const before = JSON.stringify(event);
      for (const fault of SCHEMA_FAULTS) {
        const hasMoney = ["contractValue", "amount", "budget", "cancellationFee"].some((field) => field in event.data);
        if ((fault === "float-money" || fault === "bad-currency") && !hasMoney) {
          expect(() => makeSchemaInvalid(event, rng, fault)).toThrow(RangeError);
          continue;
        }
        for (let i = 0; i < 4; i++) {
          const broken = makeSchemaInvalid(event, rng, fault);
          expect(broken.fault).toBe(fault);
          const outcome = parseEvent(JSON.parse(JSON.stringify(broken.value)));
          expect(outcome.ok, `${event.type} ${fault}`).toBe(false);
          if (!outcome.ok)
            expect(
              outcome.errors.map((error) => error.path),
              `${event.type} ${fault}`,
            ).toContain(broken.path);
        }
      }
      expect(JSON.stringify(event)).toBe(before);
    }
  });

  it("draws only faults that apply when none is asked for", () => {
    for (let i = 0; i < 200; i++) {
      const event = rng.pick(events);
      const broken = makeSchemaInvalid(event, rng);
      expect(parseEvent(broken.value).ok).toBe(false);
    }
  });
});
