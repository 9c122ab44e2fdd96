import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEvent } from "../schemas/index.ts";
import { runGenerate } from "./generate.ts";
import type { GroundTruth } from "../oracle/ground-truth.ts";

describe("generate CLI", () => {
  it("writes exactly --events items as NDJSON and their ground truth beside them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wedsync-generate-"));
    try {
      const out = join(dir, "events.ndjson");
      const args = [
        "--seed",
        "5",
        "--events",
        "3000",
        "--orgs",
        "chain,soloFlorist",
        "--mismatch-rate",
        "0.05",
        "--duplicate-rate",
        "0.02",
        "--resend-rate",
        "0.02",
      ];
      const summary = await runGenerate([...args, "--schema-invalid-rate", "0.02", "--out", out]);
      expect(summary).toMatchObject({ events: 3000, requested: 3000, truth: join(dir, "events.truth.json") });
      const lines = (await readFile(out, "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      const broken = lines.filter((line) => line.label?.class === "schema-invalid");
      expect(lines.length - broken.length).toBe(3000);
      expect(broken.length).toBeGreaterThan(20);
      for (const line of broken) {
        const outcome = parseEvent(line.event);
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.errors.map((error) => error.path)).toContain(line.label.path);
      }
      const truth = JSON.parse(await readFile(summary.truth!, "utf8")) as GroundTruth & {
        schemaInvalid: Record<string, Record<string, number>>;
      };
      const received = Object.values(truth.orgs).reduce((sum, org) => sum + org.events.received, 0);
      expect(received).toBe(3000);
      const resent = lines.filter((line) => line.label?.class === "resend").length;
      expect(resent).toBeGreaterThan(0);
      expect(Object.values(truth.orgs).reduce((sum, org) => sum + org.resends, 0)).toBe(resent);
      const brokenCount = Object.values(truth.schemaInvalid)
        .flatMap((faults) => Object.values(faults))
        .reduce((a, b) => a + b, 0);
      expect(brokenCount).toBe(broken.length);

      const bare = join(dir, "bare.ndjson");
      await runGenerate([...args, "--format", "events", "--out", bare, "--truth", join(dir, "bare-truth.json")]);
      const events = (await readFile(bare, "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(events.map((event) => event.id)).toEqual(
        lines.filter((line) => line.label?.class !== "schema-invalid").map((line) => line.event.id),
      );
      expect(events.every((event) => parseEvent(event).ok)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses contradictory or unknown options", async () => {
    await expect(runGenerate(["--events", "10", "--scale", "1"])).rejects.toThrow(RangeError);
    await expect(runGenerate(["--orgs", "nobody", "--events", "10"])).rejects.toThrow(/unknown preset/);
    await expect(runGenerate(["--mismatch-rate", "3", "--events", "10"])).rejects.toThrow(RangeError);
    await expect(runGenerate(["--bogus"])).rejects.toThrow();
  });
});
