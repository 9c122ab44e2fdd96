import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "./events.ts";
import { exportJsonSchemas } from "./export-json-schema.ts";

describe("JSON Schema export", () => {
  it("writes the envelope and one data schema per type, each a draft 2020-12 document", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "wedsync-schemas-"));
    try {
      await exportJsonSchemas(dir);
      const files = (await readdir(dir)).sort();
      expect(files).toEqual(["event.schema.json", ...EVENT_TYPES.map((t) => `${t}.data.schema.json`)].sort());
      const payment = JSON.parse(await readFile(path.join(dir, "payment.received.data.schema.json"), "utf8"));
      expect(payment.$schema).toContain("2020-12");
      expect(payment.required).toEqual(["paymentId", "bookingId", "weddingId", "amount", "method"]);
      expect(payment.properties.amount.properties.amount).toMatchObject({ type: "integer", minimum: 1 });
      const envelope = JSON.parse(await readFile(path.join(dir, "event.schema.json"), "utf8"));
      expect(JSON.stringify(envelope)).toContain("booking.created");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
