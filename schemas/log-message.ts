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
  const { orgId, receivedAt, event } = value as Record<string, unknown>;
  // Checked as strictly as the event itself: the log may hold bytes from producers other than our ingest (Kafka), and
  // both values are written to the stores.
  if (typeof orgId !== "string" || orgId.length === 0) return { ok: false, reason: "orgId missing" };
  const org = Id.safeParse(orgId);
  if (!org.success) return { ok: false, reason: `orgId ${org.error.issues[0]!.message}` };
  if (typeof receivedAt !== "string" || !Instant.safeParse(receivedAt).success) {
    return { ok: false, reason: "receivedAt missing or not an ISO 8601 date-time with a time zone" };
  }
  return { ok: true, envelope: { orgId, receivedAt, event } };
}
