import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { computeGroundTruth } from "../oracle/ground-truth.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { loadOffsets } from "../processors/write-batch.ts";
import { killHard, startChildApp, type ChildApp } from "./support/child-app.ts";
import { KAFKA_BROKERS, kafkaStack, type ServerStack } from "./support/server-stack.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";
import { waitFor } from "./support/wait-for.ts";

// Two processor processes share one group only through a log and a Postgres both can reach: Kafka and the local server.
const CAN_RUN = Boolean(KAFKA_BROKERS && process.env.DATABASE_URL);
if (!CAN_RUN) {
  console.info("KAFKA_BROKERS or DATABASE_URL not set: the consumer-group failover test skipped");
}

const FROM = "2025-11-01";
const TO = "2026-10-31";

/** What a processor's log lines say: each assignment the group gave it, and each batch it committed. */
function linesOf(app: ChildApp) {
  const entries = app
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    assignments: entries
      .filter((entry) => entry.event === "event_log_partitions_assigned")
      .map((entry) => entry.partitions as number[]),
    batches: entries
      .filter((entry) => entry.event === "processor.batch")
      .map((entry) => ({ partition: entry.partition as number, from: entry.from as number, to: entry.to as number })),
  };
}

const latest = (app: ChildApp) => linesOf(app).assignments.at(-1) ?? [];

