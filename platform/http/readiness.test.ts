import { describe, expect, it } from "vitest";
import { createReadinessChecks } from "./readiness.ts";

describe("createReadinessChecks", () => {
  it("is ready when every probe is, each check reading ok, in the order given", async () => {
    const ready = await createReadinessChecks({ postgres: async () => undefined, log: async () => undefined }).ready();
    expect(ready).toEqual({ ok: true, checks: { postgres: "ok", log: "ok" } });
    expect(Object.keys(ready.checks)).toEqual(["postgres", "log"]);
  });

  it("is not ready when a probe says why or throws, and names the reason under the probe's name", async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const checks = createReadinessChecks({
      postgres: async () => {
        await slow;
        return undefined;
      },
      clickhouse: async () => {
        throw new Error("connect ECONNREFUSED");
      },
      // Every probe is asked at once: postgres's answer waits for this one, so asked one by one they would hang.
      processor: async () => {
        release();
        return "stalled: partition 0 has committed nothing for 61 s while 3 events wait";
      },
    });
    expect(await checks.ready()).toEqual({
      ok: false,
      checks: {
        postgres: "ok",
        clickhouse: "connect ECONNREFUSED",
        processor: "stalled: partition 0 has committed nothing for 61 s while 3 events wait",
      },
    });
  });
});
