import { ANOMALY_KINDS, type AnomalyKind } from "../generator/generated-item.ts";
import type { EventType } from "../schemas/index.ts";
import {
  conversionOf,
  EventReplay,
  type Channel,
  type InjectedAnomaly,
  type OrgFacts,
  type RejectedEvent,
  type TruthInput,
} from "./replay-events.ts";
import { sortBy, tally } from "./rows.ts";
import { utcDay } from "./time-buckets.ts";

/** Totals of one organisation in one currency, in integer minor units. */
export interface CurrencyTotals {
  /** Bookings created, in their contract currency (cancelled ones included, as the revenue query counts them). */
  bookings: number;
  /** Sum of every booking's current contract value (cancelled ones included, as the revenue query values them). */
  contractValue: number;
  /** Of those bookings, the cancelled ones, and the current contract value they released. */
  cancelledBookings: number;
  releasedContractValue: number;
  /** The counting cancellations' fees, in the fee's currency. */
  cancellationFees: number;
  /** Every payment and refund, in its own currency, whatever its booking. */
  paymentsReceived: number;
  refunds: number;
  expenses: number;
  /** Sum over weddings and categories of the latest allocation. */
  budgetAllocated: number;
}

/** Revenue facts of one UTC day, service, region and currency: the grain every revenue question is answered from. */
export interface DailyRevenue {
  day: string;
  /** The booking's service; '' for payments and refunds whose booking does not exist (in their wedding). */
  service: string;
  /** The booking's region, or null when it was not given (or the money is not linked to a booking). */
  region: string | null;
  currency: string;
  /** Bookings created that day, valued at their current contract value, in its currency. */
  bookings: number;
  contractValue: number;
  /** Payments received that day (of this service and region, '' when unlinked), in their own currency. */
  paymentsReceived: number;
  /** Refunds paid out that day, likewise. */
  refunds: number;
  /** Bookings whose counting cancellation occurred that day, and their current contract value, in its currency. */
  cancelledBookings: number;
  releasedContractValue: number;
  /** Those cancellations' fees, in the fee's currency. */
  cancellationFees: number;
}

/** Inquiries through one channel and how many of them converted. */
export interface ChannelConversion {
  inquiries: number;
  converted: number;
}

/** Everything known to be true of one organisation's events. */
export interface OrgTruth {
  orgKey: string;
  /** Items received (re-sends included), distinct event ids, and events that count (neither re-sends nor conflicts). */
  events: { received: number; unique: number; accepted: number; acceptedByType: Partial<Record<EventType, number>> };
  /** Items whose id had been seen before: the pipeline must count them once. */
  exactDuplicates: number;
  /** Items under a new event id repeating a business id with the same content: the pipeline must count them once. */
  resends: number;
  /** Business-id conflicts, the only events dead-lettered (in arrival order). */
  rejected: RejectedEvent[];
  anomalies: InjectedAnomaly[];
  anomalyCounts: Record<AnomalyKind, number>;
  /** Per currency, e.g. totals.GBP. */
  totals: Record<string, CurrencyTotals>;
  /** Sorted by day, service, region, currency. */
  revenueDaily: DailyRevenue[];
  inquiries: Partial<Record<Channel, ChannelConversion>>;
  /** Earliest and latest occurredAt of accepted events, ISO 8601, or null when there are none. */
  firstOccurredAt: string | null;
  lastOccurredAt: string | null;
}

/** Ground truth of a set of events, per organisation key. */
export interface GroundTruth {
  orgs: Record<string, OrgTruth>;
}

/**
 * The ground truth of one organisation's facts (see `EventReplay` for the converged state), by the rules of issue 12:
 * each created booking counts on its creation day at its current contract value, in its contract currency, cancelled
 * ones included; each cancelled one counts again, with its contract value released and its fee, on the day of the
 * cancellation that counts; every payment and refund on its own UTC day in its own currency, under its booking's
 * service and region ('' and null while unlinked). An inquiry converts when its wedding has a booking of its service.
 */
