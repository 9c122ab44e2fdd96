import { describe, expect, it } from "vitest";
import { EventTally } from "./event-tally.ts";

describe("EventTally", () => {
  it("counts events by outcome and reason, adds tallies, and totals an outcome over its reasons", () => {
    const batch = new EventTally();
    batch.count("ok");
    batch.count("ok");
    batch.count("dead_lettered", "schema_invalid");
    batch.count("dead_lettered", "unknown_booking");
    batch.count("flagged", "overpayment");
    const process = new EventTally();
    process.add(batch);
    process.add(batch);

    expect(process.entries()).toEqual([
      { outcome: "ok", reason: "", events: 4 },
      { outcome: "dead_lettered", reason: "schema_invalid", events: 2 },
      { outcome: "dead_lettered", reason: "unknown_booking", events: 2 },
      { outcome: "flagged", reason: "overpayment", events: 2 },
    ]);
    expect(process.total("dead_lettered")).toBe(4);
    expect(process.total("dropped")).toBe(0);
    // A batch's lines are its own: adding it elsewhere does not change it.
    expect(batch.total("ok")).toBe(2);
  });
});
