import type { WedSyncEvent } from "../schemas/index.ts";

/** A flag raised on an event: something looks wrong, but the event still counts. */
export interface Anomaly {
  /** Deterministic: the event id and the kind, so a replay flags the same anomaly again. */
  id: string;
  kind: "overpayment" | "duplicate_payment";
  severity: "low" | "medium" | "high";
  score: number;
  bookingId: string | null;
  weddingId: string | null;
  evidence: Record<string, unknown>;
}

/** What a step decided about one event. Expected outcomes are values; only infrastructure throws. */
export type StepResult =
  | { kind: "ok" }
  | { kind: "drop"; reason: string }
  | { kind: "deadLetter"; reasons: string[]; message: string }
  | { kind: "flag"; anomalies: Anomaly[] };

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
