import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClickHouseClient } from "@clickhouse/client";
import { createClickHouse } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import { linkRowsCommand } from "../../processors/write-batch.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import {
  BOOKING_ATTRIBUTE_COLUMNS,
  bookingAttributeRows,
  CREATE_BOOKING_ATTRIBUTES,
  isLatePayment,
  type LatePayment,
  paymentsByMonthServiceCurrency,
  pickLatePayments,
  READ_WAYS,
  type ReadWay,
  toLinkedRow,
  unlinkedRow,
} from "./late-link-queries.ts";
import { insertEventRows } from "./load-clickhouse.ts";
import { percentile, type Figure, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { eventRowChunks, type GeneratedEventRows } from "./sink-event-rows.ts";

const ORGANISATIONS = [ORG_PRESETS.chain, ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist];
/** Payments of the chain (the biggest organisation) per generated event: about 0.2 (206,092 of 1M events). */
const CHAIN_PAYMENTS_PER_EVENT = 0.2;
const GENERATION = { from: "2023-01-01", to: "2025-12-31", seed: 11, organisations: ORGANISATIONS };
/** Late payments left over by the timed batches are linked this many at a time. */
const REST_BATCH = 10_000;
/** How long to wait for background merges to finish before a measurement, at most. */
const SETTLE_TIMEOUT_MS = 10 * 60_000;
/** ClickHouse's own caches, emptied before each cold run (the OS page cache is not: see run's doc comment). */
const CLICKHOUSE_CACHES = ["MARK", "UNCOMPRESSED", "PRIMARY INDEX", "QUERY CONDITION", "QUERY"];

const round = (ms: number) => Math.round(ms * 100) / 100;
const label = (events: number) => (events >= 1_000_000 ? `${events / 1_000_000}M` : `${events / 1000}k`);

/** Resolves with the milliseconds fn took. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Waits until ClickHouse has run no merge for three polls in a row, a second apart, so that a measurement does not
 * share the machine with one. It does not wait for the parts to be merged: merges fold small parts on their own
 * schedule, and may leave a few per partition for a long time.
 */
async function settleMerges(ch: ClickHouseClient): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (let quiet = 0; quiet < 3; ) {
    const result = await ch.query({ query: "SELECT count() AS n FROM system.merges", format: "JSONEachRow" });
    quiet = Number((await result.json<{ n: number }>())[0]?.n) === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`merges still running after ${SETTLE_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Active parts, rows and bytes on disk of a table. */
async function tableSize(ch: ClickHouseClient, table: string): Promise<{ parts: number; rows: number; bytes: number }> {
  const result = await ch.query({
    query: `SELECT count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
            WHERE active AND database = currentDatabase() AND table = {table:String}`,
    query_params: { table },
    format: "JSONEachRow",
  });
  const row = (await result.json<Record<string, number | string>>())[0]!;
  return { parts: Number(row.parts), rows: Number(row.rows), bytes: Number(row.bytes) };
}

/** How many of the given payments' rows (as `events FINAL` reads them) have no service: not linked. */
async function unlinkedCount(ch: ClickHouseClient, orgId: string, payments: readonly LatePayment[]): Promise<number> {
  const result = await ch.query({
    query: `SELECT count() AS n FROM events FINAL
            WHERE org_id = {orgId:String} AND type = 'payment.received' AND toString(id) IN {ids:Array(String)}
              AND service = ''`,
    query_params: { orgId, ids: payments.map((p) => p.eventId) },
    format: "JSONEachRow",
  });
  return Number((await result.json<{ n: number }>())[0]?.n);
}

/**
 * Links each batch of late payments with the processor's `linkRowsCommand` (timed), checking that all its payments
 * were unlinked before and none is after, then writes the batch's bookings into `booking_attributes` (timed): what
 * the alternative writes when those bookings arrive. Resolves with the series' figures, named `link_<series>_…` and
 * `booking_attributes_write_<series>_…`.
 */
async function timeLinkSeries(
  ch: ClickHouseClient,
  orgId: string,
  series: string,
  batches: readonly LatePayment[][],
): Promise<Figure[]> {
  const linkMs: number[] = [];
  const attributesMs: number[] = [];
  const bookingsLinked: number[] = [];
  const monthsTouched: number[] = [];
  for (const [batch, payments] of batches.entries()) {
    // The product's settings for these inserts (insertBatchRows): a token per batch, any number of months.
    const settings = (table: string) => ({
      insert_deduplication_token: `${table}:late-link/${series}/${batch}`,
      max_partitions_per_insert_block: "0",
    });
    if ((await unlinkedCount(ch, orgId, payments)) !== payments.length)
      throw new Error(`${series}: not all the batch's payments are unlinked`);
    monthsTouched.push(new Set(payments.map((p) => p.occurredAt.slice(0, 7))).size);

    const command = linkRowsCommand(payments.map(toLinkedRow));
    linkMs.push(await timed(() => ch.command({ ...command, clickhouse_settings: settings("events-links") })));
    const unlinked = await unlinkedCount(ch, orgId, payments);
    if (unlinked !== 0) throw new Error(`${series}: ${unlinked} payments still unlinked after the link`);

    const bookingRows = [...new Map(payments.map((p) => [p.bookingRow[1], p.bookingRow])).values()];
    bookingsLinked.push(bookingRows.length);
    attributesMs.push(
      await timed(() =>
        ch.insert({
          table: "booking_attributes",
          values: bookingRows,
          columns: BOOKING_ATTRIBUTE_COLUMNS as unknown as [string, ...string[]],
          format: "JSONCompactEachRow",
          clickhouse_settings: settings("booking_attributes"),
        }),
      ),
    );
  }
  const linkP50 = percentile(linkMs, 50);
  const attributesP50 = percentile(attributesMs, 50);
  const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  const rows = mean(batches.map((b) => b.length));
  return [
    {
      name: `link_${series}_p50_ms`,
      value: round(linkP50),
      unit: "ms",
      baseline: { name: `booking_attributes_write_${series}_p50_ms`, value: round(attributesP50) },
      ratio: Math.round((attributesP50 / linkP50) * 1000) / 1000,
    },
    { name: `link_${series}_max_ms`, value: round(Math.max(...linkMs)), unit: "ms" },
    { name: `link_${series}_rows_per_s`, value: Math.round(rows / (linkP50 / 1000)), unit: "rows/s" },
    { name: `link_${series}_months_touched`, value: mean(monthsTouched), unit: "months (parts written)" },
    { name: `booking_attributes_write_${series}_p50_ms`, value: round(attributesP50), unit: "ms" },
    { name: `booking_attributes_write_${series}_bookings`, value: mean(bookingsLinked), unit: "bookings" },
  ];
}

