import { Id, Instant } from "./primitives.ts";

/** The name of the topic every accepted event is appended to. */
export const EVENTS_TOPIC = "wedsync.events.v1";

/**
 * What ingest appends to the log for one event: the producer's event untouched, plus what only
 * the edge knows — the tenant (from the API key) and when it arrived.
 */
export interface LogEnvelope {
  orgId: string;
  /** Arrival time at ingest, ISO 8601 UTC. */
  receivedAt: string;
  /** The event as the producer sent it; consumers validate it again. */
  event: unknown;
  /**
   * Set on a dead letter appended again by a redrive: the id of that dead letter, so that if the record is refused
   * again its new dead letter names the one it re-drove. Absent on everything ingest appends (and on every envelope
   * written before redrives existed).
   */
  redriveOf?: string;
}

/** Serialises a log envelope to the bytes stored in the log. */
export function encodeLogEnvelope(envelope: LogEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** Parses log bytes back to an envelope, or explains why they are not one. */
export function decodeLogEnvelope(bytes: Buffer): { ok: true; envelope: LogEnvelope } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null) return { ok: false, reason: "not a JSON object" };
  const { orgId, receivedAt, event, redriveOf } = value as Record<string, unknown>;
  // Checked as strictly as the event itself: the log may hold bytes from producers other than our ingest (Kafka), and
  // both values are written to the stores.
  if (typeof orgId !== "string" || orgId.length === 0) return { ok: false, reason: "orgId missing" };
  const org = Id.safeParse(orgId);
  if (!org.success) return { ok: false, reason: `orgId ${org.error.issues[0]!.message}` };
  if (typeof receivedAt !== "string" || !Instant.safeParse(receivedAt).success) {
    return { ok: false, reason: "receivedAt missing or not an ISO 8601 date-time with a time zone" };
  }
  return {
    ok: true,
    envelope: { orgId, receivedAt, event, ...(typeof redriveOf === "string" ? { redriveOf } : {}) },
  };
}

/**
 * The `redriveOf` of a log record's bytes, read leniently (the record may be no envelope at all): the string it holds
 * when the bytes are a JSON object with one, else undefined. Whoever uses it checks that it names a dead letter.
 */
export function redriveOfIn(bytes: Buffer): string | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const { redriveOf } = value as Record<string, unknown>;
    return typeof redriveOf === "string" ? redriveOf : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes a redrive appends for a dead letter: its record with `"redriveOf":"<id>"` added as the object's last
 * member. The bytes before it are kept exactly (no re-serialising: numbers beyond double precision, key order and
 * bytes that are not UTF-8 stay as they were), and a `redriveOf` the record already had is overridden, since JSON.parse
 * keeps the last of two equal keys. Bytes that are not a JSON object cannot carry it and are appended unchanged: their
 * new dead letter finds the old one by the position they were appended at instead.
 */
export function withRedriveOf(bytes: Buffer, deadLetterId: string): Buffer {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return bytes;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bytes;
  // A JSON object's text ends with its closing brace, then at most whitespace.
  const close = bytes.lastIndexOf(0x7d);
  let before = close - 1;
  while (before >= 0 && JSON_WHITESPACE.has(bytes[before]!)) before--;
  const member = `${bytes[before] === 0x7b ? "" : ","}"redriveOf":${JSON.stringify(deadLetterId)}`;
  return Buffer.concat([bytes.subarray(0, close), Buffer.from(member), bytes.subarray(close)]);
}

/** The bytes JSON counts as whitespace: space, tab, line feed, carriage return. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
