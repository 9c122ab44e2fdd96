import { createHash } from "node:crypto";
import type { LogRecord } from "../platform/event-log/event-log.ts";
import type { SqlQueryable } from "../platform/sql/sql-client.ts";
import { redriveOfIn } from "../schemas/index.ts";

/** What a dead letter's id looks like: `dl_` and 24 hex digits of a digest of its log position. */
export const DEAD_LETTER_ID_PATTERN = /^dl_[0-9a-f]{24}$/;

/**
 * The id of the dead letter of the record at a log position. Derived from the position, its identity, so the same
 * record refused again (a replay, a rebuild) has the same id; opaque to clients, who get it from the API.
 */
export function deadLetterId(topic: string, partition: number, offset: number): string {
  return `dl_${createHash("sha256").update(`${topic}\u0000${partition}\u0000${offset}`).digest("hex").slice(0, 24)}`;
}

/** A structured copy of one dead letter, as the batch's Postgres transaction writes it (see persistDeadLetters). */
export interface DeadLetter {
  id: string;
  /** '' when the record could not be decoded far enough to name one. */
  orgId: string;
  topic: string;
  partition: number;
  offset: number;
  /** The record's log key: a redrive appends with it, so to the same partition. */
  key: string;
  /** The event's id and type as read from the payload; '' when it has none. */
  eventId: string;
  type: string;
  reasons: string[];
  message: string;
  /** The log record's bytes as they were. */
  payload: Buffer;
  /** When ingest received the event, ISO 8601 (the record's append time when the envelope does not say). */
  receivedAt: string;
  /** The dead letter this record is a redrive of, as its envelope claims; persistDeadLetters checks it. */
  redriveOf: string | undefined;
}

/**
 * Text as Postgres can store it: well-formed, and with every NUL replaced (text cannot hold one). A dead letter must
 * always be writable whatever its record holds, or the batch that refused the record could never commit.
 */
function storable(text: string): string {
  return text.toWellFormed().replaceAll("\u0000", "\uFFFD");
}

/** The dead letter of a record the pipeline refused, for the reasons given. */
export function toDeadLetter(
  record: LogRecord,
  orgId: string,
  receivedAt: string,
  reasons: string[],
  message: string,
): DeadLetter {
  let eventId = "";
  let type = "";
  try {
    const parsed = JSON.parse(record.value.toString("utf8")) as { event?: { id?: unknown; type?: unknown } };
    if (typeof parsed.event?.id === "string") eventId = storable(parsed.event.id.slice(0, 100));
    if (typeof parsed.event?.type === "string") type = storable(parsed.event.type.slice(0, 100));
  } catch {
    // Not JSON: no id or type to read.
  }
  return {
    id: deadLetterId(record.topic, record.partition, record.offset),
    orgId: storable(orgId),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: storable(record.key),
    eventId,
    type,
    reasons: reasons.map(storable),
    message: storable(message),
    payload: record.value,
    receivedAt,
    redriveOf: redriveOfIn(record.value),
  };
}

/**
 * Writes a batch's dead letters in the batch's transaction, so each is written exactly when its batch commits: a
 * batch replayed after a crash writes the same rows, and one already written (a rebuild from the log) keeps its row,
 * redrive and all (ON CONFLICT DO NOTHING on the id, a digest of the log position).
 *
 * `redrive_of` links the dead letter of a re-driven record to the dead letter it re-drove: the one its envelope names
 * (redriveOf), if that is a dead letter of the same organisation; else, for records that cannot carry the name (not a
 * JSON object), the one whose redrive was appended at this record's position. The redrive's own transaction links the
 * second kind too, when it commits after this one (see redriveDeadLetters).
 */
export async function persistDeadLetters(tx: SqlQueryable, deadLetters: readonly DeadLetter[]): Promise<void> {
  if (deadLetters.length === 0) return;
  const column = <T>(pick: (d: DeadLetter) => T) => deadLetters.map(pick);
  await tx.query(
    `INSERT INTO dead_letters (id, org_id, log_topic, log_partition, log_offset, log_key, event_id, event_type, reasons,
       message, payload, received_at, redrive_of)
     SELECT d.id, d.org_id, d.topic, d.partition, d.log_offset, d.key, d.event_id, d.event_type,
       ARRAY(SELECT jsonb_array_elements_text(d.reasons)), d.message, decode(d.payload, 'base64'), d.received_at,
       COALESCE(
         (SELECT o.id FROM dead_letters o WHERE o.id = d.redrive_of AND o.org_id = d.org_id),
         (SELECT o.id FROM dead_letters o
           WHERE o.log_topic = d.topic AND o.redrive_partition = d.partition AND o.redrive_offset = d.log_offset))
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[], $7::text[], $8::text[],
         $9::jsonb[], $10::text[], $11::text[], $12::timestamptz[], $13::text[])
         AS d(id, org_id, topic, partition, log_offset, key, event_id, event_type, reasons, message, payload, received_at,
           redrive_of)
     ON CONFLICT (id) DO NOTHING`,
    [
      column((d) => d.id),
      column((d) => d.orgId),
      column((d) => d.topic),
      column((d) => d.partition),
      column((d) => d.offset),
      column((d) => d.key),
      column((d) => d.eventId),
      column((d) => d.type),
      column((d) => JSON.stringify(d.reasons)),
      column((d) => d.message),
      column((d) => d.payload.toString("base64")),
      column((d) => d.receivedAt),
      column((d) => d.redriveOf ?? null),
    ],
  );
}
