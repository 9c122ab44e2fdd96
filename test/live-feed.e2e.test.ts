import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type App } from "../bin/create-app.ts";
import { createOrganisation, type CreatedOrganisation } from "../platform/tenants/organisations.ts";
import type { AnomalyView } from "../query-api/anomalies-query.ts";
import type { Tally } from "../query-api/live-queries.ts";
import { readSse, type SseFrame, type SseStream } from "./support/read-sse.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";
import { waitFor } from "./support/wait-for.ts";

// The feed's day is pinned to the day the file started, and every event happens at that instant: the tally is of
// the same day whenever the test runs, midnight included.
const startedAt = new Date().toISOString();
const today = startedAt.slice(0, 10);
const MAX_STREAMS = 3;

let dir: TempDir;
let app: App;
const open: SseStream[] = [];

beforeAll(async () => {
  dir = await makeTempDir("wedsync-live");
  app = await startTestApp(
    dir.path,
    { LIVE_POLL_MS: "50", LIVE_HEARTBEAT_MS: "300", LIVE_MAX_STREAMS_PER_ORG: String(MAX_STREAMS) },
    ROLES,
    { today: () => today },
  );
});

afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await app?.close();
  await dir?.cleanup();
});

const newOrg = (name: string) => createOrganisation(app.sql, `${name} ${randomUUID()}`);

