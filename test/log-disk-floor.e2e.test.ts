import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp } from "./support/test-app.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as {
  id: string;
}[];

let dir: TempDir;
let app: App | undefined;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-disk-floor");
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("ingest when the log's disk is below its free-space floor", () => {
  it("answers 503 with Retry-After, appends nothing, and takes the same events once there is room", async () => {
    // A floor no disk here reaches (about 950 TiB), as if the disk had filled.
    app = await startTestApp(dir.path, { LOG_MIN_FREE_MB: "1000000000" });
    const { apiKey } = await createOrganisation(app.sql, "Full Disk Weddings");
    const events = examples.map((event) => ({ ...event, id: randomUUID() }));
    const post = () =>
      app!.http.request("/v1/events", {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(events),
      });

    const refused = await post();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("log_unavailable");
    expect((await app.log.endOffsets(app.config.eventsTopic)).reduce((a, b) => a + b, 0)).toBe(0);
    await app.close();

    // Space freed (here: the default floor): the producer's retry of the same events is taken, none as a duplicate.
    app = await startTestApp(dir.path);
    const taken = await post();
    expect(taken.status).toBe(202);
    expect(await taken.json()).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });
    expect((await app.log.endOffsets(app.config.eventsTopic)).reduce((a, b) => a + b, 0)).toBe(events.length);
  });
});
