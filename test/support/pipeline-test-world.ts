import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { createClickHouse } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import type { LogRecord } from "../../platform/event-log/event-log.ts";
import type { Row, SqlClient } from "../../platform/sql/sql-client.ts";
import { createPipeline } from "../../processors/pipeline.ts";
import {
  commitBatchState,
  insertBatchRows,
  recordPendingRange,
  settleRevenue,
  type BatchRange,
  type SettledBatch,
} from "../../processors/write-batch.ts";
import { encodeLogEnvelope } from "../../schemas/index.ts";
import { createTestPglite } from "./pglite-template.ts";
import { makeTempDir, type TempDir } from "./temp-dir.ts";

/** Test support: a migrated PGlite and a chDB in a fresh temp directory, and batches run as the runtime runs them. */
export interface PipelineTestWorld {
  dir: TempDir;
  sql: SqlClient;
  ch: ClickHouseClient;
  /**
   * A fresh, migrated PGlite in the world's directory, for tests that compare databases. The caller closes it, which
   * also removes its files.
   */
  openSql(): Promise<SqlClient>;
  /**
   * Runs one batch the way the processor runtime does: process, settle the revenue totals, record the range as pending,
   * then insert the ClickHouse rows (unless `clickHouse` is false) while the Postgres state and offset are written in one
   * transaction, committed once the insert has succeeded.
   */
  runBatch(batch: LogRecord[], options?: { sql?: SqlClient; group?: string; clickHouse?: boolean }): Promise<BatchRun>;
  /** Closes the stores and removes the directory. */
  close(): Promise<void>;
}

/** What running one batch gave. */
export interface BatchRun {
  outcome: SettledBatch;
  range: BatchRange;
}

/** Opens a test world. One chDB data directory per process: the tests of a file share it, isolated by org id. */
export async function openPipelineTestWorld(prefix: string): Promise<PipelineTestWorld> {
  const dir = await makeTempDir(prefix);
  const sql = await createTestPglite(path.join(dir.path, "pg"));
  const ch = createClickHouse({ url: undefined, dataDir: dir.path });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
  return {
    dir,
    sql,
    ch,
    async openSql() {
      const dataDir = path.join(dir.path, `pg-${randomUUID()}`);
      const extra = await createTestPglite(dataDir);
      const close = async () => {
        await extra.close();
        await fs.rm(dataDir, { recursive: true, force: true });
      };
      return { ...extra, close };
    },
    async runBatch(batch, { sql: db = sql, group = "g", clickHouse = true } = {}) {
      const processRecords = createPipeline({ sql: db, options: { duplicatePaymentWindowMs: 86_400_000 } });
      const { topic, partition, offset: from } = batch[0]!;
      const range: BatchRange = { group, topic, partition, from, to: batch.at(-1)!.offset + 1 };
      const outcome = await settleRevenue(db, await processRecords(batch));
      await recordPendingRange(db, range);
      await commitBatchState(db, range, outcome, clickHouse ? () => insertBatchRows(ch, range, outcome) : undefined);
      return { outcome, range };
    },
    async close() {
      await ch.close();
      await sql.close();
      await dir.cleanup();
    },
  };
}

/** Where records sit in the log. */
export interface RecordPlacement {
  /**
   * The topic; default one of the org's own, so that the ClickHouse dedup tokens, derived from topic, partition and
   * offsets, of one test never collide with another's (tests share one chDB, isolated by org id).
   */
  topic?: string;
  partition?: number;
  firstOffset?: number;
}

/** Log records of the events, as the ingest edge appends them for orgId, at consecutive offsets. */
export function toRecords(orgId: string, events: unknown[], placement: RecordPlacement = {}): LogRecord[] {
  const { topic = `test.${orgId}`, partition = 0, firstOffset = 0 } = placement;
  return events.map((event, i) => ({
    topic,
    partition,
    offset: firstOffset + i,
    key: "k",
    value: encodeLogEnvelope({ orgId, receivedAt: "2026-06-01T00:00:00.000Z", event }),
    timestamp: 0,
  }));
}

/**
 * Every projected table, its key, and the columns that record when (or in which batch) a row was written rather than
 * what it says: an anomaly records the position of the last event of the batch that judged it, and its id is derived
 * from its organisation (which tests vary), kind and subject.
 */
const PROJECTED_TABLES: [table: string, key: string, volatile: string[]][] = [
  ["bookings", "org_id, booking_id", []],
  ["booking_changes", "org_id, booking_id, event_id", []],
  ["payments", "org_id, payment_id", []],
  ["refunds", "org_id, refund_id", []],
  ["budgets", "org_id, wedding_id, category, currency", []],
  ["expenses", "org_id, expense_id", []],
  ["inquiries", "org_id, inquiry_id", []],
  [
    "anomalies",
    "kind, subject, event_id",
    ["id", "detected_at", "updated_at", "resolved_at", "log_partition", "log_offset"],
  ],
  ["revenue_daily", "org_id, day, service, region, currency, log_partition", []],
  ["consumer_offsets", "group_id, topic, partition", ["updated_at", "committed_at"]],
];

/**
 * Full dumps of every projected table, ordered by key, without the columns that only say when a row was written, nor
 * the columns named in omit.
 */
export async function dumpProjections(sql: SqlClient, omit: string[] = []): Promise<Record<string, Row[]>> {
  const dump: Record<string, Row[]> = {};
  for (const [table, key, volatile] of PROJECTED_TABLES) {
    const query = `SELECT to_jsonb(t) - $1::text[] AS row FROM ${table} t ORDER BY ${key}`;
    const rows = await sql.query<{ row: Row }>(query, [[...volatile, ...omit]]);
    dump[table] = rows.map((r) => r.row);
  }
  return dump;
}
