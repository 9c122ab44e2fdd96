import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.ts";
import { createPgClient } from "../platform/sql/pg-client.ts";
import { migrateSql, POSTGRES_MIGRATIONS_DIR } from "../platform/sql/migrate.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { makePgSchema } from "../test/support/pg-schema.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir } from "../test/support/temp-dir.ts";
import { waitFor } from "../test/support/wait-for.ts";
import { decodeCursor, type LiveCursor } from "./live-cursor.ts";
import { createLiveFeed, type LiveFeedOptions, type LiveFrame, type LiveSubscription } from "./live-feed.ts";

// The feed reads what the processors write: these tests write the same rows into a real Postgres (PGlite, and the
// server when DATABASE_URL is set) and move the watermark themselves, so every cut of a replay can be reached.
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) console.info("live-feed: DATABASE_URL is not set, skipping the Postgres server variant");

interface Store {
  sql: SqlClient;
  dispose(): Promise<void>;
}

const stores: [string, () => Promise<Store>][] = [
  [
    "PGlite",
    async () => {
      const dir = await makeTempDir("wedsync-live-feed");
      const sql = await createTestPglite(path.join(dir.path, "pg"));
      return {
        sql,
        dispose: async () => {
          await sql.close();
          await dir.cleanup();
        },
      };
    },
  ],
];
if (databaseUrl !== undefined) {
  stores.push([
    "Postgres server",
    async () => {
      const schema = await makePgSchema(databaseUrl);
      const sql = await createPgClient({ url: schema.url });
      await migrateSql(sql, POSTGRES_MIGRATIONS_DIR);
      return {
        sql,
        dispose: async () => {
          await sql.close();
          await schema.dispose();
        },
      };
    },
  ]);
}

const PARTITIONS = 3;
/** Past every offset the generated anomalies use: the sentinel's position, last in log order. */
const END = 40;

/** An anomaly row as the processors write it, reduced to what the feed reads. */
interface Placed {
  id: string;
  orgId: string;
  partition: number;
  offset: number;
}

/** A subscription read as a client reads it: every frame kept, `ended` once it ends. */
function drain(subscription: LiveSubscription): { frames: LiveFrame[]; ended: Promise<void> } {
  const frames: LiveFrame[] = [];
  const ended = (async () => {
    for (let frame = await subscription.next(); frame !== undefined; frame = await subscription.next())
      frames.push(frame);
  })();
  return { frames, ended };
}

const anomalyIds = (frames: LiveFrame[]) => frames.flatMap((f) => (f.event === "anomaly" ? [f.data.id] : []));

