import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { arrivalOrder } from "../generator/arrival-order.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { expectedAnomalies } from "../oracle/expected-anomalies.ts";
import { expectedRevenue } from "../oracle/expected-revenue.ts";
import { computeGroundTruth } from "../oracle/ground-truth.ts";
import { replayEvents } from "../oracle/replay-events.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import type { WedSyncEvent } from "../schemas/index.ts";
import { type AnswerSpan, everyAnswer } from "./support/every-answer.ts";
import { makePgSchema } from "./support/pg-schema.ts";
import { makeTempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";

/** The pipeline's duplicate-payment window, as bin/create-app.ts sets it. */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000;

const SPAN: AnswerSpan = {
  from: "2025-01-01",
  to: "2026-12-31",
  asOf: ["2025-09-01", "2026-06-15"],
  months: ["2025-06", "2026-05"],
};

/**
 * One organisation's events of two years, with the generator's injected anomalies (overpayments, double charges,
 * payments to unknown or cancelled bookings, refunds above what was paid, money in other currencies), exact re-sends,
 * and re-sends of the same facts under new event ids (a retry from another service).
 */
function eventsOf(seed: number): WedSyncEvent[] {
  return [
    ...generateWeddingData({
      seed,
      organisations: [{ ...ORG_PRESETS.soloFlorist, weddingsPerYear: 10 }],
      from: SPAN.from,
      to: SPAN.to,
      anomalyRate: 0.3,
      mismatchRate: 0.1,
      duplicateRate: 0.03,
      resendRate: 0.05,
    }),
  ].map((item) => item.event);
}

/** The events as they occurred: by occurredAt, then event id. */
function inOccurrenceOrder(events: WedSyncEvent[]): WedSyncEvent[] {
  const at = (e: WedSyncEvent) => Date.parse(e.occurredAt);
  return [...events].sort((a, b) => at(a) - at(b) || (a.id < b.id ? -1 : 1));
}

/** A random arrival order: a permutation across and within weddings (the generator's random arrival order). */
function shuffled(events: WedSyncEvent[], seed: number): WedSyncEvent[] {
  return arrivalOrder(
    events.map((event) => ({ event })),
    { seed, shuffle: "random" },
  ).map((item) => item.event);
}

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) {
  console.info("arrival-order: DATABASE_URL is not set, skipping the Postgres server variant");
}

describe("figures depend on the set of events, not on their arrival order", () => {
  it("gives every answer of the ordered arrival for any arrival order, batch boundaries and restarts", async () => {
    await expectArrivalOrderIrrelevant(async () => ({ env: {}, dispose: async () => {} }));
  }, 900_000);

  it.skipIf(databaseUrl === undefined)(
    "does so with the state on a Postgres server",
    async () => {
      await expectArrivalOrderIrrelevant(async () => {
        const schema = await makePgSchema(databaseUrl!);
        return { env: { DATABASE_URL: schema.url }, dispose: () => schema.dispose() };
      });
    },
    900_000,
  );
});

/**
 * The property: for generated weddings, a random arrival order, random request and processor batch sizes and random
 * restarts, every answer equals the answer for the same events sent in occurrence order (by another organisation of
 * the same app), and the oracle's revenue and anomalies. `stores` gives each run the environment of its stores.
 */
async function expectArrivalOrderIrrelevant(
  stores: () => Promise<{ env: Record<string, string>; dispose: () => Promise<void> }>,
): Promise<void> {
  const scenario = fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    order: fc.integer({ min: 1, max: 1_000_000 }),
    postBatch: fc.integer({ min: 1, max: 80 }),
    processBatch: fc.integer({ min: 1, max: 400 }),
    restartsAfter: fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { maxLength: 2 }),
  });
  await fc.assert(
    fc.asyncProperty(scenario, async ({ seed, order, postBatch, processBatch, restartsAfter }) => {
      const dir = await makeTempDir("wedsync-arrival");
      const store = await stores();
      const env = { ...store.env, PROCESS_BATCH_SIZE: String(processBatch) };
      let app: App = await startTestApp(dir.path, env);
      try {
        const events = eventsOf(seed);
        const ordered = await createOrganisation(app.sql, "ordered");
        const arriving = await createOrganisation(app.sql, "shuffled");
        await postEvents(app, ordered.apiKey, inOccurrenceOrder(events), 500);
        const arrival = shuffled(events, order);
        for (let start = 0, request = 0; start < arrival.length; start += postBatch, request++) {
          await postEvents(app, arriving.apiKey, arrival.slice(start, start + postBatch), postBatch);
          if (restartsAfter.includes(request)) {
            // A restart at a random point: the processor resumes from its committed offsets.
            await app.close();
            app = await startTestApp(dir.path, env);
          }
        }
        await waitUntilProcessed(app, 120_000);
        const expected = await everyAnswer(app, ordered.apiKey, ordered.orgId, SPAN);
        const actual = await everyAnswer(app, arriving.apiKey, arriving.orgId, SPAN);
        // And the oracle, from the events alone: revenue in every shape, and which anomalies hold.
        const items = arrival.map((event) => ({ orgKey: "org", event }));
        const truth = computeGroundTruth(items).orgs.org!;
        for (const interval of ["day", "week", "month"] as const) {
          for (const groupBy of ["none", "service", "region"] as const) {
            const question = { from: SPAN.from, to: SPAN.to, interval, groupBy };
            expect(actual[`revenue ${interval} ${groupBy}`], `revenue ${interval} ${groupBy}`).toEqual(
              expectedRevenue(truth, question),
            );
          }
        }
        const open = (actual.anomalies as { kind: string; subject: string; status: string }[])
          .filter((a) => a.status === "open")
          .map(({ kind, subject }) => ({ kind, subject }))
          .sort((a, b) => (a.kind + a.subject < b.kind + b.subject ? -1 : 1));
        const facts = replayEvents(items).get("org")!;
        const holding = expectedAnomalies(facts, { duplicatePaymentWindowMs: DUPLICATE_WINDOW_MS })
          .map(({ kind, subject }) => ({ kind, subject }))
          .sort((a, b) => (a.kind + a.subject < b.kind + b.subject ? -1 : 1));
        expect(open).toEqual(holding);
        // The first question that differs is shown in full, with the names of every other that differs.
        const differing = Object.keys(expected).filter((q) => !isDeepStrictEqual(actual[q], expected[q]));
        const first = differing[0];
        if (first !== undefined) {
          expect(actual[first], `${first}; all that differ: ${differing.join(", ")}`).toEqual(expected[first]);
        }
      } finally {
        await app.close();
        await dir.cleanup();
        await store.dispose();
      }
    }),
    { numRuns: 3 },
  );
}
