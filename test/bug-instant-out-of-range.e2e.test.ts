import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// A known bug, found by the ingest fuzz (test/ingest-fuzz.e2e.test.ts): this test fails until it is fixed. It has a file
// (and so a process and an app) of its own because the bug stalls processing for good: one failed partition restarts
// the whole consumer with backoff, which holds back every other test's events in the same app as well.

const [budget] = (JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as Record<string, any>[]).filter(
  (e) => e.type === "budget.allocated",
);

let dir: TempDir;
let app: App;
let apiKey: string;
let orgId: string;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-bug-instant");
  app = await startTestApp(dir.path);
  ({ apiKey, orgId } = await createOrganisation(app.sql, "Instant Range"));
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("known bug (fails until fixed)", () => {
  it("BUG: an accepted event whose occurredAt falls before year 1 or after 9999 in UTC stalls processing for good (Postgres refuses the instant; retried forever)", async () => {
    // The edge accepts these (ISO 8601 with an offset, on an existing day), Postgres does not: "date/time field value
    // out of range". Each allocation is in a category of its own: one a later allocation of its category overrides is
    // never written to Postgres at all.
    const weddingId = `wed-${randomUUID()}`;
    const allocation = (occurredAt: string, category: string) => ({
      ...budget,
      id: randomUUID(),
      occurredAt,
      data: { ...budget!.data, weddingId, category },
    });
    const outOfRange = [
      allocation("0000-01-01T00:00:00Z", "venue"),
      allocation("0001-01-01T00:00:00+01:00", "cake"),
      allocation("9999-12-31T23:59:59-01:00", "music"),
    ];
    const sibling = allocation("2026-01-20T08:00:00Z", "florist");
    const res = await app.http.request("/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify([...outOfRange, sibling]),
    });
    expect(res.status).toBe(202);
    const { rejected } = (await res.json()) as { rejected: { index: number; errors: { path: string }[] }[] };

    // Guarantee 3, whichever way it is kept: processing goes on, and each such event is refused at the edge at its
    // path, or stored, or dead-lettered where the producer can see it.
    await waitUntilProcessed(app, 8_000);
    const ids = async (table: string) =>
      (
        await (await app.ch.query({ query: `SELECT toString(id) AS id FROM ${table} FINAL WHERE org_id = {org:String}`, query_params: { org: orgId }, format: "JSONEachRow" })).json<{
          id: string;
        }>()
      ).map((r) => r.id);
    const [stored, deadLettered] = [await ids("events"), await ids("rejected_events")];
    expect(stored).toContain(sibling.id);
    outOfRange.forEach((event, index) => {
      const refused = rejected.find((r) => r.index === index);
      if (refused) expect(refused.errors.map((e) => e.path)).toContain("$.occurredAt");
      else expect([...stored, ...deadLettered]).toContain(event.id);
    });
  });
});
