import type { EventLog, LogMessage } from "../platform/event-log/event-log.ts";
import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { withRedriveOf } from "../schemas/index.ts";
import { deadLetterFilterParams, deadLetterFilterSql, type DeadLetterFilter } from "./dead-letter-filter.ts";

/**
 * Which dead letters to send through processing again: by id, or every pending one a filter matches; of one
 * organisation, or (the operator's CLI) of every organisation when `orgId` is absent.
 */
export type RedriveSelection = { orgId?: string } & ({ ids: string[] } | { filter: DeadLetterFilter });

/** What a redrive did. */
export interface RedriveResult {
  /** Dead letters appended to the log again by this call. */
  redriven: number;
  /** Dead letters chosen that an earlier redrive had already sent again: left as they were. */
  alreadyRedriven: number;
  /** Ids asked for that name no dead letter (of the organisation): empty for a filter. */
  notFound: string[];
}

/** What a redrive reads and writes. */
export interface RedriveDeps {
  sql: SqlClient;
  log: EventLog;
  logger?: Logger;
}

/** A dead letter as the redrive's UPDATE returns it. */
type ChosenRow = {
  id: string;
  log_topic: string;
  log_partition: number;
  log_offset: number | string;
  log_key: string;
  payload: string;
};

/**
 * Sends the chosen pending dead letters through processing again, exactly once, in one Postgres transaction:
 * 1. mark them re-driven (`UPDATE … WHERE redriven_at IS NULL … RETURNING`): a concurrent redrive of the same ones waits
 *    on their row locks and then finds them marked, so each is appended by one call only;
 * 2. append each one's original record to its topic with its key (so to the partition it came from, in its original
 *    order there), `redriveOf` added to the envelope so that a new refusal names this dead letter (see
 *    withRedriveOf). `EventLog.append` resolves once the records are durable;
 * 3. record where each landed, and link a dead letter its record may already have produced (see below);
 * 4. commit. An append that fails throws, and the transaction rolls back: nothing is marked, nothing was acknowledged.
 *
 * The one gap is a commit that fails after the append succeeded (the database connection lost in between): the
 * records are then in the log while their dead letters stay pending, and a later redrive appends them again. The
 * second copy is absorbed where every replay is, by the stores' identities (an event id or business id applied once).
 *
 * On a Postgres server the processors may refuse a re-driven record and commit its new dead letter before this
 * transaction commits; for a record that cannot carry `redriveOf` (not a JSON object), the link by position is then
 * made here, in step 3.
 */
export async function redriveDeadLetters(
  { sql, log, logger }: RedriveDeps,
  selection: RedriveSelection,
): Promise<RedriveResult> {
  const byIds = "ids" in selection;
  const asked = byIds ? [...new Set(selection.ids)] : [];
  const where = byIds ? "id = ANY ($2::text[])" : deadLetterFilterSql(2);
  const params = [selection.orgId ?? null, ...(byIds ? [asked] : deadLetterFilterParams(selection.filter))];
  const ofSelection = `($1::text IS NULL OR org_id = $1::text) AND ${where}`;

  const result = await sql.transaction(async (tx) => {
    const chosen = await tx.query<ChosenRow>(
      `UPDATE dead_letters SET redriven_at = now()
        WHERE redriven_at IS NULL AND ${ofSelection}
        RETURNING id, log_topic, log_partition, log_offset, log_key, encode(payload, 'base64') AS payload`,
      params,
    );
    // Read after the update, in the same transaction: what the selection matches now, the ones just marked included.
    const [matched] = await tx.query<{ ids: string[] | null; n: number }>(
      `SELECT ${byIds ? "array_agg(id)" : "NULL::text[]"} AS ids, count(*)::int AS n FROM dead_letters WHERE ${ofSelection}`,
      params,
    );

    // In log order per partition, so records of one key are appended again in the order they were first appended.
    chosen.sort(
      (a, b) =>
        a.log_topic.localeCompare(b.log_topic) ||
        a.log_partition - b.log_partition ||
        Number(a.log_offset) - Number(b.log_offset),
    );
    const positions: { id: string; partition: number; offset: number }[] = [];
    for (const topic of new Set(chosen.map((row) => row.log_topic))) {
      const rows = chosen.filter((row) => row.log_topic === topic);
      const messages: LogMessage[] = rows.map((row) => ({
        key: row.log_key,
        value: withRedriveOf(Buffer.from(row.payload, "base64"), row.id),
      }));
      const appended = await log.append(topic, messages);
      positions.push(...appended.map((position, i) => ({ id: rows[i]!.id, ...position })));
    }
    if (positions.length > 0) {
      const ids = positions.map((p) => p.id);
      await tx.query(
        `UPDATE dead_letters d SET redrive_partition = p.partition, redrive_offset = p.log_offset
           FROM unnest($1::text[], $2::int[], $3::bigint[]) AS p(id, partition, log_offset)
          WHERE d.id = p.id`,
        [ids, positions.map((p) => p.partition), positions.map((p) => p.offset)],
      );
      await tx.query(
        `UPDATE dead_letters n SET redrive_of = o.id
           FROM dead_letters o
          WHERE o.id = ANY ($1::text[]) AND n.redrive_of IS NULL AND n.log_topic = o.log_topic
            AND n.log_partition = o.redrive_partition AND n.log_offset = o.redrive_offset`,
        [ids],
      );
    }
    const found = new Set(matched!.ids ?? []);
    return {
      redriven: chosen.length,
      alreadyRedriven: matched!.n - chosen.length,
      notFound: asked.filter((id) => !found.has(id)),
    };
  });
  logger?.info(
    {
      event: "dead_letters.redriven",
      orgId: selection.orgId ?? null,
      redriven: result.redriven,
      alreadyRedriven: result.alreadyRedriven,
      notFound: result.notFound.length,
    },
    "dead letters re-driven",
  );
  return result;
}
