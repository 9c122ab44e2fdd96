import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir } from "../test/support/temp-dir.ts";
import { createPlannerStatistics, STATE_TABLES } from "./planner-statistics.ts";

const ORG = "org_statistics";

/** How `inquiries` lookups by id are planned: the lines of EXPLAIN. */
async function lookupPlan(sql: SqlClient): Promise<string> {
  const ids = Array.from({ length: 200 }, (_, i) => `inq-${i * 37}`);
  const rows = await sql.query<{ "QUERY PLAN": string }>(
    "EXPLAIN SELECT * FROM inquiries WHERE org_id = ANY($1::text[]) AND inquiry_id = ANY($2::text[])",
    [[ORG], ids],
  );
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}

/** The state tables analysed since the database opened. */
async function analysedTables(sql: SqlClient): Promise<string[]> {
  const rows = await sql.query<{ relname: string }>(
    "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY($1::text[]) AND analyze_count > 0 ORDER BY 1",
    [[...STATE_TABLES]],
  );
  return rows.map((row) => row.relname);
}

describe("planner statistics of the state tables", () => {
  let sql: SqlClient;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const dir = await makeTempDir("wedsync-planner-statistics");
    sql = await createTestPglite(dir.path);
    cleanup = async () => {
      await sql.close();
      await dir.cleanup();
    };
    // 20,000 inquiries of one organisation, as a processor would have left them: never analysed (PGlite has no
    // autovacuum).
    await sql.query(
      `INSERT INTO inquiries (org_id, inquiry_id, wedding_id, service, channel, received_at, event_id)
       SELECT $1, 'inq-' || n, 'wed-' || n, 'venue', 'website', now(), gen_random_uuid()
       FROM generate_series(1, 20000) AS n`,
      [ORG],
    );
  });

  afterEach(() => cleanup());

  it("analyses every state table, one per batch, once enough was committed; and not before", async () => {
    const statistics = createPlannerStatistics(sql, createLogger("silent"));
    const byIndex = /Index Cond: \(\(org_id = ANY .*\) AND \(inquiry_id = ANY/;
    expect(await lookupPlan(sql)).not.toMatch(byIndex);
    await statistics.afterCommit(500);
    expect(await analysedTables(sql)).toEqual([]);

    // The first refresh is due at 1,000 events: one table per batch from then on.
    await statistics.afterCommit(600);
    expect(await analysedTables(sql)).toHaveLength(1);
    for (let batch = 1; batch < STATE_TABLES.length; batch++) await statistics.afterCommit(1);
    expect(await analysedTables(sql)).toContain("inquiries");
    // Lookups by id now probe the primary key for each id instead of reading the organisation's every row.
    expect(await lookupPlan(sql)).toMatch(byIndex);

    expect(await analysedTables(sql)).toEqual([...STATE_TABLES].sort());

    // The next refresh waits until the tables have doubled again.
    const counts = async () =>
      sql.query("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY($1::text[])", [
        [...STATE_TABLES],
      ]);
    const before = await counts();
    await statistics.afterCommit(1000);
    expect(await counts()).toEqual(before);
  });
});
