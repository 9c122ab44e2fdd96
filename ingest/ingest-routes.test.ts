import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.ts";
import { openIngestTestWorld, type IngestTestWorld } from "../test/support/ingest-test-world.ts";

const examples = JSON.parse(
  readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8"),
) as Record<string, any>[];
const fresh = () => examples.map((e) => ({ ...structuredClone(e), id: randomUUID() }));

let world: IngestTestWorld;
let app: IngestTestWorld["app"];
let apiKey: string;
let orgId: string;
const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  world = await openIngestTestWorld({
    prefix: "wedsync-ingest",
    maxBodyBytes: MAX_BODY,
    logger: createLogger("silent"),
  });
  ({ app, apiKey, orgId } = world);
});

afterAll(async () => {
  await world?.close();
});

function post(body: string | Uint8Array, headers: Record<string, string> = {}) {
  return app.request("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...headers },
    body,
  });
}

const logged = () => world.loggedEvents();

describe("POST /v1/events", () => {
  it("appends one event, an array, or NDJSON, stamped with the key's organisation", async () => {
    const [one, ...rest] = fresh();
    expect(await (await post(JSON.stringify(one))).json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const arrayRes = await post(JSON.stringify(rest.slice(0, 3)));
    expect(arrayRes.status).toBe(202);
    expect(await arrayRes.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    const ndRes = await post(
      rest
        .slice(3)
        .map((e) => JSON.stringify(e))
        .join("\n"),
      { "content-type": "application/x-ndjson" },
    );
    expect(await ndRes.json()).toEqual({ accepted: rest.length - 3, duplicates: 0, rejected: [] });
    const ids = new Set((await logged()).filter((r) => r.orgId === orgId).map((r) => r.id));
    for (const event of [one, ...rest]) expect(ids).toContain(event!.id);
  });

  it("keeps the good events of a batch and names every violation of the bad ones", async () => {
    const events: Record<string, any>[] = fresh();
    events[2]!.data.amount.amount = 12.5;
    events[5]!.occurredAt = "yesterday";
    const res = await post(JSON.stringify(events));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: events.length - 2,
      duplicates: 0,
      rejected: [
        {
          index: 2,
          id: events[2]!.id,
          errors: [{ path: "$.data.amount.amount", message: "must be an integer number of minor units" }],
        },
        {
          index: 5,
          id: events[5]!.id,
          errors: [{ path: "$.occurredAt", message: expect.stringContaining("ISO 8601") }],
        },
      ],
    });
  });

  it("refuses text the stores cannot hold per item, naming the path, and keeps the event beside it", async () => {
    const ofType = (type: string): Record<string, any> => fresh().find((e: Record<string, any>) => e.type === type)!;
    const booking = ofType("booking.created");
    booking.data.region = "a\u0000b";
    const payment = ofType("payment.received");
    payment.source = "src\ud800";
    const kept = ofType("budget.allocated");
    // JSON.stringify writes NUL and a lone surrogate as \u escapes, exactly as the reproduction's curl sent them.
    const body = JSON.stringify([booking, payment, kept]);
    expect(body).toContain("\\u0000");
    expect(body).toContain("\\ud800");
    const res = await post(body);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        {
          index: 0,
          id: booking.id,
          errors: [{ path: "$.data.region", message: "must not contain NUL (\\u0000) characters" }],
        },
        {
          index: 1,
          id: payment.id,
          errors: [{ path: "$.source", message: expect.stringContaining("unpaired UTF-16 surrogate") }],
        },
      ],
    });
    const ids = (await logged()).map((r) => r.id);
    expect(ids).toContain(kept.id);
    expect(ids).not.toContain(booking.id);
    expect(ids).not.toContain(payment.id);
  });

  it("refuses a body that is not UTF-8 instead of storing replacement characters", async () => {
    const event = JSON.stringify(fresh()[0]);
    const bytes = Buffer.concat([
      Buffer.from(event.slice(0, -2)),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(event.slice(-2)),
    ]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "invalid_request", message: expect.stringContaining("not valid UTF-8") },
    });
  });

  it("answers 400 with the same body when nothing is valid", async () => {
    const res = await post(JSON.stringify([{ nope: 1 }, 7]));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ accepted: 0, duplicates: 0, error: { code: "invalid_events" } });
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([0, 1]);
  });

  it("acknowledges a resent id as a duplicate without appending it again, within one request too", async () => {
    const events = fresh();
    await post(JSON.stringify(events));
    const before = (await logged()).length;
    const again = await post(JSON.stringify([...events, events[0]]));
    expect(await again.json()).toEqual({ accepted: 0, duplicates: events.length + 1, rejected: [] });
    const twice = fresh().slice(0, 1);
    expect(await (await post(JSON.stringify([twice[0], twice[0]]))).json()).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: [],
    });
    expect((await logged()).length).toBe(before + 1);
  });

  it("appends an event whose id another request claimed and never appended, and only then calls it a duplicate", async () => {
    const [event] = fresh();
    // A request that claimed the id is still in flight, or its process died between its claim and its append: nothing
    // says its copy will ever reach the log.
    expect(await world.dedup.claim([`${orgId}:${event!.id}`])).toEqual(["granted"]);
    const before = (await logged()).length;
    expect(await (await post(JSON.stringify([event]))).json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await logged()).slice(before).map((e) => e.id)).toEqual([event!.id]);
    expect(await (await post(JSON.stringify([event]))).json()).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
  });

  it("refuses oversized bodies and batches with 413, bad keys with 401, other media with 415", async () => {
    const big = JSON.stringify(Array.from({ length: 400 }, () => fresh()[0]));
    expect(big.length).toBeGreaterThan(MAX_BODY);
    const tooBig = await post(big);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: "payload_too_large" } });
    const tooMany = await post(JSON.stringify(Array.from({ length: 101 }, () => 1)));
    expect(tooMany.status).toBe(413);
    const gz = await post(gzipSync(Buffer.from(JSON.stringify(fresh()))), { "content-encoding": "gzip" });
    expect(gz.status).toBe(202);
    const noKey = await app.request("/v1/events", { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect((await post("{}", { authorization: "Bearer wsk_wrong" })).status).toBe(401);
    expect((await post("a,b", { "content-type": "text/csv" })).status).toBe(415);
  });

  it("for any mix of valid and mutated events, accepts exactly the valid ones and rejects the others by index", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            pick: fc.nat(examples.length - 1),
            breakIt: fc.boolean(),
            field: fc.constantFrom("id", "type", "occurredAt", "data", "source"),
          }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        async (plan) => {
          const events = plan.map(({ pick, breakIt, field }) => {
            const event: Record<string, unknown> = { ...structuredClone(examples[pick]!), id: randomUUID() };
            if (breakIt) event[field] = field === "data" ? { wrong: true } : 42;
            return event;
          });
          const res = await post(JSON.stringify(events));
          const body = (await res.json()) as { accepted: number; rejected: { index: number }[] };
          const bad = plan.flatMap((p, i) => (p.breakIt ? [i] : []));
          expect(body.rejected.map((r) => r.index)).toEqual(bad);
          expect(body.accepted).toBe(plan.length - bad.length);
          expect(res.status).toBe(bad.length === plan.length ? 400 : 202);
        },
      ),
      { numRuns: 40 },
    );
  });
});
