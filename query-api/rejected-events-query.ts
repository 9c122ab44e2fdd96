import type { Row, SqlClient } from "../platform/sql/sql-client.ts";
import {
  deadLetterFilterParams,
  deadLetterFilterSql,
  type DeadLetterFilter,
} from "../processors/dead-letter-filter.ts";
import { decodeLogEnvelope } from "../schemas/index.ts";

/** The states of a dead letter: waiting for a redrive, or sent through processing again. */
export const DEAD_LETTER_STATUSES = ["pending", "redriven"] as const;

/** One page of an organisation's dead letters: the filter, the state, and where the page starts. */
export interface RejectedEventQuery extends DeadLetterFilter {
  orgId: string;
  status?: (typeof DEAD_LETTER_STATUSES)[number];
  limit: number;
  offset: number;
}

/** One dead letter as the API shows it. */
export interface RejectedEventView {
  id: string;
  /** The event's id and type as read from its payload; null when it has none. */
  eventId: string | null;
  type: string | null;
  reasons: string[];
  message: string;
  /** The event as the producer sent it: its JSON value when the record could be read, else the record's text. */
  payload: unknown;
  receivedAt: string;
  deadLetteredAt: string;
  redrivenAt: string | null;
  /** The dead letter whose redrive this one is, if it is one. */
  redriveOf: string | null;
}

/** What the producer sent, from a dead letter's record: the envelope's event, else the record's JSON, else its text. */
function payloadView(bytes: Buffer): unknown {
  const decoded = decodeLogEnvelope(bytes);
  if (decoded.ok) return decoded.envelope.event;
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const iso = (value: unknown) => new Date(value as string).toISOString();

/** A `dead_letters` row (as queryRejectedEvents selects it) as the API shows it. */
function rejectedEventView(r: Row): RejectedEventView {
  return {
    id: String(r.id),
    eventId: r.event_id === "" ? null : String(r.event_id),
    type: r.event_type === "" ? null : String(r.event_type),
    reasons: r.reasons as string[],
    message: String(r.message),
    payload: payloadView(Buffer.from(String(r.payload), "base64")),
    receivedAt: iso(r.received_at),
    deadLetteredAt: iso(r.dead_lettered_at),
    redrivenAt: r.redriven_at === null ? null : iso(r.redriven_at),
    redriveOf: r.redrive_of === null ? null : String(r.redrive_of),
  };
}

/**
 * A page of the organisation's dead letters, newest received first (then newest dead-lettered, then id, so pages cut
 * the same order every time), and whether another page follows.
 */
export async function queryRejectedEvents(
  sql: SqlClient,
  q: RejectedEventQuery,
): Promise<{ rows: RejectedEventView[]; more: boolean }> {
  const rows = await sql.query(
    `SELECT id, event_id, event_type, reasons, message, encode(payload, 'base64') AS payload, received_at,
            dead_lettered_at, redriven_at, redrive_of
       FROM dead_letters
      WHERE org_id = $1
        AND ${deadLetterFilterSql(2)}
        AND ($6::text IS NULL OR (redriven_at IS NULL) = ($6::text = 'pending'))
      ORDER BY received_at DESC, dead_lettered_at DESC, id
      LIMIT $7 OFFSET $8`,
    [q.orgId, ...deadLetterFilterParams(q), q.status ?? null, q.limit + 1, q.offset],
  );
  return { rows: rows.slice(0, q.limit).map(rejectedEventView), more: rows.length > q.limit };
}

/**
 * The dead letters waiting for a redrive, by reason, over every organisation (a count holds no tenant's data); a dead
 * letter with several reasons counts under each.
 */
export async function countPendingDeadLetters(sql: SqlClient): Promise<Map<string, number>> {
  const rows = await sql.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int AS n
       FROM dead_letters, unnest(reasons) AS reason
      WHERE redriven_at IS NULL
      GROUP BY reason`,
  );
  return new Map(rows.map((r) => [r.reason, Number(r.n)]));
}
