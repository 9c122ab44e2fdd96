import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { createOrphanSweep } from "./sweep-orphans.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as any[];
const example = (type: string) => structuredClone(examples.find((e) => e.type === type));

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-orphans");
});

afterAll(async () => {
  await world?.close();
});

const HOUR = 3_600_000;

describe("the orphan sweep", () => {
  it("flags references still waiting after the grace period, and the batch that brings the referent resolves them", async () => {
    const org = `org_${randomUUID()}`;
    const sweep = createOrphanSweep({ sql: world.sql, graceMs: 24 * HOUR, logger: createLogger("silent") });
    const orphans = () =>
      world.sql.query("SELECT kind, subject, status FROM anomalies WHERE org_id = $1 ORDER BY kind", [org]);
    const booking = example("booking.created");
    const payment = example("payment.received");
    const refund = { ...example("payment.refunded"), id: randomUUID() };
    refund.data.paymentId = "pay-not-yet";
    const update = example("booking.updated");
    const log = [payment, refund, update];
    await world.runBatch(toRecords(org, log));
    const receivedAt = Date.parse("2026-06-01T00:00:00.000Z"); // as toRecords receives every event

    // Within the grace period nothing is flagged; after it, each waiting reference is, once however often it sweeps.
    expect(await sweep.sweep(new Date(receivedAt + HOUR))).toBe(0);
    expect(await sweep.sweep(new Date(receivedAt + 25 * HOUR))).toBeGreaterThanOrEqual(3);
    await sweep.sweep(new Date(receivedAt + 26 * HOUR));
    expect(await orphans()).toEqual([
      { kind: "orphan_payment", subject: payment.data.paymentId, status: "open" },
      { kind: "orphan_refund", subject: refund.data.refundId, status: "open" },
      { kind: "orphan_update", subject: update.id, status: "open" },
    ]);

    // The booking arrives: the payment and the update find it; the refund still waits for its payment.
    await world.runBatch(toRecords(org, [booking], { firstOffset: log.length }));
    expect(await orphans()).toEqual([
      { kind: "orphan_payment", subject: payment.data.paymentId, status: "resolved" },
      { kind: "orphan_refund", subject: refund.data.refundId, status: "open" },
      { kind: "orphan_update", subject: update.id, status: "resolved" },
    ]);
    expect(await sweep.sweep(new Date(receivedAt + 48 * HOUR))).toBe(0);
    expect((await orphans()).filter((a) => a.status === "open")).toHaveLength(1);
  });
});
