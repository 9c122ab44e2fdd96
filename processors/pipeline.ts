import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { LogRecord } from "../platform/event-log/event-log.ts";
import { decodeLogEnvelope, parseEvent } from "../schemas/index.ts";
import { bookingIdOf } from "./booking-state.ts";
import { createCheckBookingRulesStep } from "./check-booking-rules.ts";
import { createCheckBudgetRulesStep } from "./check-budget-rules.ts";
import { createCheckInquiryRulesStep } from "./check-inquiry-rules.ts";
import { toAnomalyRow, toEventRow, toRejectedRow } from "./clickhouse-rows.ts";
import { createDetectDuplicatePaymentStep } from "./detect-duplicate-payment.ts";
import { createDetectOverpaymentStep } from "./detect-overpayment.ts";
import { EventTally } from "./event-tally.ts";
import { createProjectBookingStateStep } from "./project-booking-state.ts";
import { createProjectInquiriesStep } from "./project-inquiries.ts";
import { createProjectWeddingBudgetsStep } from "./project-wedding-budgets.ts";
import { toDeadLetter, type DeadLetter } from "./persist-dead-letters.ts";
import { ProjectionState } from "./projection-state.ts";
import { ok, type Anomaly, type ProcessedEvent, type StepResult } from "./step-result.ts";

/** Everything one batch produces, ready to be written once its revenue totals are settled (see settleRevenue). */
export interface BatchOutcome {
  eventRows: unknown[][];
  rejectedRows: unknown[][];
  /** The same dead letters, structured, for their lifecycle in Postgres (persistDeadLetters). */
  deadLetters: DeadLetter[];
  anomalies: { event: ProcessedEvent; anomaly: Anomaly }[];
  anomalyRows: unknown[][];
  /** The batch's changed Postgres state, written in the batch's transaction; its revenue rollup holds the batch's figures. */
  state: ProjectionState;
  /** Each event of the batch once, by outcome and the reason that decided it. */
  tally: EventTally;
  /** The tally's totals; `ok` counts every event counted, the flagged ones among them. */
  counts: { ok: number; dropped: number; deadLettered: number; flagged: number };
}

/** Options of the processing pipeline. */
export interface PipelineOptions {
  /** Two payments of the same amount to one booking closer than this are flagged. */
  duplicatePaymentWindowMs: number;
}

/** What the batch handler tells the pipeline about a batch beyond its records. */
export interface ProcessOptions {
  /**
   * Records a store has refused, by offset, with the dead-letter message: they are dead-lettered as `store_refused`
   * before anything reads or writes state for them, and their neighbours are processed as usual.
   */
  refused?: ReadonlyMap<number, string>;
}

/**
 * Turns a batch of log records into rows and state changes. Pure apart from loading the state the batch's events refer
 * to (ProjectionState.load): it reads Postgres nowhere else and writes nothing.
 */
export type ProcessRecords = (records: LogRecord[], options?: ProcessOptions) => Promise<BatchOutcome>;

/**
 * The processing pipeline, top to bottom. Ordering constraints:
 * - decoding and schema validation come first: events may reach the log from other producers;
 * - the state every later step reads is loaded once for the whole batch (what its events refer to) and changed in
 *   memory as each event is projected, so every event sees exactly what its predecessors in the log left, whether in
 *   this batch or committed by an earlier one: the outcome does not depend on where batches begin and end;
 * - the rules (booking, budget, inquiry) read the state as it was before the event, so they precede projection;
 * - anomaly rules need the projected state (an overpayment is judged on the new paid total);
 * - the ClickHouse row is built last, enriched with the booking's service and region, and the revenue rollup takes
 *   what the event changed. Its totals need the stored totals of whatever keys the whole batch touched, so they are
 *   settled after processing, by the batch handler (settleRevenue), not here.
 */
