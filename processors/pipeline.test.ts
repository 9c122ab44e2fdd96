import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "../platform/event-log/event-log.ts";
import { EVENTS_TOPIC } from "../schemas/index.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { insertBatchRows, loadOffsets } from "./write-batch.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as any[];
const example = (type: string) => structuredClone(examples.find((e) => e.type === type));

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-pipeline");
});

afterAll(async () => {
  await world?.close();
});

const runBatch = (group: string, batch: LogRecord[]) => world.runBatch(batch, { group });
const records = (orgId: string, events: unknown[], partition = 0, firstOffset = 0) =>
  toRecords(orgId, events, { topic: EVENTS_TOPIC, partition, firstOffset });

async function count(table: string, orgId: string, extra = ""): Promise<number> {
  const rs = await world.ch.query({
    query: `SELECT count() AS n FROM ${table} FINAL WHERE org_id = {org:String} ${extra}`,
    query_params: { org: orgId },
    format: "JSONEachRow",
  });
  return Number((await rs.json<{ n: number }>())[0]!.n);
}

const withId = <T extends object>(event: T) => ({ ...event, id: randomUUID() });

describe("the processing pipeline on PGlite and chDB", () => {
  it("projects bookings, enriches payments, and flags overpayment and duplicate payments", async () => {
    const org = `org_${randomUUID()}`;
    const booking = example("booking.created");
    const deposit = example("payment.received");
    const twin = withId(example("payment.received"));
    twin.data.paymentId = "pay-twin";
    twin.occurredAt = "2026-01-15T10:09:00Z";
    const big = withId(example("payment.received"));
    big.data.paymentId = "pay-big";
    big.data.amount.amount = 200_000;
    big.occurredAt = "2026-03-01T10:00:00Z";
    const { outcome } = await runBatch("g1", records(org, [booking, deposit, twin, big]));
    expect(outcome.counts).toMatchObject({ ok: 4, deadLettered: 0 });

    const [row] = await world.sql.query("SELECT paid_amount, contract_amount, status FROM bookings WHERE org_id = $1", [
      org,
    ]);
    expect(row).toMatchObject({ paid_amount: 310_000, contract_amount: 220_000, status: "active" });
    const anomalies = await world.sql.query("SELECT kind, event_id FROM anomalies WHERE org_id = $1 ORDER BY kind", [
      org,
    ]);
    expect(anomalies.map((a) => a.kind)).toEqual(["duplicate_payment", "overpayment"]);
    expect(anomalies.find((a) => a.kind === "duplicate_payment")!.event_id).toBe(twin.id);
    expect(await count("anomalies", org)).toBe(2);
    expect(
      await count("events", org, "AND type = 'payment.received' AND service = 'photography' AND region = 'Yorkshire'"),
    ).toBe(3);
  });

  it("counts money that moved and flags what looks wrong; dead-letters only what cannot be interpreted", async () => {
    const org = `org_${randomUUID()}`;
    const booking = example("booking.created");
    const orphan = withId(example("payment.received"));
    orphan.data.paymentId = "pay-orphan";
    orphan.data.bookingId = "bk-nobody";
    const wrongCurrency = withId(example("payment.received"));
    wrongCurrency.data.paymentId = "pay-eur";
    wrongCurrency.data.amount.currency = "EUR";
    const tooMuchBack = withId(example("payment.refunded"));
    tooMuchBack.data.paymentId = "pay-eur";
    tooMuchBack.data.amount = { amount: 60_000, currency: "EUR" };
    const schemaBroken = { ...withId(example("payment.received")), data: { nope: true } };
    const { outcome } = await runBatch("g2", records(org, [booking, orphan, wrongCurrency, tooMuchBack, schemaBroken]));
    expect(outcome.counts).toMatchObject({ ok: 4, deadLettered: 1 });
    const rs = await world.ch.query({
      query:
        "SELECT arrayJoin(reasons) AS reason FROM rejected_events FINAL WHERE org_id = {org:String} ORDER BY reason",
      query_params: { org },
      format: "JSONEachRow",
    });
    expect((await rs.json<{ reason: string }>()).map((r) => r.reason)).toEqual(["schema_invalid"]);
    const anomalies = await world.sql.query(
      "SELECT kind, subject, status FROM anomalies WHERE org_id = $1 ORDER BY kind, subject",
      [org],
    );
    expect(anomalies).toEqual([
      { kind: "currency_mismatch", subject: "pay-eur", status: "open" },
      { kind: "currency_mismatch", subject: tooMuchBack.data.refundId, status: "open" },
      { kind: "refund_exceeds_paid", subject: "pay-eur", status: "open" },
    ]);
    // Every payment and refund counts in its own currency; the orphan under no service until its booking arrives.
    const revenue = await world.ch.query({
      query: `SELECT service, currency, sum(payments_received) AS paid, sum(refunds) AS refunded
              FROM revenue_daily FINAL WHERE org_id = {org:String} GROUP BY service, currency ORDER BY service, currency`,
      query_params: { org },
      format: "JSONEachRow",
    });
    expect(await revenue.json()).toEqual([
      { service: "", currency: "GBP", paid: 55000, refunded: 0 },
      { service: "photography", currency: "EUR", paid: 55000, refunded: 60000 },
      { service: "photography", currency: "GBP", paid: 0, refunded: 0 },
    ]);
  });

  it("counts a payment before its booking at once and links it when the booking arrives in a later batch", async () => {
    const org = `org_${randomUUID()}`;
    const booking = example("booking.created");
    const payment = example("payment.received");
    const refund = example("payment.refunded");
    const raise = withId(example("booking.updated"));
    raise.occurredAt = "2026-02-01T10:00:00Z";
    raise.data = {
      bookingId: booking.data.bookingId,
      weddingId: booking.data.weddingId,
      contractValue: { amount: 300_000, currency: "GBP" },
    };
    const earlierRaise = withId(raise);
    earlierRaise.occurredAt = "2026-01-20T10:00:00Z";
    earlierRaise.data = { ...raise.data, contractValue: { amount: 250_000, currency: "GBP" } };
    const revenue = async () =>
      (
        await world.ch.query({
          query: `SELECT service, sum(bookings) AS bookings, sum(contract_value) AS contract,
                    sum(payments_received) AS paid, sum(refunds) AS refunded
                  FROM revenue_daily FINAL WHERE org_id = {org:String} GROUP BY service
                  HAVING bookings != 0 OR contract != 0 OR paid != 0 OR refunded != 0 ORDER BY service`,
          query_params: { org },
          format: "JSONEachRow",
        })
      ).json();

    await runBatch("g5", records(org, [payment, raise], 0, 0));
    await runBatch("g5", records(org, [refund], 0, 2));
    expect(await revenue()).toEqual([{ service: "", bookings: 0, contract: 0, paid: 55_000, refunded: 5_000 }]);
    expect(await count("events", org, "AND service = 'photography'")).toBe(0);

    await runBatch("g5", records(org, [booking, earlierRaise], 0, 3));
    expect(await revenue()).toEqual([
      { service: "photography", bookings: 1, contract: 300_000, paid: 55_000, refunded: 5_000 },
    ]);
    expect(
      await count("events", org, "AND type IN ('payment.received', 'payment.refunded') AND service = 'photography'"),
    ).toBe(2);
    const [row] = await world.sql.query(
      "SELECT contract_amount, paid_amount, refunded_amount FROM bookings WHERE org_id = $1",
      [org],
    );
    expect(row).toEqual({ contract_amount: 300_000, paid_amount: 55_000, refunded_amount: 5_000 });
    const links = await world.sql.query(
      "SELECT linked FROM payments WHERE org_id = $1 UNION ALL SELECT linked FROM refunds WHERE org_id = $1",
      [org],
    );
    expect(links).toEqual([{ linked: true }, { linked: true }]);
  });

  it("absorbs a replayed range: same tokens, same state, nothing counted twice", async () => {
    const org = `org_${randomUUID()}`;
    const batch = records(org, [example("booking.created"), example("payment.received")], 1, 100);
    const first = await runBatch("g3", batch);
    // A crash after the ClickHouse insert but before the commit would repeat the inserts with the same range.
    await insertBatchRows(world.ch, first.range, first.outcome);
    expect(await count("events", org)).toBe(2);
    // The same events appended to the log a second time (a crash between append and dedup record) are dropped.
    const again = await runBatch("g3", records(org, [example("booking.created"), example("payment.received")], 1, 102));
    expect(again.outcome.counts).toMatchObject({ ok: 0, dropped: 2 });
    const [row] = await world.sql.query("SELECT paid_amount FROM bookings WHERE org_id = $1", [org]);
    expect(row!.paid_amount).toBe(55_000);
    expect((await loadOffsets(world.sql, "g3", EVENTS_TOPIC)).get(1)).toEqual({ next: 104, pendingEnd: null });
  });

  it("keeps each booking's balance and cancellation fee through payments, refunds and cancellation", async () => {
    const org = `org_${randomUUID()}`;
    const booking = example("booking.created");
    const deposit = example("payment.received");
    const instalment = withId(example("payment.received"));
    instalment.data.paymentId = "pay-instalment";
    instalment.data.amount.amount = 30_000;
    instalment.occurredAt = "2026-03-01T10:00:00Z";
    const refund = example("payment.refunded");
    const other = withId(example("booking.created"));
    other.data.bookingId = "bk-other";
    const plainCancel = withId(example("booking.cancelled"));
    plainCancel.data = { bookingId: "bk-other", weddingId: other.data.weddingId };
    const balances = () =>
      world.sql.query(
        `SELECT booking_id, status, balance_amount, cancellation_fee FROM bookings
         WHERE org_id = $1 ORDER BY booking_id`,
        [org],
      );

    await runBatch("g4", records(org, [booking, deposit, instalment, refund, other], 4));
    expect(await balances()).toEqual([
      // 220 000 contracted, 55 000 + 30 000 paid, 5 000 of it refunded: 140 000 still to pay.
      { booking_id: "bk-88213", status: "active", balance_amount: 140_000, cancellation_fee: null },
      { booking_id: "bk-other", status: "active", balance_amount: 220_000, cancellation_fee: null },
    ]);

    const { outcome } = await runBatch("g4", records(org, [example("booking.cancelled"), plainCancel], 4, 5));
    expect(outcome.counts).toMatchObject({ ok: 2, deadLettered: 0 });
    expect(await balances()).toEqual([
      { booking_id: "bk-88213", status: "cancelled", balance_amount: 140_000, cancellation_fee: 20_000 },
      { booking_id: "bk-other", status: "cancelled", balance_amount: 220_000, cancellation_fee: 0 },
    ]);
  });
});
