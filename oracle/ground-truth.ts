import { ANOMALY_KINDS, type AnomalyKind, type InvalidKind } from "../generator/generated-item.ts";
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
  /** Bookings created (cancelled ones included, as the revenue query counts them). */
  bookings: number;
  cancelledBookings: number;
  /** Sum of every booking's contract value as last applied (cancelled ones included, as the revenue query values them). */
  contractValue: number;
  cancellationFees: number;
  paymentsReceived: number;
  refunds: number;
  expenses: number;
  /** Sum over weddings and categories of the latest allocation. */
  budgetAllocated: number;
}

/** Revenue facts of one UTC day, service, region and currency: the grain every revenue question is answered from. */
export interface DailyRevenue {
  day: string;
  service: string;
  /** The booking's region, or null when it was not given. */
  region: string | null;
  currency: string;
  /** Bookings created that day, valued at their contract value as last applied. */
  bookings: number;
  contractValue: number;
  /** Payments received that day on bookings of this service and region. */
  paymentsReceived: number;
  /** Refunds paid out that day on bookings of this service and region. */
  refunds: number;
}

/** Inquiries through one channel and how many of them converted. */
export interface ChannelConversion {
  inquiries: number;
  converted: number;
}

/** Everything known to be true of one organisation's events. */
export interface OrgTruth {
  orgKey: string;
  /** Items received (re-sends included), distinct event ids, and distinct events accepted (not dead-lettered). */
  events: { received: number; unique: number; accepted: number; acceptedByType: Partial<Record<EventType, number>> };
  /** Items whose id had been seen before: the pipeline must count them once. */
  exactDuplicates: number;
  rejected: RejectedEvent[];
  /** Semantically invalid events as labelled by the generator, by kind (should match `rejected`). */
  injectedInvalid: Partial<Record<InvalidKind, number>>;
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
 * The ground truth of one organisation's facts (see `EventReplay` for what is accepted and which update wins), by the
 * definitions of query-api/revenue-query.ts: bookings are bucketed by their creation day and valued at their contract
 * value as last applied, cancelled ones included; payments and refunds by their own UTC day, attributed to the service,
 * region and currency of their booking. An inquiry converts when its wedding has a booking of its service.
 */
export function groundTruthOf(facts: OrgFacts): OrgTruth {
  const totals = tally(
    (): CurrencyTotals => ({
      bookings: 0,
      cancelledBookings: 0,
      contractValue: 0,
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
    }),
  );
  const dailyOf = (at: number, bookingId: string) => {
    const b = facts.bookings.get(bookingId)!;
    return { row: daily.at(utcDay(at), b.service, b.region ?? "", b.currency), totals: totals.at(b.currency) };
  };
  for (const b of facts.bookings.values()) {
    const t = totals.at(b.currency);
    t.bookings++;
    t.contractValue += b.contractValue;
    if (b.cancelled) {
      t.cancelledBookings++;
      t.cancellationFees += b.cancellationFee;
    }
    const row = daily.at(utcDay(b.createdAt), b.service, b.region ?? "", b.currency);
    row.bookings++;
    row.contractValue += b.contractValue;
  }
  for (const p of facts.payments) {
    const { row, totals } = dailyOf(p.at, p.bookingId);
    row.paymentsReceived += p.amount;
    totals.paymentsReceived += p.amount;
  }
  for (const r of facts.refunds) {
    const { row, totals } = dailyOf(r.at, r.bookingId);
    row.refunds += r.amount;
    totals.refunds += r.amount;
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
    rejected: [...facts.rejected],
    injectedInvalid: { ...facts.injectedInvalid },
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
 * Computes ground truth incrementally from items in arrival order: the replay keeps the facts, and `result()` derives
 * the truth of everything added so far, leaving the builder free to take more.
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