export function createPipeline({ sql, options }: { sql: SqlClient; options: PipelineOptions }): ProcessRecords {
  const checkBookingRules = createCheckBookingRulesStep();
  const checkBudgetRules = createCheckBudgetRulesStep();
  const checkInquiryRules = createCheckInquiryRulesStep();
  const projectBookingState = createProjectBookingStateStep();
  const projectWeddingBudgets = createProjectWeddingBudgetsStep();
  const projectInquiries = createProjectInquiriesStep();
  const detectors = [
    createDetectOverpaymentStep(),
    createDetectDuplicatePaymentStep({ windowMs: options.duplicatePaymentWindowMs }),
  ];

  return async function processRecords(records, { refused } = {}) {
    const outcome: Omit<BatchOutcome, "state" | "counts"> = {
      eventRows: [],
      rejectedRows: [],
      deadLetters: [],
      anomalies: [],
      anomalyRows: [],
      tally: new EventTally(),
    };
    const reject = (record: LogRecord, orgId: string, receivedAt: string, reasons: string[], message: string) => {
      outcome.rejectedRows.push(
        toRejectedRow(
          {
            orgId,
            receivedAt,
            payload: record.value.toString("utf8"),
            partition: record.partition,
            offset: record.offset,
          },
          reasons,
          message,
        ),
      );
      outcome.deadLetters.push(toDeadLetter(record, orgId, receivedAt, reasons, message));
      outcome.tally.count("dead_lettered", reasons[0]);
    };

    const events: ProcessedEvent[] = [];
    for (const record of records) {
      const decoded = decodeLogEnvelope(record.value);
      if (!decoded.ok) {
        reject(record, "", appendTime(record), ["undecodable"], decoded.reason);
        continue;
      }
      const { orgId, receivedAt, event } = decoded.envelope;
      const refusal = refused?.get(record.offset);
      if (refusal !== undefined) {
        reject(record, orgId, receivedAt, ["store_refused"], refusal);
        continue;
      }
      const parsed = parseEvent(event);
      if (!parsed.ok) {
        reject(
          record,
          orgId,
          receivedAt,
          ["schema_invalid"],
          parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; "),
        );
        continue;
      }
      events.push({ orgId, receivedAt, event: parsed.event, partition: record.partition, offset: record.offset });
    }

    const byOffset = new Map(records.map((record) => [record.offset, record]));
    const state = await ProjectionState.load(sql, events);
    for (const pe of events) {
      // Each rule answers ok for the event types it does not judge; the first refusal decides.
      const verdicts = [
        checkBookingRules(pe, state.bookings),
        checkBudgetRules(pe, state.budgets),
        checkInquiryRules(pe, state.inquiries),
      ];
      const verdict = verdicts.find((result) => result.kind !== "ok") ?? ok;
      if (verdict.kind === "drop") {
        outcome.tally.count("dropped", verdict.reason);
        continue;
      }
      if (verdict.kind === "deadLetter") {
        reject(byOffset.get(pe.offset)!, pe.orgId, pe.receivedAt, verdict.reasons, verdict.message);
        continue;
      }
      const bookingId = bookingIdOf(pe.event);
      const before = bookingId === undefined ? undefined : state.bookings.booking(pe.orgId, bookingId);
      // The rules have accepted the event: projecting it is applying it, not a decision, so the steps return nothing.
      projectBookingState(pe, state.bookings);
      projectWeddingBudgets(pe, state.budgets);
      projectInquiries(pe, state);
      const flags = detectors
        .map((detect) => detect(pe, state.bookings))
        .filter((r): r is Extract<StepResult, { kind: "flag" }> => r.kind === "flag");
      const anomalies = flags.flatMap((f) => f.anomalies);
      for (const anomaly of anomalies) {
        outcome.anomalies.push({ event: pe, anomaly });
        outcome.anomalyRows.push(toAnomalyRow(pe, anomaly));
      }
      const booking = bookingId === undefined ? undefined : state.bookings.booking(pe.orgId, bookingId);
      state.revenue.add(pe, before, booking);
      outcome.eventRows.push(toEventRow(pe, booking));
      if (anomalies[0] === undefined) outcome.tally.count("ok");
      else outcome.tally.count("flagged", anomalies[0].kind);
    }
    const { tally } = outcome;
    const counts = {
      ok: tally.total("ok") + tally.total("flagged"),
      dropped: tally.total("dropped"),
      deadLettered: tally.total("dead_lettered"),
      flagged: tally.total("flagged"),
    };
    return { ...outcome, counts, state };
  };
}

/**
 * A record's append time as an ISO instant. Another producer's timestamp may be anything: one outside the range of
 * ClickHouse's DateTime64 (1900–2299) reads as the epoch, so the dead letter that carries it can always be written.
 */
function appendTime(record: LogRecord): string {
  const at = new Date(record.timestamp);
  const year = at.getUTCFullYear();
  return Number.isNaN(year) || year < 1900 || year > 2299 ? new Date(0).toISOString() : at.toISOString();
}
