import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventLog, LogMessage, LogRecord } from "../platform/event-log/event-log.ts";
import { createLmdbEventLog } from "../platform/event-log/lmdb-event-log.ts";
import { LogUnavailableError } from "../platform/errors.ts";
import { decodeLogEnvelope, encodeLogEnvelope } from "../schemas/index.ts";
import { openPipelineTestWorld, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { deadLetterId } from "./persist-dead-letters.ts";
import { redriveDeadLetters } from "./redrive-dead-letters.ts";

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-redrive");
});

afterAll(async () => {
  await world?.close();
});

/** A log of the test's own in the world's directory; the caller closes it. */
const openLog = () => createLmdbEventLog({ path: path.join(world.dir.path, `log-${randomUUID()}`), partitions: 4 });

/** The record of one event as ingest appends it for orgId, under the wedding's key. */
const envelope = (orgId: string, event: unknown, key = "w-1"): LogMessage => ({
  key,
  value: encodeLogEnvelope({ orgId, receivedAt: "2026-06-02T09:30:00.000Z", event }),
});

/** A booking.created; `set` changes it (to make it invalid, say). */
function booking(bookingId: string, set: (event: Record<string, any>) => void = () => {}): Record<string, any> {
  const event: Record<string, any> = {
    id: randomUUID(),
    type: "booking.created",
    occurredAt: "2026-06-01T10:00:00Z",
    source: "test",
    data: {
      bookingId,
      weddingId: "w-1",
      supplierId: "s-1",
      service: "venue",
      weddingDate: "2027-06-12",
      guestCount: 80,
      contractValue: { amount: 100_000, currency: "GBP" },
    },
  };
  set(event);
  return event;
}

/** Appends the messages to the log, then reads them back and processes them as the runtime would, one batch each. */
async function appendAndProcess(log: EventLog, topic: string, messages: LogMessage[]): Promise<LogRecord[]> {
  const positions = await log.append(topic, messages);
  const records: LogRecord[] = [];
  for (const { partition, offset } of positions) records.push(...(await log.read(topic, partition, offset, 1)));
  for (const record of records) await world.runBatch([record]);
  return records;
}

type DeadLetterRow = {
  id: string;
  org_id: string;
  log_key: string;
  event_id: string;
  event_type: string;
  reasons: string[];
  message: string;
  payload: string;
  redriven_at: unknown;
  redrive_partition: number | null;
  redrive_offset: number | null;
  redrive_of: string | null;
};

async function deadLetters(topic: string): Promise<DeadLetterRow[]> {
  return world.sql.query<DeadLetterRow>(
    `SELECT id, org_id, log_key, event_id, event_type, reasons, message,
            translate(encode(payload, 'base64'), E'\n', '') AS payload,
            redriven_at, redrive_partition, redrive_offset, redrive_of
       FROM dead_letters WHERE log_topic = $1 ORDER BY log_partition, log_offset`,
    [topic],
  );
}

