import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { LogRecord } from "../platform/event-log/event-log.ts";
import { decodeLogEnvelope, parseEvent, type WedSyncEvent } from "../schemas/index.ts";
import { type Booking, type BookingGroup, bookingIdOf, type Payment, type Refund } from "./booking-state.ts";
import { contentOf } from "./business-id.ts";
import { createCheckBookingRulesStep } from "./check-booking-rules.ts";
import { createCheckBudgetRulesStep } from "./check-budget-rules.ts";
import { createCheckInquiryRulesStep } from "./check-inquiry-rules.ts";
import { toAnomalyRow, toEventRow, toRejectedRow } from "./clickhouse-rows.ts";
import { EventTally } from "./event-tally.ts";
import { anomalyId, type Judged, judgeBooking } from "./judge-booking.ts";
import { createProjectBookingStateStep } from "./project-booking-state.ts";
import { createProjectInquiriesStep } from "./project-inquiries.ts";
import { createProjectWeddingBudgetsStep } from "./project-wedding-budgets.ts";
import { toDeadLetter, type DeadLetter } from "./persist-dead-letters.ts";
import { ProjectionState } from "./projection-state.ts";
import { type Contributions, revenueOf } from "./revenue-totals.ts";
import { stateKey } from "./state-sql.ts";
import { ok, type Anomaly, type ProcessedEvent } from "./step-result.ts";

/**
 * An anomaly whose judgement the batch changed: opened (or its evidence changed), resolved (it held once, by
 * occurrence, and no longer does), or retracted (with every event now known, it never held: it was raised on a state
 * that a late event showed never existed).
 */
export interface AnomalyChange {
  anomaly: Anomaly;
  open: boolean;
  retracted?: boolean;
  /** The log position of the batch's last event about the anomaly's booking. */
  partition: number;
  offset: number;
}

/** A payment or refund of an earlier batch that this batch linked to its booking: its row is written again. */
export interface LinkedRow {
  orgId: string;
  eventId: string;
  occurredAt: string;
  booking: Booking;
}