/** Answers one question, as the JSON text of its rows. */
async function ask(ch: ClickHouseClient, way: ReadWay, orgId: string | undefined): Promise<string> {
  const result = await ch.query({ ...paymentsByMonthServiceCurrency(way, orgId), format: "JSONEachRow" });
  return JSON.stringify(await result.json());
}

/** Payments an answer counts under no service. */
const unlinkedIn = (answer: string) =>
  (JSON.parse(answer) as { svc: string; payments: number }[])
    .filter((row) => row.svc === "")
    .reduce((sum, row) => sum + Number(row.payments), 0);

/**
 * How ClickHouse learns a late link (issue 12), measured both ways on embedded chDB over `events` events generated
 * with the product's row builders (three organisations, three years), `booking_attributes` (the alternative: a
 * current-state table of bookings) filled from the same rows' creations. The payments of a pseudo-random share of the
 * biggest organisation's bookings are written unlinked (supplier, service, region and venue empty, as the processor
 * writes a payment that arrived before its booking); every other payment row carries its booking's attributes.
 *
 * Write side: batches linking those late payments, whole bookings at a time, of 100, 1,000 and 10,000 payments, each
 * size several times on fresh payments. Timed: the processor's `linkRowsCommand` with the product's insert settings
 * (it re-inserts each payment's row with the attributes filled, one new part per month the batch touches), then, for
 * the alternative, writing the same batch's bookings into `booking_attributes` (one row per booking). Each link is
 * checked: every payment of the batch unlinked before, none after. Then the same for batches of payments of a single
 * month (up to 100 each, from the month with most late payments left): a link writes one part per month it touches.
 * The late payments the timed batches leave are then linked too, untimed, so that every payment row carries its
 * booking's attributes.
 *
 * Read side, after the links and once merges have stopped: payments received per month × service × currency, for the
 * biggest organisation (`one_org`) and for all three (`all_orgs`), answered three ways (paymentsByMonthServiceCurrency):
 * `denormalised` (the payment rows carry the service: the chosen design), `join_events` (joined at query time to the
 * `booking.created` rows of `events`) and `join_booking_attributes` (joined to the current-state table). All three
 * answers must be identical before any is timed. Runs are interleaved (each run asks the three in turn), so a load on
 * the machine weighs on the three alike. Cold runs come each after emptying ClickHouse's caches (marks, uncompressed
 * blocks, primary index, query condition and query caches); the OS page cache is left warm (emptying it needs root and
 * does it for the whole machine; the tables fit in memory many times over). Warm runs repeat the query as is. The
 * denormalised question is also timed warm before the links: what the re-inserted rows (more parts, two copies of
 * each linked payment until merged) cost it.
 */