export function groundTruthOf(facts: OrgFacts): OrgTruth {
  const totals = tally(
    (): CurrencyTotals => ({
      bookings: 0,
      contractValue: 0,
      cancelledBookings: 0,
      releasedContractValue: 0,
      cancellationFees: 0,
      paymentsReceived: 0,
      refunds: 0,
      expenses: 0,
      budgetAllocated: 0,
    }),
  );
  const daily = tally(
    ([day, service, region, currency]): DailyRevenue => ({
      day: day!,
      service: service!,
      region: region === "" ? null : region!,
      currency: currency!,
      bookings: 0,
      contractValue: 0,
      paymentsReceived: 0,
      refunds: 0,
      cancelledBookings: 0,
      releasedContractValue: 0,
      cancellationFees: 0,
    }),
  );
  for (const b of facts.bookings.values()) {
    const t = totals.at(b.currency);
    t.bookings++;
    t.contractValue += b.contractValue;
    const row = daily.at(utcDay(b.createdAt), b.service, b.region ?? "", b.currency);
    row.bookings++;
    row.contractValue += b.contractValue;
    const cancellation = b.cancellation;
    if (cancellation === null) continue;
    const day = utcDay(cancellation.at);
    t.cancelledBookings++;
    t.releasedContractValue += b.contractValue;
    const released = daily.at(day, b.service, b.region ?? "", b.currency);
    released.cancelledBookings++;
    released.releasedContractValue += b.contractValue;
    // A fee of 0 adds nothing, and makes no row of its own in another currency.
    if (cancellation.fee !== 0) {
      totals.at(cancellation.feeCurrency).cancellationFees += cancellation.fee;
      daily.at(day, b.service, b.region ?? "", cancellation.feeCurrency).cancellationFees += cancellation.fee;
    }
  }
  for (const p of facts.payments) {
    daily.at(utcDay(p.at), p.service ?? "", p.region ?? "", p.currency).paymentsReceived += p.amount;
    totals.at(p.currency).paymentsReceived += p.amount;
  }
  for (const r of facts.refunds) {
    daily.at(utcDay(r.at), r.service ?? "", r.region ?? "", r.currency).refunds += r.amount;
    totals.at(r.currency).refunds += r.amount;
  }
  for (const e of facts.expenses) totals.at(e.currency).expenses += e.amount;
  for (const a of facts.allocations.values()) totals.at(a.currency).budgetAllocated += a.amount;

  const converted = conversionOf(facts);
  const inquiries: Partial<Record<Channel, ChannelConversion>> = {};
  for (const inquiry of facts.inquiries) {
    const entry = (inquiries[inquiry.channel] ??= { inquiries: 0, converted: 0 });
    entry.inquiries++;
    if (converted(inquiry)) entry.converted++;
  }
  const anomalyCounts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
  for (const anomaly of facts.anomalies) anomalyCounts[anomaly.kind]++;
  return {
    orgKey: facts.orgKey,
    events: {
      received: facts.received,
      unique: facts.unique,
      accepted: facts.accepted,
      acceptedByType: { ...facts.acceptedByType },
    },
    exactDuplicates: facts.exactDuplicates,
    resends: facts.resends,
    rejected: [...facts.rejected],
    anomalies: [...facts.anomalies],
    anomalyCounts,
    totals: Object.fromEntries(sortBy(totals.entries(), ([currency]) => currency)),
    revenueDaily: sortBy(
      daily.rows(),
      (r) => r.day,
      (r) => r.service,
      (r) => r.region ?? "",
      (r) => r.currency,
    ),
    inquiries,
    firstOccurredAt: facts.firstAt === null ? null : new Date(facts.firstAt).toISOString(),
    lastOccurredAt: facts.lastAt === null ? null : new Date(facts.lastAt).toISOString(),
  };
}

/**
 * Computes ground truth incrementally from items in arrival order: the replay keeps the events, and `result()` derives
 * the truth of the converged state of everything added so far, leaving the builder free to take more.
 */
export class GroundTruthBuilder {
  private readonly replay = new EventReplay();

  /** Takes the next item in arrival order. */
  add(input: TruthInput): void {
    this.replay.add(input);
  }

  /** The truth of everything added so far. */
  result(): GroundTruth {
    return { orgs: Object.fromEntries(this.replay.allFacts().map((facts) => [facts.orgKey, groundTruthOf(facts)])) };
  }
}

/** Computes the ground truth of a finite sequence of items, in arrival order. */
export function computeGroundTruth(items: Iterable<TruthInput>): GroundTruth {
  const builder = new GroundTruthBuilder();
  for (const item of items) builder.add(item);
  return builder.result();
}