/** Everything one batch produces, ready to be written once its revenue totals are settled (see settleRevenue). */
export interface BatchOutcome {
  eventRows: unknown[][];
  rejectedRows: unknown[][];
  /** The same dead letters, structured, for their lifecycle in Postgres (persistDeadLetters). */
  deadLetters: DeadLetter[];
  /** Rows of earlier payments and refunds whose booking arrived in this batch, to be written again with its attributes. */
  linkedRows: LinkedRow[];
  anomalies: AnomalyChange[];
  /** Orphan anomalies (raised by the orphan sweep) whose referent arrived in this batch: resolved by their rule. */
  foundOrphans: string[];
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

/** Event types that carry a business id (rule 4): their content decides whether a re-send is the same fact. */
const HAS_BUSINESS_ID = new Set<WedSyncEvent["type"]>([
  "booking.created",
  "payment.received",
  "payment.refunded",
  "expense.recorded",
  "inquiry.received",
]);

/** A booking id's judgement and revenue as they stood before the batch, to tell what the batch changed. */
interface GroupBefore {
  group: BookingGroup;
  revenue: Contributions;
  anomalies: Map<string, Judged>;
  partition: number;
  offset: number;
}

/**
 * The processing pipeline, top to bottom. Figures must depend on the set of events, not on the order they arrive in
 * (DESIGN.md, guarantee 7), and that shapes the order of the steps:
 * - decoding and schema validation come first: events may reach the log from other producers;
 * - the state every later step reads is loaded once for the whole batch (everything known about the booking ids,
 *   budgets and inquiries its events name) and changed in memory, so nothing depends on where batches begin and end;
 * - the only refusals after validation are repeats and business-id conflicts (the rules), which need the state as it
 *   was before the event, so they precede projection. An event about something that has not arrived is not refused:
 *   projection adds it to its booking's group, where it waits;
 * - what the booking events mean is derived from each whole group after the batch's events are all in (relink,
 *   judgeBooking, revenueOf): linking late payments, the current contract value, the anomaly rules and the revenue
 *   each booking contributes. Comparing that with the same derivation before the batch gives what the batch changed:
 *   anomalies opened or cleared, and revenue deltas, whose totals are settled after processing by the batch handler
 *   (settleRevenue), since they need the stored totals of whatever keys the whole batch touched;
 * - the ClickHouse rows are built last, so a payment whose booking arrived later in the same batch already carries
 *   the booking's service and region; payments of earlier batches that the batch linked are written again.
 */
export function createPipeline({ sql, options }: { sql: SqlClient; options: PipelineOptions }): ProcessRecords {
  const checkBookingRules = createCheckBookingRulesStep();
  const checkBudgetRules = createCheckBudgetRulesStep();
  const checkInquiryRules = createCheckInquiryRulesStep();
  const projectBookingState = createProjectBookingStateStep();
  const projectWeddingBudgets = createProjectWeddingBudgetsStep();
  const projectInquiries = createProjectInquiriesStep();
  /** What a booking id contributes to revenue and which anomalies hold, from its current fold. */
  const derive = (group: BookingGroup, booking: Booking | undefined) => {
    return {
      revenue: revenueOf(group, booking),
      anomalies: judgeBooking(group, { windowMs: options.duplicatePaymentWindowMs }, booking),
    };
  };

  return async function processRecords(records, { refused } = {}) {
    const tally = new EventTally();
    const rejectedRows: unknown[][] = [];
    const deadLetters: DeadLetter[] = [];
    const reject = (record: LogRecord, orgId: string, receivedAt: string, reasons: string[], message: string) => {
      rejectedRows.push(
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
      deadLetters.push(toDeadLetter(record, orgId, receivedAt, reasons, message));
      tally.count("dead_lettered", reasons[0]);
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
    const before = new Map<string, GroupBefore>();
    const accepted: ProcessedEvent[] = [];
    for (const pe of events) {
      const content = HAS_BUSINESS_ID.has(pe.event.type) ? contentOf(pe.event) : "";
      // Each rule answers ok for the event types it does not judge; the first refusal decides.
      const verdicts = [
        checkBookingRules(pe, state.bookings, content),
        checkBudgetRules(pe, state.budgets, content),
        checkInquiryRules(pe, state.inquiries, content),
      ];
      const verdict = verdicts.find((result) => result.kind !== "ok") ?? ok;
      if (verdict.kind === "drop") {
        tally.count("dropped", verdict.reason);
        continue;
      }
      if (verdict.kind === "deadLetter") {
        reject(byOffset.get(pe.offset)!, pe.orgId, pe.receivedAt, verdict.reasons, verdict.message);
        continue;
      }
      const bookingId = bookingIdOf(pe.event);
      if (bookingId !== undefined) {
        const k = stateKey(pe.orgId, bookingId);
        const seen = before.get(k);
        if (seen === undefined) {
          const group = state.bookings.group(pe.orgId, bookingId);
          const folded = state.bookings.booking(pe.orgId, bookingId);
          before.set(k, { group, ...derive(group, folded), partition: pe.partition, offset: pe.offset });
        } else {
          seen.partition = pe.partition;
          seen.offset = pe.offset;
        }
      }
      // The rules have accepted the event: projecting it is applying it, not a decision, so the steps return nothing.
      projectBookingState(pe, state.bookings, content);
      projectWeddingBudgets(pe, state.budgets, content);
      projectInquiries(pe, state, content);
      state.revenue.cover(pe.partition, pe.offset + 1);
      accepted.push(pe);
    }

    const { relinked, found } = state.bookings.relink();
    const anomalies: AnomalyChange[] = [];
    for (const { group, revenue, anomalies: was, partition, offset } of before.values()) {
      // The fold the batch's commit writes too (BookingState caches it until the group changes again).
      const after = derive(group, state.bookings.booking(group.orgId, group.bookingId));
      state.revenue.addChange(partition, revenue, after.revenue);
      const now = after.anomalies;
      for (const [id, { open, ...anomaly }] of now) {
        const previous = was.get(id);
        if (previous === undefined || JSON.stringify(previous) !== JSON.stringify({ open, ...anomaly })) {
          anomalies.push({ anomaly, open, partition, offset });
        }
      }
      for (const [id, { open: _, ...anomaly }] of was) {
        if (!now.has(id)) anomalies.push({ anomaly, open: false, retracted: true, partition, offset });
      }
    }

    const flaggedBy = new Map<string, string>();
    for (const { anomaly, open } of anomalies) if (open) flaggedBy.set(anomaly.eventId, anomaly.kind);
    const eventRows: unknown[][] = [];
    for (const pe of accepted) {
      eventRows.push(toEventRow(pe, linkedBookingOf(pe, state)));
      const kind = flaggedBy.get(pe.event.id);
      if (kind === undefined) tally.count("ok");
      else tally.count("flagged", kind);
    }
    const linkedRows = relinked.map((row: Payment | Refund) => ({
      orgId: row.orgId,
      eventId: row.eventId!,
      occurredAt: row.occurredAt!,
      booking: state.bookings.booking(row.orgId, row.bookingId)!,
    }));
    const counts = {
      ok: tally.total("ok") + tally.total("flagged"),
      dropped: tally.total("dropped"),
      deadLettered: tally.total("dead_lettered"),
      flagged: tally.total("flagged"),
    };
    return {
      eventRows,
      rejectedRows,
      deadLetters,
      linkedRows,
      anomalies,
      foundOrphans: found.map((f) => anomalyId(f.orgId, f.kind, f.subject)),
      anomalyRows: anomalies.map(toAnomalyRow),
      tally,
      counts,
      state,
    };
  };
}

/**
 * The booking whose attributes an event's ClickHouse row carries: a payment's or refund's only once linked (its
 * booking has arrived in the same wedding), any other booking event's whenever its booking is known.
 */
function linkedBookingOf(pe: ProcessedEvent, state: ProjectionState): Booking | undefined {
  const { event, orgId } = pe;
  const bookingId = bookingIdOf(event);
  if (bookingId === undefined) return undefined;
  const group = state.bookings.group(orgId, bookingId);
  if (event.type === "payment.received" && !group.payments.get(event.data.paymentId)?.linked) return undefined;
  if (event.type === "payment.refunded" && !group.refunds.get(event.data.refundId)?.linked) return undefined;
  return state.bookings.booking(orgId, bookingId);
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
