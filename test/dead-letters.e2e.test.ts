import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import type { LogMessage } from "../platform/event-log/event-log.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import type { Scope } from "../platform/tenants/key-access.ts";
import { REJECTED_COLUMNS, toRejectedRow } from "../processors/clickhouse-rows.ts";
import { persistDeadLetters, toDeadLetter } from "../processors/persist-dead-letters.ts";
import type { RejectedEventView } from "../query-api/rejected-events-query.ts";
import { encodeLogEnvelope, EVENTS_TOPIC } from "../schemas/index.ts";
import { makePgSchema, type PgSchema } from "./support/pg-schema.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// Dead letters through the whole app: processed by the real processor, listed by GET /v1/rejected-events, re-driven by
// POST /v1/rejected-events/redrive, counted in /metrics. Each test has organisations of its own; /metrics counts over
// every organisation, so the metric test compares counts before and after.

let dir: TempDir;
let app: App;
/** The environment of the stores the app runs on (a Postgres server's schema, or none: embedded). */
let env: Record<string, string> = {};

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) {
  console.info("dead-letters: DATABASE_URL is not set, skipping the Postgres server variant");
}
const VARIANTS = [
  { stores: "embedded engines", schema: async (): Promise<PgSchema | undefined> => undefined },
  ...(databaseUrl === undefined ? [] : [{ stores: "a Postgres server", schema: () => makePgSchema(databaseUrl) }]),
];

/** A new organisation and a key with the scopes given (default: ingest, read, reports). */
async function organisation(scopes?: Scope[]) {
  const org = await createOrganisation(app.sql, `Dead Letters ${randomUUID()}`, scopes ? { scopes } : {});
  return { orgId: org.orgId, apiKey: org.apiKey };
}

