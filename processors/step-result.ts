import type { WedSyncEvent } from "../schemas/index.ts";

/** The kinds of anomaly the rules flag (see judge-booking.ts and the orphan sweep). */
export const ANOMALY_KINDS = [
  "overpayment",
  "duplicate_payment",
  "refund_exceeds_paid",
  "payment_after_cancellation",
  "currency_mismatch",
  "orphan_payment",
  "orphan_refund",
  "orphan_update",
] as const;

/** The kind of an anomaly. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/**
 * A flag: something looks wrong, but every event behind it still counts. One anomaly is one (organisation, kind,
 * subject) — a booking, a payment, a refund or an event — judged on the converged state, so its id is derived from
 * those three and the same anomaly is found again whatever order the events arrived in.
 */
export interface Anomaly {
  id: string;
  orgId: string;
  kind: AnomalyKind;
  /** What the anomaly is about: a booking id, payment id, refund id or event id, as the kind says. */
  subject: string;
  severity: "low" | "medium" | "high";
  score: number;
  bookingId: string | null;
  weddingId: string | null;
  evidence: Record<string, unknown>;
  /** The event the evidence turns on, and when it occurred. */
  eventId: string;
  occurredAt: string;
}

/** What a step decided about one event. Expected outcomes are values; only infrastructure throws. */
export type StepResult =
  | { kind: "ok" }
  | { kind: "drop"; reason: string }
  | { kind: "deadLetter"; reasons: string[]; message: string };

/** A validated event with where it came from. */
export interface ProcessedEvent {
  orgId: string;
  receivedAt: string;
  event: WedSyncEvent;
  partition: number;
  offset: number;
}

/** The step results every step can return. */
export const ok: StepResult = { kind: "ok" };
