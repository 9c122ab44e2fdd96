import type { WedSyncEvent } from "../schemas/index.ts";

/** Anomalies injected at `anomalyRate`: each shows on an event of a wedding's own plan. */
export const PLAN_ANOMALY_KINDS = [
  "overpayment",
  "duplicate-payment",
  "expense-over-budget",
  "guest-count-over-capacity",
  "wedding-date-in-past",
] as const;

/**
 * Mismatches injected at `mismatchRate`: money that does not fit what it names (a payment for a booking that does not
 * exist, a payment after its booking was cancelled, a refund above its payment, money or a contract value in another
 * currency). Money that moved is counted all the same; the rules flag it.
 */
export const MISMATCH_KINDS = [
  "orphan-payment",
  "payment-after-cancellation",
  "refund-exceeds-paid",
  "currency-mismatch",
] as const;

/** Every anomaly the generator injects; each is a flag on a counted event, never a rejection. */
export const ANOMALY_KINDS = [...PLAN_ANOMALY_KINDS, ...MISMATCH_KINDS] as const;

/** The kind of an injected anomaly. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** The kind of an anomaly injected at `anomalyRate`. */
export type PlanAnomalyKind = (typeof PLAN_ANOMALY_KINDS)[number];

/** The kind of an injected mismatch. */
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

/**
 * What was injected into one generated event, so consumers know what to expect of the pipeline: an anomaly; the same
 * event again under its own id (`exact-duplicate`); or the same content under a new event id (`resend`, `of` naming the
 * event id it repeats), which counts once because its business id (bookingId, paymentId, refundId, expenseId,
 * inquiryId) was seen with the same content.
 */
export type InjectionLabel =
  | { class: "anomaly"; kind: AnomalyKind }
  | { class: "exact-duplicate" }
  | { class: "resend"; of: string };

/** One generated event with the organisation whose API key sends it and, if injected, its label. */
export interface GeneratedItem {
  orgKey: string;
  event: WedSyncEvent;
  label?: InjectionLabel;
}
