import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../bin/create-app.ts";
import type { LogMessage } from "../../platform/event-log/event-log.ts";
import { createOrganisation } from "../../platform/tenants/organisations.ts";
import { encodeLogEnvelope, EVENTS_TOPIC } from "../../schemas/index.ts";
import { makeTempDir, type TempDir } from "./temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./test-app.ts";

// Poison put straight into the log, bypassing the edge, as events from before the edge refused them (or from another
// producer on Kafka) would be: none may stop processing, for this organisation or any other. One suite, run on each
// Postgres engine by a test file of its own (chDB binds one data directory per process).

const REFUSED_BY_POSTGRES = "bk-refused-by-postgres";
const REFUSED_BY_CLICKHOUSE = "refused by ClickHouse";

/** A booking and its deposit: two valid events of one wedding. */
function bookingWithDeposit(n: number, contract: number, deposit: number, region = "Yorkshire") {
  const weddingId = `w-${n}`;
  const bookingId = `bk-${n}`;
  return [
    {
      id: randomUUID(),
      type: "booking.created",
      occurredAt: "2026-01-15T10:05:00Z",
      source: "wedsync-web",
      data: {
        bookingId,
        weddingId,
        supplierId: "s1",
        service: "venue",
        weddingDate: "2027-06-12",
        guestCount: 100,
        contractValue: { amount: contract, currency: "GBP" },
        region,
      },
    },
    {
      id: randomUUID(),
      type: "payment.received",
      occurredAt: "2026-01-16T10:05:00Z",
      source: "wedsync-payments",
      data: { paymentId: `p-${n}`, bookingId, weddingId, amount: { amount: deposit, currency: "GBP" }, method: "card" },
    },
  ];
}

/** A valid booking.created whose one field is then set to `value`. */
function bookingWith(n: number, set: (event: Record<string, any>) => void): Record<string, any> {
  const [booking] = bookingWithDeposit(n, 1000, 1);
  set(booking!);
  return booking!;
}

const envelope = (org: string, event: unknown): LogMessage => {
  const value = event as { data: { weddingId: string } };
  return {
    key: value.data.weddingId,
    value: encodeLogEnvelope({ orgId: org, receivedAt: new Date().toISOString(), event }),
  };
};

