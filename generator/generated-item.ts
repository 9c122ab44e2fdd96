import type { WedSyncEvent } from "../schemas/index.ts";

/** Anomalies the generator injects; each is a flag on an accepted event, not a rejection. */
export const ANOMALY_KINDS = [
  "overpayment",
  "duplicate-payment",
  "expense-over-budget",
  "guest-count-over-capacity",
  "wedding-date-in-past",
] as const;

/** The kind of an injected anomaly. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Semantic faults the pipeline dead-letters: the event is schema-valid but contradicts earlier state. */
export const INVALID_KINDS = [
  "unknown-booking",
  "cancelled-booking",
  "refund-exceeds-paid",
  "currency-mismatch",
] as const;

/** The kind of a semantically invalid event. */
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** What was injected into one generated event, so consumers know what to expect of the pipeline. */
export type InjectionLabel =
  | { class: "anomaly"; kind: AnomalyKind }
  | { class: "invalid"; kind: InvalidKind }
  | { class: "exact-duplicate" };

/** One generated event with the organisation whose API key sends it and, if injected, its label. */
export interface GeneratedItem {
  orgKey: string;
  event: WedSyncEvent;
  label?: InjectionLabel;
}
