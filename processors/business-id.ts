import { createHash } from "node:crypto";
import type { WedSyncEvent } from "../schemas/index.ts";
import { ok, type StepResult } from "./step-result.ts";

/**
 * The content of an event that names a business id: its type, the instant it occurred and its data, as a digest of
 * their canonical text (SHA-256, 128 bits in base64url: what is kept of it, in a few bytes per row). Two
 * events with the same content are the same fact sent twice (a retry from another service, an offline buffer flushed
 * again), whatever their event ids; the id, source and wording of the instant play no part.
 */
export function contentOf(event: WedSyncEvent): string {
  const canonical = JSON.stringify({
    type: event.type,
    occurredAt: new Date(event.occurredAt).toISOString(),
    // A parsed event's data has its keys in the schema's order, whatever order the producer wrote them in.
    data: event.data,
  });
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22);
}

/** The first version of a business id, as stored. */
export interface FirstVersion {
  eventId: string;
  /** The digest of its content (contentOf); null for rows stored before contents were kept (they match by event id only). */
  content: string | null;
}

/**
 * Rule 4 of the processing design: a business id (bookingId, paymentId, refundId, expenseId, inquiryId) names one fact.
 * The same event again, or the same content under a new event id, is dropped (it counts once); other content under
 * the same business id contradicts the first version, which stands, and is dead-lettered naming both.
 */
export function checkBusinessId(
  what: string,
  first: FirstVersion | undefined,
  event: WedSyncEvent,
  content: string,
): StepResult {
  if (first === undefined) return ok;
  if (first.eventId === event.id) return { kind: "drop", reason: "already_applied" };
  if (first.content === content) return { kind: "drop", reason: "same_content_resent" };
  return {
    kind: "deadLetter",
    reasons: ["business_id_conflict"],
    message: `${what} was first sent by event ${first.eventId}, which stands; event ${event.id} sends other content under the same id`,
  };
}