/** Where the suite's app keeps its Postgres state: the environment it adds to the test app's, and its cleanup. */
export interface PoisonSuiteEnv {
  /** True when the suite cannot run here (its server is not configured): it is then reported as skipped. */
  skip?: boolean;
  open(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** The poison-event suite on the Postgres that `env` names (embedded PGlite when it adds nothing). */
export function describePoisonEvents(name: string, env: PoisonSuiteEnv): void {
  let dir: TempDir;
  let app: App;
  let orgId: string;
  let otherOrgId: string;

  async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await app.ch.query({ query, query_params: params, format: "JSONEachRow" });
    return rs.json<T>();
  }

  async function countedIds(org: string): Promise<string[]> {
    const found = await rows<{ id: string }>(
      "SELECT toString(id) AS id FROM events FINAL WHERE org_id = {org:String}",
      { org },
    );
    return found.map((r) => r.id).sort();
  }

  async function rejected(): Promise<{ id: string; reasons: string[]; message: string }[]> {
    return rows("SELECT id, reasons, message FROM rejected_events FINAL ORDER BY log_partition, log_offset");
  }

  /** Revenue rollup totals of an organisation, summed over days and partitions. */
  async function revenueTotals(org: string) {
    const [row] = await rows<{ bookings: number; contract: number; paid: number }>(
      `SELECT sum(bookings) AS bookings, sum(contract_value) AS contract, sum(payments_received) AS paid
       FROM revenue_daily FINAL WHERE org_id = {org:String}`,
      { org },
    );
    return { bookings: Number(row!.bookings), contract: Number(row!.contract), paid: Number(row!.paid) };
  }

  async function metricValue(name: string, labels: string): Promise<number> {
    const text = await (await app.http.request("/metrics")).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? 0 : Number(line.split(" ").pop());
  }

  /** This process's wedsync_processor_events_total, by its labels as /metrics prints them. */
  async function eventsByOutcome(): Promise<Record<string, number>> {
    const text = await (await app.http.request("/metrics")).text();
    const lines = [...text.matchAll(/^wedsync_processor_events_total\{(.*)\} (\d+)$/gm)];
    return Object.fromEntries(lines.map(([, labels, value]) => [labels!, Number(value)]));
  }

  // Hooks inside the describe, so that a suite skipped for want of its server opens nothing.
  describe.skipIf(env.skip === true)(name, () => {
    beforeAll(async () => {
      dir = await makeTempDir("wedsync-poison");
      app = await startTestApp(dir.path, await env.open());
      ({ orgId } = await createOrganisation(app.sql, "Poisoned"));
      ({ orgId: otherOrgId } = await createOrganisation(app.sql, "Bystander"));
      // Real refusals by the real stores, for values the contract allows: a Postgres trigger refusing one booking id
      // (SQLSTATE 23514, as a CHECK constraint would), and a ClickHouse table constraint refusing one region.
      await app.sql.exec(`
        CREATE FUNCTION refuse_test_booking() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.booking_id = '${REFUSED_BY_POSTGRES}' THEN
            RAISE EXCEPTION 'booking % is refused by this test''s trigger', NEW.booking_id USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_test_booking BEFORE INSERT OR UPDATE ON bookings FOR EACH ROW EXECUTE FUNCTION refuse_test_booking();`);
      await app.ch.command({
        query: `ALTER TABLE events ADD CONSTRAINT refuse_test_region CHECK region != '${REFUSED_BY_CLICKHOUSE}'`,
      });
    });

    afterAll(async () => {
      await app?.close();
      await dir?.cleanup();
      await env.close();
    });

    const valid = Array.from({ length: 40 }, (_, n) => bookingWithDeposit(n, 10_000 + n, 100 + n)).flat();
    const bystanders = Array.from({ length: 20 }, (_, n) => bookingWithDeposit(1000 + n, 5_000, 50)).flat();
    const poison = {
      nulInRegion: bookingWith(900, (e) => (e.data.region = "a\u0000b")),
      surrogateInSource: bookingWith(901, (e) => (e.source = "src\ud800")),
      surrogateInRegion: bookingWith(902, (e) => (e.data.region = "r\ud83d")),
      refusedByPostgres: bookingWith(903, (e) => (e.data.bookingId = REFUSED_BY_POSTGRES)),
      refusedByClickHouse: bookingWith(904, (e) => (e.data.region = REFUSED_BY_CLICKHOUSE)),
    };

    it("dead-letters every poison event with its reason and counts every valid one, for every organisation", async () => {
      const messages: LogMessage[] = [];
      // Poison between valid events, in one append, so each lands in a batch beside valid neighbours.
      const poisons = Object.values(poison);
      valid.forEach((event, i) => {
        messages.push(envelope(orgId, event));
        if (i % 8 === 7 && poisons.length > 0) messages.push(envelope(orgId, poisons.shift()));
      });
      messages.push({ key: "w-raw", value: Buffer.from([0x7b, 0xff, 0x00, 0xfe]) });
      messages.push(envelope("org\u0000nul", bookingWithDeposit(905, 1, 1)[0]));
      messages.push({
        key: "w-906",
        value: Buffer.from(
          JSON.stringify({ orgId, receivedAt: "not a time", event: bookingWithDeposit(906, 1, 1)[0] }),
        ),
      });
      await app.log.append(EVENTS_TOPIC, messages);
      await app.log.append(
        EVENTS_TOPIC,
        bystanders.map((event) => envelope(otherOrgId, event)),
      );

      await waitUntilProcessed(app);

      expect(await countedIds(orgId)).toEqual(valid.map((e) => e.id).sort());
      expect(await countedIds(otherOrgId)).toEqual(bystanders.map((e) => e.id).sort());
      const expectedContract = Array.from({ length: 40 }, (_, n) => 10_000 + n).reduce((a, b) => a + b, 0);
      const expectedPaid = Array.from({ length: 40 }, (_, n) => 100 + n).reduce((a, b) => a + b, 0);
      // Exact totals: nothing the failed attempts wrote before a store refused them (the refused event's row and the
      // rollup's totals with it) outlived them.
      expect(await revenueTotals(orgId)).toEqual({ bookings: 40, contract: expectedContract, paid: expectedPaid });
      expect(await revenueTotals(otherOrgId)).toEqual({ bookings: 20, contract: 100_000, paid: 1_000 });
      const [pg] = await app.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM bookings WHERE org_id = $1", [
        orgId,
      ]);
      expect(pg!.n).toBe(40);

      const dead = await rejected();
      const byId = new Map(dead.map((r) => [r.id, r]));
      expect(byId.get(poison.nulInRegion.id)).toMatchObject({
        reasons: ["schema_invalid"],
        message: expect.stringContaining("$.data.region: must not contain NUL"),
      });
      expect(byId.get(poison.surrogateInSource.id)).toMatchObject({
        reasons: ["schema_invalid"],
        message: expect.stringContaining("$.source: must be well-formed Unicode"),
      });
      expect(byId.get(poison.surrogateInRegion.id)).toMatchObject({
        reasons: ["schema_invalid"],
        message: expect.stringContaining("$.data.region"),
      });
      expect(byId.get(poison.refusedByPostgres.id)).toMatchObject({
        reasons: ["store_refused"],
        message: expect.stringMatching(
          /^Postgres refused the event \(23514\): booking bk-refused-by-postgres is refused/,
        ),
      });
      expect(byId.get(poison.refusedByClickHouse.id)).toMatchObject({
        reasons: ["store_refused"],
        message: expect.stringMatching(/^ClickHouse refused the event \(VIOLATED_CONSTRAINT\)/),
      });
      const undecodable = dead.filter((r) => r.reasons[0] === "undecodable").map((r) => r.message);
      expect(undecodable).toHaveLength(3);
      expect(undecodable).toEqual(
        expect.arrayContaining([
          expect.stringContaining("not JSON"),
          expect.stringContaining("orgId must not contain"),
          expect.stringContaining("receivedAt"),
        ]),
      );
      expect(dead).toHaveLength(8);
      // Postgres keeps the same dead letters for their lifecycle (listing, redrive), each once whatever the attempts and
      // halvings before its batch committed, whatever bytes its record held.
      const kept = await app.sql.query<{ event_id: string; reasons: string[] }>(
        "SELECT event_id, reasons FROM dead_letters WHERE redriven_at IS NULL ORDER BY log_partition, log_offset",
      );
      expect(kept.map((r) => [r.event_id, r.reasons])).toEqual(dead.map((r) => [r.id, r.reasons]));

      expect(await metricValue("wedsync_processor_failures_total", 'reason="postgres_refused"')).toBeGreaterThan(0);
      expect(await metricValue("wedsync_processor_failures_total", 'reason="clickhouse_refused"')).toBeGreaterThan(0);
      // Each event once, though the batches holding a refused event were tried whole and in halves before they
      // committed: only committed batches count.
      expect(await eventsByOutcome()).toEqual({
        'outcome="ok",reason=""': 120,
        'outcome="dead_lettered",reason="schema_invalid"': 3,
        'outcome="dead_lettered",reason="store_refused"': 2,
        'outcome="dead_lettered",reason="undecodable"': 3,
      });
      const ready = await app.http.request("/readyz");
      expect(ready.status).toBe(200);
    });

    it("goes on after a restart: the dead letters stay, nothing is counted twice, new events are counted", async () => {
      await app.close();
      app = await startTestApp(dir.path, await env.open());
      const more = bookingWithDeposit(50, 777, 7);
      await app.log.append(
        EVENTS_TOPIC,
        [...more, bookingWith(907, (e) => (e.data.bookingId = REFUSED_BY_POSTGRES))].map((e) => envelope(orgId, e)),
      );
      await waitUntilProcessed(app);
      expect(await countedIds(orgId)).toEqual([...valid, ...more].map((e) => e.id).sort());
      expect(await revenueTotals(orgId)).toMatchObject({ bookings: 41 });
      expect((await rejected()).filter((r) => r.reasons[0] === "store_refused")).toHaveLength(3);
      expect((await app.watermark()).lag).toBe(0);
    });

    it("counts in /metrics what became of each event, by outcome and reason, as state judged it", async () => {
      const before = await eventsByOutcome();
      const [booking, deposit] = bookingWithDeposit(60, 1_000, 100);
      const weddingId = "w-60";
      const payment = (paymentId: string, bookingId: string, amount: number) => ({
        id: randomUUID(),
        type: "payment.received",
        occurredAt: "2026-02-01T10:00:00Z",
        source: "wedsync-payments",
        data: { paymentId, bookingId, weddingId, amount: { amount, currency: "GBP" }, method: "card" },
      });
      const refund = {
        id: randomUUID(),
        type: "payment.refunded",
        occurredAt: "2026-02-02T10:00:00Z",
        source: "wedsync-payments",
        data: {
          refundId: "rf-60",
          paymentId: "p-never-received",
          bookingId: "bk-60",
          weddingId,
          amount: { amount: 10, currency: "GBP" },
        },
      };
      const over = payment("p-60-over", "bk-60", 2_000);
      // One wedding, so one partition and this order: valid for the schema, judged on what is known after each.
      await app.log.append(
        EVENTS_TOPIC,
        [
          booking, // ok
          deposit, // ok
          booking, // the same event again: dropped
          over, // takes the booking past its contract: flagged
          { ...over, id: randomUUID() }, // the same payment re-sent under a new event id: dropped
          payment("p-60-over", "bk-60", 2_500), // the same payment id with other content: dead-lettered
          payment("p-60-lost", "bk-nowhere", 50), // no such booking yet: counted, waits for it
          refund, // no such payment yet: counted, waits for it
        ].map((e) => envelope(orgId, e)),
      );
      await waitUntilProcessed(app);

      const after = await eventsByOutcome();
      const added = Object.fromEntries(
        Object.entries(after)
          .map(([labels, n]) => [labels, n - (before[labels] ?? 0)] as const)
          .filter(([, n]) => n !== 0),
      );
      expect(added).toEqual({
        'outcome="ok",reason=""': 4,
        'outcome="dropped",reason="already_applied"': 1,
        'outcome="dropped",reason="same_content_resent"': 1,
        'outcome="flagged",reason="overpayment"': 1,
        'outcome="dead_lettered",reason="business_id_conflict"': 1,
      });
    });
  });
}