describe("dead letters in Postgres", () => {
  it("are written with their batch, exactly once, with the record's bytes, key and every reason", async () => {
    const org = `org_${randomUUID()}`;
    const topic = `test.${org}`;
    const log = await openLog();
    try {
      const invalid = booking("bk-invalid", (e) => (e.data.guestCount = -1));
      // Not UTF-8, with a NUL: what no text column could hold.
      const raw = Buffer.from([0x7b, 0xff, 0x00, 0xfe]);
      const records = await appendAndProcess(log, topic, [
        envelope(org, booking("bk-fine")),
        envelope(org, invalid),
        { key: "w-1", value: raw },
      ]);
      const rows = await deadLetters(topic);
      expect(rows).toEqual([
        expect.objectContaining({
          id: deadLetterId(topic, records[1]!.partition, records[1]!.offset),
          org_id: org,
          log_key: "w-1",
          event_id: invalid.id,
          event_type: "booking.created",
          reasons: ["schema_invalid"],
          message: expect.stringContaining("$.data.guestCount"),
          payload: records[1]!.value.toString("base64"),
          redriven_at: null,
          redrive_of: null,
        }),
        expect.objectContaining({
          id: deadLetterId(topic, records[2]!.partition, records[2]!.offset),
          org_id: "",
          event_id: "",
          event_type: "",
          reasons: ["undecodable"],
          payload: raw.toString("base64"),
        }),
      ]);
      // The same batch again (a replay after a crash, a rebuild): nothing more, nothing changed.
      await world.runBatch([records[1]!], { group: "replay" });
      expect(await deadLetters(topic)).toEqual(rows);
    } finally {
      await log.close();
    }
  });

  it("are re-driven once: each pending one appended with its key, a second redrive changes nothing", async () => {
    const org = `org_${randomUUID()}`;
    const topic = `test.${org}`;
    const log = await openLog();
    try {
      const invalid = booking("bk-1", (e) => (e.data.guestCount = -1));
      const records = await appendAndProcess(log, topic, [
        envelope(org, invalid, "w-a"),
        { key: "w-b", value: Buffer.from("not json at all") },
      ]);
      const [first, second] = (await deadLetters(topic)).map((row) => row.id);
      const endsBefore = await log.endOffsets(topic);

      const missing = deadLetterId(topic, 3, 999);
      expect(await redriveDeadLetters({ sql: world.sql, log }, { ids: [first!, second!, missing] })).toEqual({
        redriven: 2,
        alreadyRedriven: 0,
        notFound: [missing],
      });
      const rows = await deadLetters(topic);
      expect(rows.every((row) => row.redriven_at !== null)).toBe(true);
      // Each appended once more, with its own key, so to the partition it came from; where is recorded.
      const endsAfter = await log.endOffsets(topic);
      expect(endsAfter.reduce((a, b) => a + b, 0)).toBe(endsBefore.reduce((a, b) => a + b, 0) + 2);
      const again = await Promise.all(
        rows.map(async (row) => (await log.read(topic, row.redrive_partition!, Number(row.redrive_offset), 1))[0]!),
      );
      expect(again.map((r) => [r.key, r.partition])).toEqual(records.map((r) => [r.key, r.partition]));
      // The envelope names the dead letter it re-drives and is otherwise the same; text that is no object is as it was.
      const decoded = decodeLogEnvelope(again[0]!.value);
      expect(decoded).toEqual({
        ok: true,
        envelope: { ...(decodeLogEnvelope(records[0]!.value) as any).envelope, redriveOf: first },
      });
      expect(again[0]!.value.subarray(0, records[0]!.value.length - 1)).toEqual(records[0]!.value.subarray(0, -1));
      expect(again[1]!.value).toEqual(records[1]!.value);

      // Again, by id or by a filter that matches them: nothing appended, nothing changed.
      expect(await redriveDeadLetters({ sql: world.sql, log }, { ids: [first!, second!] })).toEqual({
        redriven: 0,
        alreadyRedriven: 2,
        notFound: [],
      });
      expect(await redriveDeadLetters({ sql: world.sql, log }, { orgId: org, filter: {} })).toEqual({
        redriven: 0,
        alreadyRedriven: 1,
        notFound: [],
      });
      expect(await log.endOffsets(topic)).toEqual(endsAfter);
      expect(await deadLetters(topic)).toEqual(rows);
    } finally {
      await log.close();
    }
  });

  it("names the dead letter it re-drove when a re-driven record is refused again, envelope or not", async () => {
    const org = `org_${randomUUID()}`;
    const topic = `test.${org}`;
    const log = await openLog();
    try {
      await appendAndProcess(log, topic, [
        envelope(
          org,
          booking("bk-1", (e) => (e.data.guestCount = -1)),
        ),
        { key: "w-1", value: Buffer.from("[1, 2") },
      ]);
      const old = await deadLetters(topic);
      await redriveDeadLetters({ sql: world.sql, log }, { ids: old.map((row) => row.id) });
      const moved = await deadLetters(topic);
      for (const row of moved) {
        await world.runBatch(await log.read(topic, row.redrive_partition!, Number(row.redrive_offset), 1));
      }
      const all = await deadLetters(topic);
      expect(all).toHaveLength(4);
      const fresh = all.filter((row) => !old.some((o) => o.id === row.id));
      // The envelope one by the name it carries; the text one by the position it was appended at.
      expect(fresh.map((row) => [row.redrive_of, row.reasons, row.redriven_at])).toEqual([
        [old[0]!.id, ["schema_invalid"], null],
        [old[1]!.id, ["undecodable"], null],
      ]);
      // A second redrive of the first two changes nothing; the new ones wait for theirs.
      expect(await redriveDeadLetters({ sql: world.sql, log }, { ids: old.map((row) => row.id) })).toMatchObject({
        redriven: 0,
        alreadyRedriven: 2,
      });
      // A record claiming to re-drive another organisation's dead letter is not linked to it.
      const intruder = `org_${randomUUID()}`;
      const claim = encodeLogEnvelope({
        orgId: intruder,
        receivedAt: "2026-06-02T09:30:00.000Z",
        event: booking("bk-x", (e) => (e.data.guestCount = -1)),
        redriveOf: old[0]!.id,
      });
      await appendAndProcess(log, topic, [{ key: "w-1", value: claim }]);
      const [claimed] = (await deadLetters(topic)).filter((row) => row.org_id === intruder);
      expect(claimed!.redrive_of).toBeNull();
    } finally {
      await log.close();
    }
  });

  it("chooses by organisation and filter: reason, type and the days received", async () => {
    const org = `org_${randomUUID()}`;
    const other = `org_${randomUUID()}`;
    const topic = `test.${org}`;
    const log = await openLog();
    try {
      const at = (orgId: string, receivedAt: string, event: unknown): LogMessage => ({
        key: "w-1",
        value: encodeLogEnvelope({ orgId, receivedAt, event }),
      });
      const badBooking = () => booking("bk", (e) => (e.data.guestCount = -1));
      const badPayment = { ...badBooking(), type: "payment.received" };
      await appendAndProcess(log, topic, [
        at(org, "2026-06-01T23:59:59.999Z", badBooking()),
        at(org, "2026-06-02T00:00:00.000Z", badBooking()),
        at(org, "2026-06-02T12:00:00.000Z", badPayment),
        at(other, "2026-06-02T12:00:00.000Z", badBooking()),
      ]);
      const redrive = (orgId: string, filter: Record<string, string>) =>
        redriveDeadLetters({ sql: world.sql, log }, { orgId, filter });
      expect(await redrive(org, { reason: "undecodable" })).toMatchObject({ redriven: 0 });
      expect(await redrive(org, { type: "payment.received", from: "2026-06-03" })).toMatchObject({ redriven: 0 });
      expect(
        await redrive(org, { reason: "schema_invalid", type: "booking.created", from: "2026-06-02", to: "2026-06-02" }),
      ).toEqual({
        redriven: 1,
        alreadyRedriven: 0,
        notFound: [],
      });
      expect(await redrive(org, { to: "2026-06-01" })).toMatchObject({ redriven: 1 });
      // Another organisation's ids are not found; without an organisation (the CLI) every one is in reach.
      const theirs = (await deadLetters(topic)).filter((row) => row.org_id === other).map((row) => row.id);
      expect(await redriveDeadLetters({ sql: world.sql, log }, { orgId: org, ids: theirs })).toEqual({
        redriven: 0,
        alreadyRedriven: 0,
        notFound: theirs,
      });
      expect(await redriveDeadLetters({ sql: world.sql, log }, { ids: theirs })).toMatchObject({ redriven: 1 });
      expect(await redrive(org, {})).toEqual({ redriven: 1, alreadyRedriven: 2, notFound: [] });
    } finally {
      await log.close();
    }
  });

  it("marks nothing when the append fails: the transaction rolls back", async () => {
    const org = `org_${randomUUID()}`;
    const topic = `test.${org}`;
    const log = await openLog();
    await appendAndProcess(log, topic, [
      envelope(
        org,
        booking("bk-1", (e) => (e.data.guestCount = -1)),
      ),
    ]);
    const before = await deadLetters(topic);
    await log.close();
    await expect(redriveDeadLetters({ sql: world.sql, log }, { ids: [before[0]!.id] })).rejects.toBeInstanceOf(
      LogUnavailableError,
    );
    expect(await deadLetters(topic)).toEqual(before);
    expect(before[0]!.redriven_at).toBeNull();
  });
});
