import { randomUUID } from "node:crypto";
import { contentOf } from "./business-id.ts";
import type { WedSyncEvent } from "../schemas/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-inquiries");
});

afterAll(async () => {
  await world?.close();
});

const WEDDING = "wed-2027-0612-hart";

function inquiry(inquiryId: string, service = "photography", weddingId: string | undefined = WEDDING) {
  return {
    id: randomUUID(),
    type: "inquiry.received",
    occurredAt: "2026-01-08T19:42:00Z",
    source: "wedsync-web",
    data: {
      inquiryId,
      ...(weddingId === undefined ? {} : { weddingId }),
      service,
      weddingDate: "2027-06-12",
      budget: { amount: 240_000, currency: "GBP" },
      channel: "marketplace",
    },
  };
}

function booking(bookingId: string, occurredAt: string, service = "photography", weddingId = WEDDING) {
  return {
    id: randomUUID(),
    type: "booking.created",
    occurredAt,
    source: "wedsync-web",
    data: {
      bookingId,
      weddingId,
      supplierId: "sup-lens-and-light",
      service,
      weddingDate: "2027-06-12",
      guestCount: 120,
      contractValue: { amount: 220_000, currency: "GBP" },
    },
  };
}

const inquiries = (org: string) =>
  world.sql.query(
    "SELECT inquiry_id, converted_booking_id, converted_at FROM inquiries WHERE org_id = $1 ORDER BY inquiry_id",
    [org],
  );

/** Runs the events as one batch, or as one batch per event. */
async function run(org: string, events: unknown[], batches: "one batch" | "one batch per event") {
  if (batches === "one batch") return void (await world.runBatch(toRecords(org, events)));
  for (const [i, event] of events.entries()) await world.runBatch(toRecords(org, [event], { firstOffset: i }));
}

describe("inquiries projected from the log, with their conversion into bookings", () => {
  for (const batches of ["one batch", "one batch per event"] as const) {
    it(`converts an inquiry when its booking is created after it (${batches})`, async () => {
      const org = `org_${randomUUID()}`;
      await run(org, [inquiry("inq-1"), booking("bk-1", "2026-01-15T10:05:00Z")], batches);
      expect(await inquiries(org)).toEqual([
        { inquiry_id: "inq-1", converted_booking_id: "bk-1", converted_at: new Date("2026-01-15T10:05:00Z") },
      ]);
    });

    it(`converts an inquiry that arrives after its booking (${batches})`, async () => {
      const org = `org_${randomUUID()}`;
      await run(org, [booking("bk-1", "2026-01-15T10:05:00Z"), inquiry("inq-1")], batches);
      expect(await inquiries(org)).toEqual([
        { inquiry_id: "inq-1", converted_booking_id: "bk-1", converted_at: new Date("2026-01-15T10:05:00Z") },
      ]);
    });
  }

  it("converts into the earliest booking of the same wedding and service, whichever order they arrive in", async () => {
    const logs = [
      [inquiry("inq-1"), booking("bk-late", "2026-02-01T09:00:00Z"), booking("bk-early", "2026-01-15T10:05:00Z")],
      [booking("bk-late", "2026-02-01T09:00:00Z"), inquiry("inq-1"), booking("bk-early", "2026-01-15T10:05:00Z")],
      [booking("bk-late", "2026-02-01T09:00:00Z"), booking("bk-early", "2026-01-15T10:05:00Z"), inquiry("inq-1")],
    ];
    for (const log of logs) {
      const org = `org_${randomUUID()}`;
      await run(org, log, "one batch per event");
      expect(await inquiries(org)).toEqual([
        { inquiry_id: "inq-1", converted_booking_id: "bk-early", converted_at: new Date("2026-01-15T10:05:00Z") },
      ]);
    }
  });

  it("does not convert across services, weddings or organisations, nor an inquiry without a wedding", async () => {
    const org = `org_${randomUUID()}`;
    const elsewhere = `org_${randomUUID()}`;
    await world.runBatch(toRecords(elsewhere, [booking("bk-1", "2026-01-15T10:05:00Z")]));
    const log = [
      inquiry("inq-florist", "florist"),
      inquiry("inq-no-wedding", "photography", undefined),
      inquiry("inq-other-wedding", "photography", "wed-other"),
      inquiry("inq-other-org"),
      booking("bk-photo", "2026-01-15T10:05:00Z", "photography", "wed-third"),
    ];
    await world.runBatch(toRecords(org, log));
    expect((await inquiries(org)).map((i) => [i.inquiry_id, i.converted_booking_id])).toEqual([
      ["inq-florist", null],
      ["inq-no-wedding", null],
      ["inq-other-org", null],
      ["inq-other-wedding", null],
    ]);
  });

  it("stores what the inquiry says; drops a replay or a re-send and dead-letters a reused inquiry id", async () => {
    const org = `org_${randomUUID()}`;
    const first = inquiry("inq-1");
    await world.runBatch(toRecords(org, [first, first]));
    const resent = { ...first, id: randomUUID() };
    const reused = { ...inquiry("inq-1", "florist"), id: randomUUID() };
    const { outcome } = await world.runBatch(toRecords(org, [first, resent, reused], { firstOffset: 2 }));
    expect(outcome.counts).toMatchObject({ ok: 0, dropped: 2, deadLettered: 1 });
    const rs = await world.ch.query({
      query: "SELECT arrayJoin(reasons) AS reason FROM rejected_events FINAL WHERE org_id = {org:String}",
      query_params: { org },
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ reason: "business_id_conflict" }]);
    const rows = await world.sql.query("SELECT * FROM inquiries WHERE org_id = $1", [org]);
    expect(rows).toEqual([
      {
        org_id: org,
        inquiry_id: "inq-1",
        wedding_id: WEDDING,
        service: "photography",
        channel: "marketplace",
        wedding_date: new Date("2027-06-12T00:00:00Z"),
        budget_amount: 240_000,
        budget_currency: "GBP",
        received_at: new Date("2026-01-08T19:42:00Z"),
        event_id: first.id,
        converted_booking_id: null,
        converted_at: null,
        content: contentOf(first as WedSyncEvent),
      },
    ]);
  });
});