export async function run(options: ScenarioOptions & { events?: number }): Promise<ScenarioResult> {
  const target = options.events ?? (options.quick ? 100_000 : 1_000_000);
  const coldRuns = options.quick ? 3 : 5;
  const warmRuns = options.quick ? 5 : target > 2_000_000 ? 10 : 20;
  const linkSizes = options.quick ? [100, 1000] : [100, 1000, 10_000];
  const linkBatches = options.quick ? 2 : 3;
  const needed = linkSizes.reduce((sum, size) => sum + size * linkBatches, 0);
  // Half as many payments again as the batches need (whole bookings are late), from the chain's payments per event.
  const lateShare = Math.min(1, (1.5 * needed) / (CHAIN_PAYMENTS_PER_EVENT * target));
  const orgId = ORG_PRESETS.chain.key;
  const loadAverages = [os.loadavg()[0]!];

  const ch = createClickHouse({ url: undefined, dataDir: path.join(options.workDir, "late-link") });
  try {
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
    await ch.command({ query: CREATE_BOOKING_ATTRIBUTES });

    options.log(
      `late-link: generating and loading ${target} events (${orgId}: ${lateShare.toFixed(3)} of bookings late)`,
    );
    const summary: Omit<GeneratedEventRows, "rows"> = { revenueRows: [], rowsByOrg: new Map() };
    const loadMs = { events: 0, bookingAttributes: 0 };
    let bookings = 0;
    let latePayments = 0;
    for (const generated of eventRowChunks(GENERATION, target, {}, summary)) {
      const chunk = generated.map((row) => {
        if (!isLatePayment(row, orgId, lateShare)) return row;
        latePayments++;
        return unlinkedRow(row);
      });
      loadMs.events += await timed(() => insertEventRows(ch, chunk));
      const attributes = bookingAttributeRows(chunk);
      bookings += attributes.length;
      loadMs.bookingAttributes += await timed(() =>
        ch.insert({
          table: "booking_attributes",
          values: attributes,
          columns: BOOKING_ATTRIBUTE_COLUMNS as unknown as [string, ...string[]],
          format: "JSONCompactEachRow",
        }),
      );
    }
    await settleMerges(ch);
    const eventsLoaded = await tableSize(ch, "events");
    const attributesSize = await tableSize(ch, "booking_attributes");
    options.log(
      `late-link: loaded (events ${(loadMs.events / 1000).toFixed(1)} s, ${eventsLoaded.parts} parts; booking_attributes ${(loadMs.bookingAttributes / 1000).toFixed(1)} s, ${bookings} bookings; ${latePayments} late payments)`,
    );
    const scopes: [string, string | undefined][] = [
      ["one_org", orgId],
      ["all_orgs", undefined],
    ];

    // Before the links: the late payments count under no service in the denormalised answer only.
    const warmBeforeLinks = new Map<string, number>();
    for (const [scope, org] of scopes) {
      const unlinked = unlinkedIn(await ask(ch, "denormalised", org)) - unlinkedIn(await ask(ch, "join_events", org));
      if (unlinked !== latePayments) throw new Error(`${scope}: ${unlinked} payments unlinked, not ${latePayments}`);
      const warm: number[] = [];
      for (let i = 0; i < warmRuns; i++) warm.push(await timed(() => ask(ch, "denormalised", org)));
      warmBeforeLinks.set(scope, percentile(warm, 50));
    }

    const figures: Figure[] = [];
    const late = await pickLatePayments(ch, orgId, latePayments);
    if (late.length !== latePayments) throw new Error(`${late.length} late payments found, ${latePayments} written`);
    if (late.length < needed) throw new Error(`${orgId} has ${late.length} late payments; ${needed} are needed`);
    options.log(`late-link: linking ${linkBatches} batches of each of ${linkSizes.join(", ")} late payments`);
    let next = 0;
    for (const size of linkSizes) {
      const batches = Array.from({ length: linkBatches }, (_, i) => late.slice(next + i * size, next + (i + 1) * size));
      next += size * linkBatches;
      figures.push(...(await timeLinkSeries(ch, orgId, `${size}_payments`, batches)));
    }
    // Batches of payments of one month only: a link writes a part per month it touches, whatever its payments.
    const rest = late.slice(next);
    const byMonth = new Map<string, LatePayment[]>();
    for (const p of rest) {
      const month = p.occurredAt.slice(0, 7);
      const payments = byMonth.get(month);
      if (payments === undefined) byMonth.set(month, [p]);
      else payments.push(p);
    }
    const fullest = [...byMonth.values()].reduce((a, b) => (b.length > a.length ? b : a), []);
    const oneMonthSize = Math.min(linkSizes[0]!, Math.floor(fullest.length / linkBatches));
    if (oneMonthSize === 0) throw new Error("no month has late payments left for the one-month batches");
    const oneMonth = Array.from({ length: linkBatches }, (_, i) =>
      fullest.slice(i * oneMonthSize, (i + 1) * oneMonthSize),
    );
    figures.push(...(await timeLinkSeries(ch, orgId, `${oneMonthSize}_payments_one_month`, oneMonth)));

    // The late payments the timed batches left, linked too (untimed), so the three ways can agree.
    const linked = new Set(oneMonth.flat());
    const left = rest.filter((p) => !linked.has(p));
    for (let i = 0; i < left.length; i += REST_BATCH) {
      await ch.command({
        ...linkRowsCommand(left.slice(i, i + REST_BATCH).map(toLinkedRow)),
        clickhouse_settings: { max_partitions_per_insert_block: "0" },
      });
    }
    const eventsAfterLinks = await tableSize(ch, "events");
    await settleMerges(ch);
    const eventsSettled = await tableSize(ch, "events");

    for (const [scope, org] of scopes) {
      const first = await ask(ch, "denormalised", org);
      if (first === "[]") throw new Error(`no payments for ${scope}: nothing to time`);
      for (const way of READ_WAYS.filter((w) => w !== "denormalised")) {
        if ((await ask(ch, way, org)) !== first) throw new Error(`${way} disagrees with denormalised for ${scope}`);
      }
    }
    options.log(`late-link: the three ways agree; timing ${coldRuns} cold and ${warmRuns} warm runs of each`);

    const dropCaches = async () => {
      for (const cache of CLICKHOUSE_CACHES) await ch.command({ query: `SYSTEM DROP ${cache} CACHE` });
    };
    for (const [scope, org] of scopes) {
      const ms = new Map<string, number[]>(
        READ_WAYS.flatMap((way) => [
          [`${way}_cold`, []],
          [`${way}_warm`, []],
        ]),
      );
      for (let i = 0; i < coldRuns; i++) {
        for (const way of READ_WAYS) {
          await dropCaches();
          ms.get(`${way}_cold`)!.push(await timed(() => ask(ch, way, org)));
        }
      }
      for (let i = 0; i < warmRuns; i++) {
        for (const way of READ_WAYS) ms.get(`${way}_warm`)!.push(await timed(() => ask(ch, way, org)));
      }
      for (const temperature of ["cold", "warm"]) {
        const chosen = percentile(ms.get(`denormalised_${temperature}`)!, 50);
        for (const way of READ_WAYS) {
          const runs = ms.get(`${way}_${temperature}`)!;
          const median = percentile(runs, 50);
          const name = `read_${way}_${scope}_${temperature}`;
          figures.push(
            way === "denormalised"
              ? { name: `${name}_p50_ms`, value: round(median), unit: "ms" }
              : {
                  name: `${name}_p50_ms`,
                  value: round(median),
                  unit: "ms",
                  baseline: { name: `read_denormalised_${scope}_${temperature}_p50_ms`, value: round(chosen) },
                  ratio: Math.round((chosen / median) * 100) / 100,
                },
            { name: `${name}_p95_ms`, value: round(percentile(runs, 95)), unit: "ms" },
          );
        }
      }
      const before = warmBeforeLinks.get(scope)!;
      const after = percentile(ms.get("denormalised_warm")!, 50);
      figures.push({
        name: `read_denormalised_${scope}_warm_before_links_p50_ms`,
        value: round(before),
        unit: "ms",
        baseline: { name: `read_denormalised_${scope}_warm_p50_ms`, value: round(after) },
        ratio: Math.round((after / before) * 100) / 100,
      });
    }

    figures.push(
      { name: "booking_attributes_bytes_on_disk", value: attributesSize.bytes, unit: "bytes" },
      { name: "booking_attributes_rows", value: attributesSize.rows, unit: "rows" },
      { name: "events_bytes_on_disk", value: eventsLoaded.bytes, unit: "bytes" },
      {
        name: "booking_attributes_share_of_events_bytes",
        value: Math.round((attributesSize.bytes / eventsLoaded.bytes) * 10_000) / 10_000,
        unit: "fraction",
      },
      { name: "load_events_s", value: round(loadMs.events / 1000), unit: "s" },
      { name: "load_booking_attributes_s", value: round(loadMs.bookingAttributes / 1000), unit: "s" },
    );
    // Fewer parts than when reading began means merges ran during the reads, sharing the machine with them.
    const eventsAfterReads = await tableSize(ch, "events");
    loadAverages.push(os.loadavg()[0]!);

    return {
      scenario: `late-link-${label(target)}`,
      setup: {
        events: target,
        ...Object.fromEntries([...summary.rowsByOrg].map(([key, n]) => [`events_${key}`, n])),
        queried_org: orgId,
        bookings,
        late_booking_share: Math.round(lateShare * 1000) / 1000,
        late_payments: latePayments,
        late_payments_timed: needed,
        period: `${GENERATION.from}..${GENERATION.to}`,
        link_batches_per_size: linkBatches,
        cold_runs: coldRuns,
        warm_runs: warmRuns,
        cold: "ClickHouse caches emptied before each run; OS page cache warm",
        events_parts_loaded: eventsLoaded.parts,
        events_parts_after_links: eventsAfterLinks.parts,
        events_parts_when_read: eventsSettled.parts,
        events_parts_after_reads: eventsAfterReads.parts,
        load_average_1m_start_end: loadAverages.map((l) => l.toFixed(1)).join(" / "),
        clickhouse: "chDB (embedded)",
      },
      figures,
    };
  } finally {
    await ch.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseScenarioArgs(process.argv.slice(2));
  const result = await run({
    quick: args.quick,
    workDir: args.workDir,
    log: (line) => console.error(line),
    ...(args.events === undefined ? {} : { events: args.events }),
  });
  console.log(JSON.stringify(result));
}