describe.each(stores)("live feed on %s", (_, openStore) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore();
  });
  afterAll(async () => {
    await store?.dispose();
  });

  /** A feed over the store whose watermark and day the test moves. */
  function openFeed(options: Partial<LiveFeedOptions> = {}) {
    const world = { processed: Array<number>(PARTITIONS).fill(END + 1), day: "2026-06-13", polls: 0 };
    const feed = createLiveFeed({
      sql: store.sql,
      watermark: async () => {
        world.polls++;
        return { processed: [...world.processed], end: [...world.processed], lag: 0 };
      },
      logger: createLogger("silent"),
      pollIntervalMs: 5,
      heartbeatMs: 60_000,
      today: () => world.day,
      ...options,
    });
    return { world, feed };
  }

  async function insertAnomalies(rows: Placed[]): Promise<void> {
    if (rows.length === 0) return;
    await store.sql.query(
      `INSERT INTO anomalies (id, org_id, kind, severity, score, event_id, evidence, occurred_at, log_partition, log_offset)
       SELECT id, org_id, 'overpayment', 'high', 1, gen_random_uuid(), '{}'::jsonb, '2026-06-13T10:00:00Z', p, o
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS r(id, org_id, p, o)`,
      [rows.map((r) => r.id), rows.map((r) => r.orgId), rows.map((r) => r.partition), rows.map((r) => r.offset)],
    );
  }

  async function addRevenue(
    orgId: string,
    day: string,
    currency: string,
    partition: number,
    figures: [number, number, number, number],
  ) {
    await store.sql.query(
      `INSERT INTO revenue_daily (org_id, day, service, region, currency, log_partition, bookings, contract_value, payments_received, refunds)
       VALUES ($1, $2, 'photography', '', $3, $4, $5, $6, $7, $8)
       ON CONFLICT (org_id, day, service, region, currency, log_partition) DO UPDATE SET bookings = revenue_daily.bookings + excluded.bookings`,
      [orgId, day, currency, partition, ...figures],
    );
  }

  /** Reads a subscription from `since` up to the sentinel anomaly (if it is still to come), and on until a tally sent after it. */
  async function readToEnd(
    feed: ReturnType<typeof openFeed>,
    orgId: string,
    since: LiveCursor,
    sentinel: string | undefined,
  ): Promise<LiveFrame[]> {
    const { frames } = drain(feed.feed.subscribe(orgId, since)!);
    if (sentinel !== undefined)
      await waitFor(() => anomalyIds(frames).includes(sentinel), { message: "sentinel not sent" });
    // A moved watermark sends a tally after anything still to be sent: a frame sent twice would show before it.
    const tallies = frames.filter((f) => f.event === "tally").length;
    await addRevenue(orgId, feed.world.day, "GBP", 0, [1, 0, 0, 0]);
    feed.world.processed = feed.world.processed.map((o) => o + 1);
    await waitFor(() => frames.filter((f) => f.event === "tally").length > tallies, {
      message: "no tally after the sentinel",
    });
    return frames;
  }

  it("sends each anomaly of the organisation once, in log order, however reads are cut, and resumes from any id with exactly the rest", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            mine: fc.boolean(),
            partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
            offset: fc.integer({ min: 0, max: END - 1 }),
            twice: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        async (placements, anomalyBatch, pick) => {
          const me = `org_${randomUUID()}`;
          const other = `org_${randomUUID()}`;
          const hex = () => randomBytes(8).toString("hex");
          const rows: Placed[] = placements.flatMap((p) =>
            Array.from({ length: p.twice ? 2 : 1 }, () => ({
              id: hex(),
              orgId: p.mine ? me : other,
              partition: p.partition,
              offset: p.offset,
            })),
          );
          const sentinel = { id: hex(), orgId: me, partition: PARTITIONS - 1, offset: END };
          await insertAnomalies([...rows, sentinel]);
          const expected = [...rows.filter((r) => r.orgId === me), sentinel]
            .sort((a, b) => a.partition - b.partition || a.offset - b.offset || (a.id < b.id ? -1 : 1))
            .map((r) => r.id);

          const feed = openFeed({ anomalyBatch });
          try {
            const from = Array<number>(PARTITIONS).fill(0);
            const frames = await readToEnd(feed, me, from, sentinel.id);
            expect(anomalyIds(frames)).toEqual(expected);

            const withIds = frames.flatMap((f) =>
              f.event === "anomaly" && f.id !== undefined ? [{ id: f.id, anomaly: f.data.id }] : [],
            );
            const resumeAt = withIds[pick % withIds.length]!;
            const rest = expected.slice(expected.indexOf(resumeAt.anomaly) + 1);
            // Resuming from the sentinel's own id leaves nothing to send, sentinel included.
            const resumed = await readToEnd(
              feed,
              me,
              decodeCursor(resumeAt.id!),
              rest.length > 0 ? sentinel.id : undefined,
            );
            expect(anomalyIds(resumed)).toEqual(rest);
          } finally {
            await feed.feed.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("tallies today's figures per currency on connect, only when they change, and the new day when the date moves", async () => {
    const { world, feed } = openFeed();
    const org = `org_${randomUUID()}`;
    try {
      await addRevenue(org, world.day, "GBP", 0, [1, 220_000, 55_000, 0]);
      await addRevenue(org, world.day, "GBP", 2, [2, 30_000, 0, 5_000]);
      await addRevenue(org, world.day, "EUR", 1, [1, 90_000, 0, 0]);
      await addRevenue(org, "2026-06-12", "GBP", 0, [9, 9, 9, 9]);
      await addRevenue(`org_${randomUUID()}`, world.day, "GBP", 0, [7, 7, 7, 7]);
      const { frames } = drain(feed.subscribe(org)!);
      await waitFor(() => frames.length > 0);
      expect(frames).toEqual([
        {
          event: "tally",
          id: Array(PARTITIONS)
            .fill(END + 1)
            .join("."),
          data: {
            day: "2026-06-13",
            currencies: [
              { currency: "EUR", bookings: 1, contractValue: 90_000, paymentsReceived: 0, refunds: 0 },
              { currency: "GBP", bookings: 3, contractValue: 250_000, paymentsReceived: 55_000, refunds: 5_000 },
            ],
          },
        },
      ]);
      // A moved watermark with unchanged figures sends nothing; the next change is the next frame.
      world.processed = world.processed.map((o) => o + 1);
      const polls = world.polls;
      await waitFor(() => world.polls > polls + 2);
      expect(frames).toHaveLength(1);
      world.day = "2026-06-14";
      await waitFor(() => frames.length > 1);
      expect(frames[1]).toMatchObject({ event: "tally", data: { day: "2026-06-14", currencies: [] } });
    } finally {
      await feed.close();
    }
  });

  it("holds frames back from a client that does not read, and sends it everything once it does", async () => {
    const { world, feed } = openFeed({ maxBacklog: 3, anomalyBatch: 2 });
    const org = `org_${randomUUID()}`;
    try {
      const rows = Array.from({ length: 20 }, (_, i) => ({
        id: `a${String(i).padStart(2, "0")}`,
        orgId: org,
        partition: 0,
        offset: i,
      }));
      await insertAnomalies(rows);
      const subscription = feed.subscribe(org, [0, 0, 0])!;
      const polls = world.polls;
      await waitFor(() => world.polls > polls + 20);
      // One poll adds at most a batch of anomalies and a tally to a backlog below the bound.
      expect(subscription.backlog).toBeGreaterThan(0);
      expect(subscription.backlog).toBeLessThanOrEqual(3 + 2);
      const { frames } = drain(subscription);
      await waitFor(() => anomalyIds(frames).length === rows.length);
      expect(anomalyIds(frames)).toEqual(rows.map((r) => r.id));
    } finally {
      await feed.close();
    }
  });

  it("ends every subscription on close, refuses new ones, and caps subscribers per organisation", async () => {
    const { feed } = openFeed({ maxSubscribersPerOrg: 2 });
    const org = `org_${randomUUID()}`;
    const first = feed.subscribe(org)!;
    feed.subscribe(org);
    expect(feed.subscribe(org)).toBeUndefined();
    expect(feed.subscribe(`org_${randomUUID()}`)).toBeDefined();
    first.close();
    expect(feed.subscriberCount(org)).toBe(1);
    const { ended } = drain(feed.subscribe(org)!);
    await feed.close();
    await ended;
    expect(feed.subscriberCount(org)).toBe(0);
    expect(await first.next()).toBeUndefined();
    expect(feed.subscribe(org)).toBeUndefined();
  });
});