async function connect(org: CreatedOrganisation, headers: Record<string, string> = {}): Promise<SseStream> {
  const res = await app.http.request("/v1/live", { headers: { authorization: `Bearer ${org.apiKey}`, ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const stream = readSse(res.body!);
  open.push(stream);
  return stream;
}

const dataOf = <T>(frame: SseFrame) => JSON.parse(frame.data!) as T;
const tallies = (s: SseStream) => s.frames.filter((f) => f.event === "tally");
const anomalies = (s: SseStream) => s.frames.filter((f) => f.event === "anomaly").map((f) => dataOf<AnomalyView>(f));

/** Waits for a tally frame of the stream equal to the figures given (the last one, since a tally is sent on change). */
async function waitForTally(s: SseStream, currencies: Tally["currencies"]): Promise<SseFrame> {
  const expected = { day: today, currencies };
  return waitFor(
    () => {
      const last = tallies(s).at(-1);
      return last !== undefined && JSON.stringify(dataOf(last)) === JSON.stringify(expected) ? last : undefined;
    },
    { timeoutMs: 30_000, message: `no tally ${JSON.stringify(expected)}; last: ${tallies(s).at(-1)?.data}` },
  );
}

async function post(org: CreatedOrganisation, events: unknown[]): Promise<void> {
  const res = await app.http.request("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${org.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  expect(res.status, await res.clone().text()).toBe(202);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
}

const envelope = (type: string, data: Record<string, unknown>) => ({
  id: randomUUID(),
  type,
  occurredAt: startedAt,
  source: "live-test",
  data,
});

/** A booking of a wedding next year, made now. */
const booking = (bookingId: string, amount: number, currency: string) =>
  envelope("booking.created", {
    bookingId,
    weddingId: `wed-${bookingId}`,
    supplierId: "sup-1",
    service: "photography",
    weddingDate: `${Number(today.slice(0, 4)) + 1}-06-12`,
    guestCount: 80,
    contractValue: { amount, currency },
    region: "Yorkshire",
  });

const payment = (paymentId: string, bookingId: string, amount: number, currency: string) =>
  envelope("payment.received", {
    paymentId,
    bookingId,
    weddingId: `wed-${bookingId}`,
    amount: { amount, currency },
    method: "card",
  });

const refund = (paymentId: string, bookingId: string, amount: number, currency: string) =>
  envelope("payment.refunded", {
    refundId: `${paymentId}-r`,
    paymentId,
    bookingId,
    weddingId: `wed-${bookingId}`,
    amount: { amount, currency },
  });

describe("GET /v1/live", () => {
  it("sends today's tally on connect, then exactly the figures posted, and anomalies of the caller's organisation only", async () => {
    const [a, b] = await Promise.all([newOrg("A"), newOrg("B")]);
    const feedA = await connect(a);
    const feedB = await connect(b);
    await waitForTally(feedA, []);
    await waitForTally(feedB, []);

    await post(a, [
      booking("bk-a1", 220_000, "GBP"),
      payment("pay-a1", "bk-a1", 55_000, "GBP"),
      refund("pay-a1", "bk-a1", 5_000, "GBP"),
    ]);
    await post(b, [booking("bk-b1", 90_000, "EUR")]);
    await waitForTally(feedA, [
      { currency: "GBP", bookings: 1, contractValue: 220_000, paymentsReceived: 55_000, refunds: 5_000 },
    ]);
    await waitForTally(feedB, [
      { currency: "EUR", bookings: 1, contractValue: 90_000, paymentsReceived: 0, refunds: 0 },
    ]);
    expect(anomalies(feedA)).toEqual([]);

    // Paid net 250,000 against a contract of 220,000: an overpayment, by the payment that occurred last (the events
    // above share one instant, so this one is dated a moment later: occurrence, not arrival, orders them).
    await post(a, [
      { ...payment("pay-a2", "bk-a1", 200_000, "GBP"), occurredAt: new Date(Date.parse(startedAt) + 1).toISOString() },
    ]);
    const [anomaly] = await waitFor(() => (anomalies(feedA).length > 0 ? anomalies(feedA) : undefined), {
      timeoutMs: 30_000,
    });
    expect(anomaly).toMatchObject({
      kind: "overpayment",
      bookingId: "bk-a1",
      weddingId: "wed-bk-a1",
      status: "open",
      evidence: { paymentId: "pay-a2", overBy: { amount: 30_000, currency: "GBP" } },
    });
    await waitForTally(feedA, [
      { currency: "GBP", bookings: 1, contractValue: 220_000, paymentsReceived: 255_000, refunds: 5_000 },
    ]);
    // The anomaly as the feed sent it is the anomaly as the list shows it.
    const listed = await app.http.request("/v1/anomalies", { headers: { authorization: `Bearer ${a.apiKey}` } });
    expect(((await listed.json()) as { data: AnomalyView[] }).data).toEqual([anomaly]);

    // B's stream is read up to a frame sent after A's anomaly was: everything it could have been sent, it has.
    await post(b, [payment("pay-b1", "bk-b1", 10_000, "EUR")]);
    await waitForTally(feedB, [
      { currency: "EUR", bookings: 1, contractValue: 90_000, paymentsReceived: 10_000, refunds: 0 },
    ]);
    expect(anomalies(feedB)).toEqual([]);
    expect(tallies(feedB).flatMap((f) => dataOf<Tally>(f).currencies.map((c) => c.currency))).not.toContain("GBP");
    expect(anomalies(feedA)).toHaveLength(1);
  });

  it("sends heartbeat comments while nothing happens", async () => {
    const feed = await connect(await newOrg("quiet"));
    await waitFor(() => feed.frames.some((f) => f.comment === "heartbeat"), { timeoutMs: 10_000 });
  });

  it("drops a subscriber when its client disconnects", async () => {
    const org = await newOrg("leaver");
    const feed = await connect(org);
    await waitForTally(feed, []);
    expect(app.live!.subscriberCount(org.orgId)).toBe(1);
    await feed.close();
    await waitFor(() => app.live!.subscriberCount(org.orgId) === 0, {
      message: "subscriber still there after disconnect",
    });
  });

  it("replays the anomalies missed since Last-Event-ID, and only those", async () => {
    const org = await newOrg("reconnecter");
    const first = await connect(org);
    await post(org, [booking("bk-r1", 100_000, "GBP")]);
    const seen = await waitForTally(first, [
      { currency: "GBP", bookings: 1, contractValue: 100_000, paymentsReceived: 0, refunds: 0 },
    ]);
    await first.close();
    await waitFor(() => app.live!.subscriberCount(org.orgId) === 0);

    // While disconnected: an overpayment, and then a second one on another wedding (another partition, most likely).
    await post(org, [payment("pay-r1", "bk-r1", 120_000, "GBP")]);
    await post(org, [booking("bk-r2", 50_000, "GBP"), payment("pay-r2", "bk-r2", 60_000, "GBP")]);
    await waitUntilProcessed(app);

    // Without Last-Event-ID the feed starts now: its first tally comes with no anomaly before it.
    const fresh = await connect(org);
    await waitFor(() => tallies(fresh).length > 0, { timeoutMs: 30_000 });
    expect(anomalies(fresh)).toEqual([]);

    const resumed = await connect(org, { "last-event-id": seen.id! });
    const replayed = await waitFor(() => (anomalies(resumed).length >= 2 ? anomalies(resumed) : undefined), {
      timeoutMs: 30_000,
    });
    expect(replayed.map((a) => a.evidence)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ paymentId: "pay-r1" }),
        expect.objectContaining({ paymentId: "pay-r2" }),
      ]),
    );
    await waitFor(() => tallies(resumed).length > 0, { timeoutMs: 30_000 });
    expect(anomalies(resumed)).toHaveLength(2);

    // Resuming from the last anomaly's id replays nothing.
    const lastId = resumed.frames.filter((f) => f.event === "anomaly").at(-1)!.id!;
    const again = await connect(org, { "last-event-id": lastId });
    await waitFor(() => tallies(again).length > 0, { timeoutMs: 30_000 });
    expect(anomalies(again)).toEqual([]);
  });

  it("holds a Last-Event-ID ahead of the log at the watermark, so later anomalies still arrive", async () => {
    const org = await newOrg("time-traveller");
    const feed = await connect(org, { "last-event-id": "999999999.999999999.999999999.999999999" });
    await waitForTally(feed, []);
    await post(org, [booking("bk-t1", 100_000, "GBP"), payment("pay-t1", "bk-t1", 120_000, "GBP")]);
    await waitFor(() => anomalies(feed).length === 1, { timeoutMs: 30_000, message: "the anomaly never came" });
  });

  it("leaves no subscriber behind a HEAD request, which reads no body", async () => {
    const org = await newOrg("header-reader");
    for (let i = 0; i <= MAX_STREAMS; i++) {
      const res = await app.http.request("/v1/live", {
        method: "HEAD",
        headers: { authorization: `Bearer ${org.apiKey}` },
      });
      expect(res.status).toBe(200);
    }
    await waitFor(() => app.live!.subscriberCount(org.orgId) === 0, { message: "HEAD requests left subscribers" });
    const feed = await connect(org);
    await waitForTally(feed, []);
  });

  it("answers 400 to a Last-Event-ID it never sent", async () => {
    const org = await newOrg("confused");
    const res = await app.http.request("/v1/live", {
      headers: { authorization: `Bearer ${org.apiKey}`, "last-event-id": "yesterday" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("answers 429 too_many_streams beyond the organisation's connection limit, and takes one once another left", async () => {
    const org = await newOrg("crowd");
    const feeds = await Promise.all(Array.from({ length: MAX_STREAMS }, () => connect(org)));
    const res = await app.http.request("/v1/live", { headers: { authorization: `Bearer ${org.apiKey}` } });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_many_streams");
    await feeds[0]!.close();
    await waitFor(() => app.live!.subscriberCount(org.orgId) < MAX_STREAMS);
    await connect(org);
  });
});
