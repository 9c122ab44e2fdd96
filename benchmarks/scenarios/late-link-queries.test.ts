import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { createClickHouse } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import { linkRowsCommand } from "../../processors/write-batch.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import {
  BOOKING_ATTRIBUTE_COLUMNS,
  bookingAttributeRows,
  CREATE_BOOKING_ATTRIBUTES,
  isLatePayment,
  paymentsByMonthServiceCurrency,
  pickLatePayments,
  READ_WAYS,
  type ReadWay,
  toLinkedRow,
  unlinkedRow,
} from "./late-link-queries.ts";
import { insertEventRows } from "./load-clickhouse.ts";
import { generateEventRows } from "./sink-event-rows.ts";

interface AnswerRow {
  org: string;
  month: string;
  svc: string;
  cur: string;
  received: number;
  payments: number;
}

it("answers the three ways alike once late payments are linked, and only the denormalised rows wait for the link", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "wedsync-late-link-"));
  const ch = createClickHouse({ url: undefined, dataDir: dir });
  try {
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
    await ch.command({ query: CREATE_BOOKING_ATTRIBUTES });
    const org = ORG_PRESETS.chain.key;
    const { rows } = generateEventRows(
      { seed: 3, organisations: [ORG_PRESETS.chain, ORG_PRESETS.venueGroup], from: "2024-01-01", to: "2024-12-31" },
      5000,
    );
    const late = rows.filter((row) => isLatePayment(row, org, 0.2));
    expect(late.length).toBeGreaterThan(20);
    await insertEventRows(
      ch,
      rows.map((row) => (late.includes(row) ? unlinkedRow(row) : row)),
    );
    await ch.insert({
      table: "booking_attributes",
      values: bookingAttributeRows(rows),
      columns: BOOKING_ATTRIBUTE_COLUMNS as unknown as [string, ...string[]],
      format: "JSONCompactEachRow",
    });
    const ask = async (way: ReadWay, orgId: string | undefined) =>
      (await ch.query({ ...paymentsByMonthServiceCurrency(way, orgId), format: "JSONEachRow" })).json<AnswerRow>();
    const unlinkedPayments = (answer: AnswerRow[]) =>
      answer.filter((row) => row.svc === "").reduce((sum, row) => sum + Number(row.payments), 0);

    // Before their bookings' links reach ClickHouse, the late payments count under no service in the denormalised
    // answer; the joins already find their bookings.
    const joined = await ask("join_events", org);
    expect(joined.length).toBeGreaterThan(0);
    expect(await ask("join_booking_attributes", org)).toEqual(joined);
    expect(unlinkedPayments(await ask("denormalised", org))).toBe(unlinkedPayments(joined) + late.length);

    // Linked in two batches (whole bookings each), then every answer agrees, for the organisation and for all.
    const payments = await pickLatePayments(ch, org, late.length);
    expect(payments).toHaveLength(late.length);
    const half = Math.floor(payments.length / 2);
    for (const batch of [payments.slice(0, half), payments.slice(half)]) {
      await ch.command(linkRowsCommand(batch.map(toLinkedRow)));
    }
    for (const orgId of [org, undefined]) {
      const denormalised = await ask("denormalised", orgId);
      for (const way of READ_WAYS) expect(await ask(way, orgId)).toEqual(denormalised);
    }
    expect(await ask("denormalised", org)).toEqual(joined);
    expect(new Set((await ask("denormalised", undefined)).map((row) => row.org))).toEqual(
      new Set([org, ORG_PRESETS.venueGroup.key]),
    );
  } finally {
    await ch.close();
    await rm(dir, { recursive: true, force: true });
  }
});