async function call(apiKey: string, path: string, init: RequestInit = {}): Promise<Response> {
  return app.http.request(path, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
}

/** GET /v1/rejected-events as JSON; the answer must be a 200. */
async function list(apiKey: string, query = ""): Promise<{ data: RejectedEventView[]; meta: Record<string, unknown> }> {
  const res = await call(apiKey, `/v1/rejected-events${query}`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text);
}

/** POST /v1/rejected-events/redrive with a JSON body; its status and body. */
async function redrive(apiKey: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await call(apiKey, "/v1/rejected-events/redrive", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Puts records straight into the log, as another producer (or ingest before a rule existed) would, and waits. */
async function appendToLog(messages: LogMessage[]): Promise<void> {
  await app.log.append(EVENTS_TOPIC, messages);
  await waitUntilProcessed(app);
}

/** The log record of an event of orgId, received when given, keyed by its wedding. */
const record = (orgId: string, event: unknown, receivedAt = "2026-06-02T09:30:00.000Z"): LogMessage => ({
  key: "w-dead-letters",
  value: encodeLogEnvelope({ orgId, receivedAt, event }),
});

/** An event the schema refuses, whatever the processing rules: a booking for a negative number of guests. */
function schemaInvalidBooking(bookingId = `bk-${randomUUID()}`): Record<string, any> {
  return {
    id: randomUUID(),
    type: "booking.created",
    occurredAt: "2026-06-01T10:00:00Z",
    source: "test",
    data: {
      bookingId,
      weddingId: "w-dead-letters",
      supplierId: "s-1",
      service: "venue",
      weddingDate: "2027-06-12",
      guestCount: -1,
      contractValue: { amount: 100_000, currency: "GBP" },
    },
  };
}

/** The organisation's GBP payments received in June 2026, from the revenue endpoint. */
async function paymentsReceived(apiKey: string): Promise<number> {
  const res = await call(apiKey, "/v1/analytics/revenue?from=2026-06-01&to=2026-06-30&interval=month");
  expect(res.status).toBe(200);
  const { data } = (await res.json()) as { data: { currency: string; paymentsReceived: number }[] };
  return data.filter((row) => row.currency === "GBP").reduce((sum, row) => sum + row.paymentsReceived, 0);
}

/** The pending dead letters of a reason in /metrics (0 when the series is absent). */
async function pendingInMetrics(reason: string): Promise<number> {
  const text = await (await app.http.request("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`wedsync_processor_dead_letters{reason="${reason}"} `));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

/**
 * Produces a dead letter whose cause a later event fixes, and returns it with the event that fixes it: a payment that
 * arrived before its booking, dead-lettered as `unknown_booking` by the previous release (which refused what the
 * current rules count and link later). Upgraded installations hold such dead letters, and re-driving them once the
 * booking is known is what makes them count. The fixture writes what that release left behind: the payment in the
 * log, its dead letter in both stores, and the processors' offset past it. It does so with the app restarted without
 * its processor role (so the current rules never see the record), then restarts it whole.
 */
async function produceFixableDeadLetter(org: { orgId: string; apiKey: string }) {
  const bookingId = `bk-${randomUUID()}`;
  const weddingId = `w-${randomUUID()}`;
  const payment = {
    id: randomUUID(),
    type: "payment.received",
    occurredAt: "2026-06-10T12:00:00Z",
    source: "test",
    data: {
      paymentId: `p-${randomUUID()}`,
      bookingId,
      weddingId,
      amount: { amount: 25_000, currency: "GBP" },
      method: "card",
    },
  };
  const booking = {
    id: randomUUID(),
    type: "booking.created",
    occurredAt: "2026-06-05T12:00:00Z",
    source: "test",
    data: {
      bookingId,
      weddingId,
      supplierId: "s-1",
      service: "photography",
      weddingDate: "2027-06-12",
      guestCount: 80,
      contractValue: { amount: 100_000, currency: "GBP" },
    },
  };
  await waitUntilProcessed(app);
  await app.close();
  app = await startTestApp(dir.path, env, ["ingest", "api"]);
  const receivedAt = "2026-06-10T12:00:05.000Z";
  const [position] = await app.log.append(EVENTS_TOPIC, [
    { key: weddingId, value: encodeLogEnvelope({ orgId: org.orgId, receivedAt, event: payment }) },
  ]);
  const [logged] = await app.log.read(EVENTS_TOPIC, position!.partition, position!.offset, 1);
  const reasons = ["unknown_booking"];
  const message = `booking ${bookingId} is not known`;
  await app.ch.insert({
    table: "rejected_events",
    values: [
      toRejectedRow(
        { orgId: org.orgId, receivedAt, payload: logged!.value.toString("utf8"), ...position! },
        reasons,
        message,
      ),
    ],
    columns: [...REJECTED_COLUMNS],
    format: "JSONCompactEachRow",
  });
  await app.sql.transaction(async (tx) => {
    await persistDeadLetters(tx, [toDeadLetter(logged!, org.orgId, receivedAt, reasons, message)]);
    await tx.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
      [app.config.processorGroup, EVENTS_TOPIC, position!.partition, position!.offset + 1],
    );
  });
  await app.close();
  app = await startTestApp(dir.path, env);
  const { data } = await list(org.apiKey);
  const deadLetter = data.find((item) => item.eventId === payment.id);
  expect(deadLetter, "the payment's dead letter is not listed").toBeDefined();
  return { deadLetter: deadLetter!, amount: payment.data.amount.amount, fix: booking };
}

describe.each(VARIANTS)("dead letters through the API, on $stores", ({ schema: openSchema }) => {
  let schema: PgSchema | undefined;

  beforeAll(async () => {
    dir = await makeTempDir("wedsync-dead-letters");
    schema = await openSchema();
    env = schema === undefined ? {} : { DATABASE_URL: schema.url };
    app = await startTestApp(dir.path, env);
  });

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await dir?.cleanup();
      await schema?.dispose();
    }
  });

  it("lists the organisation's dead letters with the original payload and every reason, filtered and paged", async () => {
    const a = await organisation();
    const b = await organisation();
    const booking = schemaInvalidBooking();
    const payment: Record<string, any> = { ...schemaInvalidBooking(), type: "payment.received" };
    await appendToLog([
      record(a.orgId, "not an event", "2026-05-31T23:00:00.000Z"),
      record(a.orgId, booking, "2026-06-01T08:00:00.000Z"),
      record(a.orgId, payment, "2026-06-02T08:00:00.000Z"),
      record(b.orgId, schemaInvalidBooking(), "2026-06-02T08:00:00.000Z"),
      { key: "w-dead-letters", value: Buffer.from("{ not JSON") },
    ]);

    const { data, meta } = await list(a.apiKey);
    expect(meta).toMatchObject({ limit: 100, watermark: { lag: 0 }, nextCursor: null });
    // Newest received first; the payload as it was sent, an object when it is one.
    expect(data.map((item) => item.payload)).toEqual([payment, booking, "not an event"]);
    expect(data[1]).toEqual({
      id: expect.stringMatching(/^dl_[0-9a-f]{24}$/),
      eventId: booking.id,
      type: "booking.created",
      reasons: ["schema_invalid"],
      message: expect.stringContaining("$.data.guestCount"),
      payload: booking,
      receivedAt: "2026-06-01T08:00:00.000Z",
      deadLetteredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      redrivenAt: null,
      redriveOf: null,
    });
    expect(data[2]).toMatchObject({ eventId: null, type: null, reasons: ["schema_invalid"] });

    const ids = async (query: string) => (await list(a.apiKey, query)).data.map((item) => item.eventId);
    expect(await ids("?reason=schema_invalid")).toEqual([payment.id, booking.id, null]);
    expect(await ids("?reason=undecodable")).toEqual([]);
    expect(await ids("?type=payment.received")).toEqual([payment.id]);
    expect(await ids("?from=2026-06-01&to=2026-06-01")).toEqual([booking.id]);
    expect(await ids("?from=2026-06-02")).toEqual([payment.id]);
    expect(await ids("?to=2026-05-31")).toEqual([null]);
    expect(await ids("?status=pending")).toEqual([payment.id, booking.id, null]);
    expect(await ids("?status=redriven")).toEqual([]);

    // Pages of one: the cursor leads through all three and only works for its own question.
    const first = await list(a.apiKey, "?limit=1");
    const second = await list(a.apiKey, `?limit=1&cursor=${first.meta.nextCursor}`);
    const third = await list(a.apiKey, `?limit=1&cursor=${second.meta.nextCursor}`);
    expect([first, second, third].flatMap((page) => page.data)).toEqual(data);
    expect(third.meta.nextCursor).toBeNull();
    const foreign = await call(
      a.apiKey,
      `/v1/rejected-events?limit=1&reason=schema_invalid&cursor=${first.meta.nextCursor}`,
    );
    expect(foreign.status).toBe(400);

    // CSV and NDJSON: the same rows; a page that is not the last names its successor in X-Next-Cursor.
    const ndjson = await call(a.apiKey, "/v1/rejected-events", { headers: { accept: "application/x-ndjson" } });
    expect(ndjson.headers.get("content-type")).toContain("application/x-ndjson");
    expect(ndjson.headers.get("x-next-cursor")).toBeNull();
    expect(
      (await ndjson.text())
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual(data);
    const csv = await call(a.apiKey, "/v1/rejected-events?format=csv&limit=2");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.headers.get("x-next-cursor")).toEqual(expect.any(String));
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("id,eventId,type,reasons,message,payload,receivedAt,deadLetteredAt,redrivenAt,redriveOf");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`${data[0]!.id},${payment.id},payment.received,"[""schema_invalid""]"`);
    const viaAccept = await call(a.apiKey, "/v1/rejected-events?limit=2", { headers: { accept: "text/csv" } });
    expect((await viaAccept.text()).trimEnd().split("\n")).toEqual(lines);

    // Tenants are isolated: B sees its own only, and cannot redrive A's, whose dead letters stay pending.
    const theirs = await list(b.apiKey);
    expect(theirs.data).toHaveLength(1);
    expect(theirs.data[0]!.id).not.toBe(data[0]!.id);
    const aIds = data.map((item) => item.id);
    expect(await redrive(b.apiKey, { ids: aIds })).toEqual({
      status: 202,
      body: { redriven: 0, alreadyRedriven: 0, notFound: aIds },
    });
    expect((await list(a.apiKey, "?status=pending")).data).toHaveLength(3);
  });

  it("redrives a dead letter whose cause was fixed exactly once: counted once, a second redrive changes nothing", async () => {
    const org = await organisation();
    const { deadLetter, amount, fix } = await produceFixableDeadLetter(org);
    expect(await paymentsReceived(org.apiKey)).toBe(0);
    await postEvents(app, org.apiKey, [fix]);
    await waitUntilProcessed(app);

    expect(await redrive(org.apiKey, { ids: [deadLetter.id] })).toEqual({
      status: 202,
      body: { redriven: 1, alreadyRedriven: 0, notFound: [] },
    });
    await waitUntilProcessed(app);
    expect(await paymentsReceived(org.apiKey)).toBe(amount);
    const [after] = (await list(org.apiKey)).data;
    expect(after).toEqual({ ...deadLetter, redrivenAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    expect((await list(org.apiKey, "?status=pending")).data).toEqual([]);

    // Again, by id and by a filter that matches it: nothing is appended, nothing counted again.
    const ends = await app.log.endOffsets(EVENTS_TOPIC);
    expect(await redrive(org.apiKey, { ids: [deadLetter.id] })).toEqual({
      status: 202,
      body: { redriven: 0, alreadyRedriven: 1, notFound: [] },
    });
    expect(await redrive(org.apiKey, { filter: {} })).toEqual({
      status: 202,
      body: { redriven: 0, alreadyRedriven: 1, notFound: [] },
    });
    expect(await app.log.endOffsets(EVENTS_TOPIC)).toEqual(ends);
    await waitUntilProcessed(app);
    expect(await paymentsReceived(org.apiKey)).toBe(amount);
    expect((await list(org.apiKey)).data).toEqual([after]);
  });

  it("makes a re-driven event that is refused again a new dead letter naming the one it re-drove", async () => {
    const org = await organisation();
    const event = schemaInvalidBooking();
    await appendToLog([record(org.orgId, event)]);
    const [old] = (await list(org.apiKey)).data;

    expect(await redrive(org.apiKey, { filter: { reason: "schema_invalid", type: "booking.created" } })).toEqual({
      status: 202,
      body: { redriven: 1, alreadyRedriven: 0, notFound: [] },
    });
    await waitUntilProcessed(app);
    const { data } = await list(org.apiKey);
    expect(data).toHaveLength(2);
    const fresh = data.find((item) => item.id !== old!.id)!;
    expect(fresh).toMatchObject({ redriveOf: old!.id, redrivenAt: null, payload: event, reasons: ["schema_invalid"] });
    expect(data.find((item) => item.id === old!.id)).toEqual({ ...old, redrivenAt: expect.any(String) });

    // The old one is done with; the new one waits for a redrive of its own.
    expect((await redrive(org.apiKey, { ids: [old!.id] })).body).toEqual({
      redriven: 0,
      alreadyRedriven: 1,
      notFound: [],
    });
    expect((await list(org.apiKey, "?status=pending")).data.map((item) => item.id)).toEqual([fresh.id]);
  });

  it("counts the pending dead letters per reason in /metrics", async () => {
    const text = await (await app.http.request("/metrics")).text();
    expect(text).toContain("# HELP wedsync_processor_dead_letters Dead letters waiting for a redrive, by reason");
    expect(text).toContain("# TYPE wedsync_processor_dead_letters gauge");

    const org = await organisation();
    const schemaInvalid = await pendingInMetrics("schema_invalid");
    const undecodable = await pendingInMetrics("undecodable");
    await appendToLog([
      record(org.orgId, schemaInvalidBooking()),
      record(org.orgId, schemaInvalidBooking()),
      { key: "w-dead-letters", value: Buffer.from([0xc3, 0x28]) },
    ]);
    expect(await pendingInMetrics("schema_invalid")).toBe(schemaInvalid + 2);
    expect(await pendingInMetrics("undecodable")).toBe(undecodable + 1);

    // A fixed one re-driven and processed no longer waits, whatever its reason.
    const { deadLetter, fix } = await produceFixableDeadLetter(org);
    const [reason] = deadLetter.reasons;
    const pending = await pendingInMetrics(reason!);
    expect(pending).toBeGreaterThan(0);
    await postEvents(app, org.apiKey, [fix]);
    await waitUntilProcessed(app);
    expect((await redrive(org.apiKey, { ids: [deadLetter.id] })).body).toMatchObject({ redriven: 1 });
    await waitUntilProcessed(app);
    expect(await pendingInMetrics(reason!)).toBe(pending - 1);
    expect(await pendingInMetrics("schema_invalid")).toBe(schemaInvalid + 2);
  });

  it("refuses what it cannot do with a 400 naming what is wrong, and holds each route to its scope", async () => {
    const org = await organisation();
    const problems = async (body: unknown) => {
      const { status, body: answer } = await redrive(org.apiKey, body);
      expect(status, JSON.stringify(answer)).toBe(400);
      expect(answer.error.code).toBe("invalid_request");
      return answer.error.details;
    };
    const id = "dl_0123456789abcdef01234567";
    expect(await problems({})).toEqual([{ path: "$", message: "give exactly one of ids and filter" }]);
    expect(await problems({ ids: [id], filter: {} })).toEqual([
      { path: "$", message: "give exactly one of ids and filter" },
    ]);
    expect(await problems({ ids: [] })).toEqual([{ path: "ids", message: "must name at least one dead letter" }]);
    expect(await problems({ ids: [id, "bk-1"] })).toEqual([
      { path: "ids.1", message: expect.stringContaining("is not a dead letter id") },
    ]);
    expect(await problems({ filter: { from: "2026-02-30" } })).toEqual([
      { path: "filter.from", message: expect.stringContaining("calendar date") },
    ]);
    expect(await problems({ filter: { from: "2026-06-02", to: "2026-06-01" } })).toEqual([
      { path: "filter.to", message: "must not be before from" },
    ]);
    expect(await problems({ filter: { colour: "red" } })).toEqual([
      { path: "filter", message: expect.stringContaining("colour") },
    ]);
    expect((await redrive(org.apiKey, "{ not JSON")).status).toBe(400);
    expect(await redrive(org.apiKey, { ids: [id] })).toEqual({
      status: 202,
      body: { redriven: 0, alreadyRedriven: 0, notFound: [id] },
    });

    for (const query of ["?status=gone", "?reason=DROP%20TABLE", "?from=2026-06-02&to=2026-06-01", "?limit=0"]) {
      const res = await call(org.apiKey, `/v1/rejected-events${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("invalid_request");
    }
    expect((await call(org.apiKey, "/v1/rejected-events", { headers: { accept: "image/png" } })).status).toBe(406);

    // Listing needs read; a redrive writes to the log, so it needs ingest.
    const readOnly = await organisation(["read"]);
    const ingestOnly = await organisation(["ingest"]);
    const refused = await redrive(readOnly.apiKey, { ids: [id] });
    expect(refused).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden", details: { needed: "ingest" } } },
    });
    const listing = await call(ingestOnly.apiKey, "/v1/rejected-events");
    expect(listing.status).toBe(403);
    expect(await listing.json()).toMatchObject({ error: { details: { needed: "read" } } });
  });
});
