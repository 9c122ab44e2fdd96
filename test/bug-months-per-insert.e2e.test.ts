import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// A known bug, found while writing the ingest fuzz (test/ingest-fuzz.e2e.test.ts): this test fails until it is fixed.
// It has a file (and so a process and an app) of its own because the bug stalls processing for good: one failed
// partition restarts the whole consumer with backoff, which holds back every other test's events in the same app too.

const [budget] = (JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as Record<string, any>[]).filter(
  (e) => e.type === "budget.allocated",
);

let dir: TempDir;
let app: App;
let apiKey: string;
let orgId: string;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-bug-months");
  app = await startTestApp(dir.path);
  ({ apiKey, orgId } = await createOrganisation(app.sql, "Long History"));
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("known bug (fails until fixed)", () => {
  it("BUG: valid events spanning more than 100 months in one processor batch stall processing for good (ClickHouse: too many partitions for a single INSERT block)", async () => {
    // A supplier importing its history: one allocation a month for 101 months, one wedding (so one log partition and
    // one processor batch). `events` is partitioned by month, and ClickHouse refuses an INSERT touching more than 100
    // partitions (max_partitions_per_insert_block); the processor retries the batch forever. 100 months pass.
    const weddingId = `wed-${randomUUID()}`;
    const events = Array.from({ length: 101 }, (_, month) => ({
      ...budget,
      id: randomUUID(),
      occurredAt: new Date(Date.UTC(2010, month, 1)).toISOString(),
      data: { ...budget!.data, weddingId },
    }));
    const res = await app.http.request("/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(events),
    });
    expect(await res.json()).toEqual({ accepted: 101, duplicates: 0, rejected: [] });

    await waitUntilProcessed(app, 8_000);
    const rows = await (
      await app.ch.query({ query: "SELECT count() AS n FROM events FINAL WHERE org_id = {org:String}", query_params: { org: orgId }, format: "JSONEachRow" })
    ).json<{ n: string }>();
    expect(Number(rows[0]!.n)).toBe(101);
  });
});
