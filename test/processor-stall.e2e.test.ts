import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";
import { waitFor } from "./support/wait-for.ts";

// A processor that cannot write (here ClickHouse's events table is out of reach: an infrastructure failure, retried,
// not an event's fault) must show: /readyz names it, /metrics gives the oldest waiting event's age and the failures.

let dir: TempDir;
let app: App;
let apiKey: string;

const booking = () => ({
  id: randomUUID(),
  type: "booking.created",
  occurredAt: "2026-01-15T10:05:00Z",
  source: "wedsync-web",
  data: {
    bookingId: `bk-${randomUUID()}`,
    weddingId: `w-${randomUUID()}`,
    supplierId: "s1",
    service: "venue",
    weddingDate: "2027-06-12",
    guestCount: 80,
    contractValue: { amount: 1000, currency: "GBP" },
  },
});

async function readiness(): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await app.http.request("/readyz");
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks };
}

async function metric(name: string, labels = ""): Promise<number | undefined> {
  const text = await (await app.http.request("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-stall");
  app = await startTestApp(dir.path, { PROCESSOR_STALL_SECONDS: "1" });
  ({ apiKey } = await createOrganisation(app.sql, "Stalled"));
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("a stalled processor", () => {
  it("is ready while idle and while it keeps up", async () => {
    await postEvents(app, apiKey, [booking(), booking()]);
    await waitUntilProcessed(app);
    expect(await readiness()).toEqual({
      status: 200,
      checks: { postgres: "ok", clickhouse: "ok", log: "ok", processor: "ok" },
    });
    expect(await metric("wedsync_processor_oldest_unprocessed_event_age_seconds")).toBe(0);
  });

  it("makes /readyz answer 503 naming the processor and the failure, and /metrics show it, until it moves again", async () => {
    await app.ch.command({ query: "RENAME TABLE events TO events_out_of_reach" });
    try {
      await postEvents(app, apiKey, [booking()]);
      const stalled = await waitFor(
        async () => {
          const r = await readiness();
          return r.status === 503 ? r : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: "/readyz never reported the stall" },
      );
      expect(stalled.checks.processor).toMatch(
        /^stalled: partition \d has committed nothing for \d+ s while 1 events wait; last failure \(clickhouse_error\): /,
      );
      expect(stalled.checks).toMatchObject({ postgres: "ok", clickhouse: "ok", log: "ok" });
      expect(await metric("wedsync_processor_oldest_unprocessed_event_age_seconds")).toBeGreaterThanOrEqual(1);
      expect(await metric("wedsync_processor_failures_total", 'reason="clickhouse_error"')).toBeGreaterThan(0);
      expect(await metric("wedsync_consumer_lag_events")).toBe(1);
    } finally {
      await app.ch.command({ query: "RENAME TABLE events_out_of_reach TO events" });
    }
    // The processor retries with backoff (up to 30 s between attempts).
    await waitUntilProcessed(app, 60_000);
    expect((await readiness()).status).toBe(200);
    expect(await metric("wedsync_processor_oldest_unprocessed_event_age_seconds")).toBe(0);
  });
});