describe.skipIf(!CAN_RUN)("two processors in one Kafka consumer group", () => {
  let dir: TempDir;
  let stack: ServerStack;
  let ingest: App;
  const processors: ChildApp[] = [];

  beforeAll(async () => {
    dir = await makeTempDir("wedsync-failover");
    stack = await kafkaStack("failover");
    // Producers post through an ingest-only app; nothing in this process processes.
    ingest = await startTestApp(path.join(dir.path, "ingest"), stack.env, ["ingest"]);
  });

  afterAll(async () => {
    for (const processor of processors) await killHard(processor);
    await ingest?.close();
    await dir?.cleanup();
    await stack?.dispose();
  });

  it("share the partitions; when one is SIGKILLed mid-batch the other takes its partitions over, and every acknowledged event counts once", async () => {
    const { orgId, apiKey } = await createOrganisation(ingest.sql, "Failover Weddings");
    const items = [
      ...generateWeddingData({
        seed: 13,
        organisations: [ORG_PRESETS.soloFlorist],
        from: FROM,
        to: TO,
        anomalyRate: 0.05,
        maxEvents: 1_200,
      }),
    ];
    // Small batches, so each processor writes many; each has a data directory (its embedded ClickHouse) of its own.
    const processorEnv = { ...stack.env, LOG_LEVEL: "debug", PROCESS_BATCH_SIZE: "20" };
    // The first kills itself (SIGKILL) right after a ClickHouse insert and before the Postgres commit that would end
    // the batch, leaving the range pending; one batch in five, so it dies a few batches into the load.
    const doomed = await startChildApp(
      {
        ...processorEnv,
        DATA_DIR: path.join(dir.path, "first"),
        WEDSYNC_TEST_CRASH_POINTS: "process.after-clickhouse-insert=0.2",
      },
      { roles: ["process"] },
    );
    processors.push(doomed);
    await waitFor(async () => latest(doomed).length === 4, {
      timeoutMs: 60_000,
      message: "first processor not assigned",
    });
    const survivor = await startChildApp(
      { ...processorEnv, DATA_DIR: path.join(dir.path, "second") },
      { roles: ["process"] },
    );
    processors.push(survivor);
    await waitFor(async () => latest(doomed).length === 2 && latest(survivor).length === 2, {
      timeoutMs: 60_000,
      message: "the group did not split the partitions between the two processors",
    });
    const doomedPartitions = latest(doomed);
    expect([...doomedPartitions, ...latest(survivor)].sort()).toEqual([0, 1, 2, 3]);

    const died = new Promise<NodeJS.Signals | null>((resolve) =>
      doomed.process.once("exit", (_code, signal) => resolve(signal)),
    );
    // Every request is acknowledged (postEvents expects 202) while the first processor dies and the group rebalances.
    await postEvents(
      ingest,
      apiKey,
      items.map((item) => item.event),
      50,
    );
    // One batch in five dies, so it all but surely did; if it met no crash point (it lost its partitions to a
    // rebalance on a very busy machine, say), it is killed from outside, and the rest of the test holds the same.
    const signal = await Promise.race([died, new Promise<"alive">((resolve) => setTimeout(resolve, 60_000, "alive"))]);
    if (signal === "alive") {
      console.info("the first processor met no crash point in 60 s: SIGKILLed from outside");
      await killHard(doomed);
    } else {
      expect(signal).toBe("SIGKILL");
    }

    // The survivor is given every partition and catches up: nothing waits in the log, nothing is left pending.
    await waitFor(async () => latest(survivor).length === 4, { timeoutMs: 60_000, message: "no takeover" });
    await waitUntilProcessed(ingest, 120_000);
    const ends = await ingest.log.endOffsets(stack.env.EVENTS_TOPIC!);
    const offsets = await loadOffsets(ingest.sql, stack.env.PROCESSOR_GROUP!, stack.env.EVENTS_TOPIC!);
    expect([...offsets].sort(([a], [b]) => a - b)).toEqual(ends.map((end, p) => [p, { next: end, pendingEnd: null }]));

    // Each partition the first processor had resumes, on the survivor, exactly where the first one last committed.
    const first = linesOf(doomed).batches;
    const second = linesOf(survivor).batches;
    for (const partition of doomedPartitions) {
      const lastCommitted = first.filter((b) => b.partition === partition).at(-1)?.to ?? 0;
      const resumed = second.filter((b) => b.partition === partition && b.from >= lastCommitted);
      if (lastCommitted < ends[partition]!) expect(resumed[0]?.from).toBe(lastCommitted);
    }

    // The figures in Postgres are those of the acknowledged events, each counted once.
    const truth = computeGroundTruth(items).orgs["petal-and-stem"]!;
    const rows = await ingest.sql.query<Record<string, string | number>>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, service, region, currency,
              sum(bookings)::int AS bookings, sum(contract_value)::bigint AS contract_value,
              sum(payments_received)::bigint AS payments_received, sum(refunds)::bigint AS refunds,
              sum(cancelled_bookings)::int AS cancelled_bookings,
              sum(released_contract_value)::bigint AS released_contract_value,
              sum(cancellation_fees)::bigint AS cancellation_fees
       FROM revenue_daily WHERE org_id = $1
       GROUP BY day, service, region, currency
       HAVING sum(bookings) <> 0 OR sum(contract_value) <> 0 OR sum(payments_received) <> 0 OR sum(refunds) <> 0
         OR sum(cancelled_bookings) <> 0 OR sum(released_contract_value) <> 0 OR sum(cancellation_fees) <> 0
       ORDER BY day, service, region, currency`,
      [orgId],
    );
    const key = (r: { day: string; service: string; region: string | null; currency: string }) =>
      `${r.day} ${r.service} ${r.region ?? ""} ${r.currency}`;
    expect(
      rows.map((r) => ({
        key: key(r as never),
        bookings: Number(r.bookings),
        contractValue: Number(r.contract_value),
        paymentsReceived: Number(r.payments_received),
        refunds: Number(r.refunds),
        cancelledBookings: Number(r.cancelled_bookings),
        releasedContractValue: Number(r.released_contract_value),
        cancellationFees: Number(r.cancellation_fees),
      })),
    ).toEqual(
      truth.revenueDaily
        .map(({ day, service, region, currency, ...figures }) => ({
          key: key({ day, service, region, currency }),
          ...figures,
        }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
  }, 300_000);
});
