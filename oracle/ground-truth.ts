import type { EventType, WedSyncEvent } from "../schemas/index.ts";
import { dayName, dayOf } from "../generator/calendar.ts";
import { ANOMALY_KINDS, type AnomalyKind, type InjectionLabel, type InvalidKind } from "../generator/generated-item.ts";
import type { Channel } from "../generator/org-profiles.ts";

/** One event as sent by an organisation, with the generator's label if it has one. */
export interface TruthInput {
  orgKey: string;
  event: WedSyncEvent;
  label?: InjectionLabel;
}

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

/** An event the pipeline must dead-letter, and why. */
export interface RejectedEvent {
  eventId: string;
  type: EventType;
  reason: InvalidKind;
}

/** An accepted event the generator labelled as an injected anomaly. */
export interface InjectedAnomaly {
  eventId: string;
  type: EventType;
  kind: AnomalyKind;
  weddingId: string;
  bookingId?: string;
}

/** Inquiries through one channel and how many of them named a wedding that was booked. */
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

/** Ground truth of a set of generated events, per organisation key. */
export interface GroundTruth {
  orgs: Record<string, OrgTruth>;
}

/** A budget allocation with the position it was set at, so "latest" means latest occurredAt, then latest arrival. */
interface Versioned {
  amount: number;
  currency: string;
  at: number;
  arrival: number;
}

interface BookingState {
  service: string;
  region: string | null;
  currency: string;
  createdAt: number;
  cancelled: boolean;
  paid: number;
  refunded: number;
}

interface OrgState {
  orgKey: string;
  seen: Set<string>;
  received: number;
  exactDuplicates: number;
  accepted: number;
  acceptedByType: Partial<Record<EventType, number>>;
  rejected: RejectedEvent[];
  injectedInvalid: Partial<Record<InvalidKind, number>>;
  anomalies: InjectedAnomaly[];
  bookings: Map<string, BookingState>;
  /** Contract value per booking id as last applied (arrival order), from booking.created and booking.updated alike. */
  values: Map<string, number>;
  budgets: Map<string, Versioned>;
  daily: Map<string, DailyRevenue>;
  totals: Map<string, CurrencyTotals>;
  inquiriesByWedding: Map<string, Channel[]>;
  inquiries: Partial<Record<Channel, ChannelConversion>>;
  bookedWeddings: Set<string>;
  first: number;
  last: number;
}

/** True when `candidate` is later than `current` by occurredAt, then by arrival. */
function isLater(candidate: Versioned, current: Versioned | undefined): boolean {
  return (
    current === undefined ||
    candidate.at > current.at ||
    (candidate.at === current.at && candidate.arrival > current.arrival)
  );
}

/**
 * Computes ground truth from events alone, independently of any store, using the definitions of
 * query-api/revenue-query.ts: bookings are bucketed by their creation day and valued at their
 * contract value last applied (arrival order, as the bookings projection and the revenue rollup
 * apply updates, even one dated before the value it replaces); payments and refunds by their own
 * day, attributed to the service and region of their booking; days are UTC. Feed items in arrival
 * order: the semantic checks the pipeline applies depend on it. Events it would dead-letter —
 * a payment or refund for an unknown booking, a payment for a cancelled one, a refund above what
 * the booking has net received, money in another currency than the booking's — count nowhere but
 * in `rejected`. A repeated event id counts once.
 */
export class GroundTruthBuilder {
  private readonly orgs = new Map<string, OrgState>();
  private arrival = 0;

  /** Takes the next item in arrival order. */
  add(input: TruthInput): void {
    const org = this.org(input.orgKey);
    org.received++;
    const { event } = input;
    if (org.seen.has(event.id)) {
      org.exactDuplicates++;
      return;
    }
    org.seen.add(event.id);
    if (input.label?.class === "invalid")
      org.injectedInvalid[input.label.kind] = (org.injectedInvalid[input.label.kind] ?? 0) + 1;
    const at = Date.parse(event.occurredAt);
    const reason = this.apply(org, event, at, this.arrival++);
    if (reason !== undefined) {
      org.rejected.push({ eventId: event.id, type: event.type, reason });
      return;
    }
    org.accepted++;
    org.acceptedByType[event.type] = (org.acceptedByType[event.type] ?? 0) + 1;
    org.first = Math.min(org.first, at);
    org.last = Math.max(org.last, at);
    if (input.label?.class === "anomaly") {
      const data: { weddingId?: string; bookingId?: string } = event.data;
      const anomaly: InjectedAnomaly = {
        eventId: event.id,
        type: event.type,
        kind: input.label.kind,
        weddingId: data.weddingId ?? "",
      };
      if (data.bookingId !== undefined) anomaly.bookingId = data.bookingId;
      org.anomalies.push(anomaly);
    }
  }

  /** The truth of everything added so far. */
  result(): GroundTruth {
    const orgs: Record<string, OrgTruth> = {};
    for (const org of this.orgs.values()) orgs[org.orgKey] = this.summarise(org);
    return { orgs };
  }

  private org(orgKey: string): OrgState {
    let org = this.orgs.get(orgKey);
    if (org === undefined) {
      org = {
        orgKey,
        seen: new Set(),
        received: 0,
        exactDuplicates: 0,
        accepted: 0,
        acceptedByType: {},
        rejected: [],
        injectedInvalid: {},
        anomalies: [],
        bookings: new Map(),
        values: new Map(),
        budgets: new Map(),
        daily: new Map(),
        totals: new Map(),
        inquiriesByWedding: new Map(),
        inquiries: {},
        bookedWeddings: new Set(),
        first: Infinity,
        last: -Infinity,
      };
      this.orgs.set(orgKey, org);
    }
    return org;
  }

  /** Applies one new event to the state; returns why the pipeline would reject it, if it would. */
  private apply(org: OrgState, event: WedSyncEvent, at: number, arrival: number): InvalidKind | undefined {
    switch (event.type) {
      case "booking.created": {
        const { data } = event;
        if (!org.bookings.has(data.bookingId)) {
          org.values.set(data.bookingId, data.contractValue.amount);
          org.bookings.set(data.bookingId, {
            service: data.service,
            region: data.region ?? null,
            currency: data.contractValue.currency,
            createdAt: at,
            cancelled: false,
            paid: 0,
            refunded: 0,
          });
          org.bookedWeddings.add(data.weddingId);
        }
        return undefined;
      }
      case "booking.updated": {
        const { data } = event;
        if (data.contractValue === undefined) return undefined;
        const booking = org.bookings.get(data.bookingId);
        if (booking !== undefined && booking.currency !== data.contractValue.currency) return "currency-mismatch";
        // The last value applied wins, in arrival order, even when it says it occurred before the one it replaces.
        org.values.set(data.bookingId, data.contractValue.amount);
        return undefined;
      }
      case "booking.cancelled": {
        const { data } = event;
        const booking = org.bookings.get(data.bookingId);
        if (booking === undefined) return undefined;
        if (data.cancellationFee !== undefined && data.cancellationFee.currency !== booking.currency)
          return "currency-mismatch";
        if (!booking.cancelled) {
          booking.cancelled = true;
          const totals = this.totals(org, booking.currency);
          totals.cancelledBookings++;
          totals.cancellationFees += data.cancellationFee?.amount ?? 0;
        }
        return undefined;
      }
      case "payment.received": {
        const { data } = event;
        const booking = org.bookings.get(data.bookingId);
        if (booking === undefined) return "unknown-booking";
        if (booking.cancelled) return "cancelled-booking";
        if (data.amount.currency !== booking.currency) return "currency-mismatch";
        booking.paid += data.amount.amount;
        this.totals(org, booking.currency).paymentsReceived += data.amount.amount;
        this.daily(org, at, booking.service, booking.region, booking.currency).paymentsReceived += data.amount.amount;
        return undefined;
      }
      case "payment.refunded": {
        const { data } = event;
        const booking = org.bookings.get(data.bookingId);
        if (booking === undefined) return "unknown-booking";
        if (data.amount.currency !== booking.currency) return "currency-mismatch";
        if (data.amount.amount > booking.paid - booking.refunded) return "refund-exceeds-paid";
        booking.refunded += data.amount.amount;
        this.totals(org, booking.currency).refunds += data.amount.amount;
        this.daily(org, at, booking.service, booking.region, booking.currency).refunds += data.amount.amount;
        return undefined;
      }
      case "expense.recorded":
        this.totals(org, event.data.amount.currency).expenses += event.data.amount.amount;
        return undefined;
      case "budget.allocated": {
        const { data } = event;
        const key = `${data.weddingId}\u0000${data.category}`;
        const value = { amount: data.amount.amount, currency: data.amount.currency, at, arrival };
        if (isLater(value, org.budgets.get(key))) org.budgets.set(key, value);
        return undefined;
      }
      case "inquiry.received": {
        const { data } = event;
        if (data.weddingId === undefined) this.channel(org, data.channel).inquiries++;
        else {
          const channels = org.inquiriesByWedding.get(data.weddingId);
          if (channels) channels.push(data.channel);
          else org.inquiriesByWedding.set(data.weddingId, [data.channel]);
        }
        return undefined;
      }
    }
  }

  private totals(org: OrgState, currency: string): CurrencyTotals {
    let totals = org.totals.get(currency);
    if (totals === undefined) {
      totals = {
        bookings: 0,
        cancelledBookings: 0,
        contractValue: 0,
        cancellationFees: 0,
        paymentsReceived: 0,
        refunds: 0,
        expenses: 0,
        budgetAllocated: 0,
      };
      org.totals.set(currency, totals);
    }
    return totals;
  }

  private daily(org: OrgState, at: number, service: string, region: string | null, currency: string): DailyRevenue {
    const day = dayName(dayOf(at));
    const key = `${day}\u0000${service}\u0000${region ?? ""}\u0000${currency}`;
    let row = org.daily.get(key);
    if (row === undefined) {
      row = { day, service, region, currency, bookings: 0, contractValue: 0, paymentsReceived: 0, refunds: 0 };
      org.daily.set(key, row);
    }
    return row;
  }

  private channel(org: OrgState, channel: Channel): ChannelConversion {
    let entry = org.inquiries[channel];
    if (entry === undefined) {
      entry = { inquiries: 0, converted: 0 };
      org.inquiries[channel] = entry;
    }
    return entry;
  }

  private summarise(org: OrgState): OrgTruth {
    // Booking figures depend on the contract value last applied, known only once every event is in, so
    // they are added here, to copies, leaving the builder free to take more events.
    const totals = new Map([...org.totals].map(([currency, t]) => [currency, { ...t }]));
    const daily = new Map([...org.daily].map(([key, row]) => [key, { ...row }]));
    const scratch: OrgState = { ...org, totals, daily };
    for (const [bookingId, booking] of org.bookings) {
      const value = org.values.get(bookingId)!;
      const currencyTotals = this.totals(scratch, booking.currency);
      currencyTotals.bookings++;
      currencyTotals.contractValue += value;
      const row = this.daily(scratch, booking.createdAt, booking.service, booking.region, booking.currency);
      row.bookings++;
      row.contractValue += value;
    }
    for (const budget of org.budgets.values()) this.totals(scratch, budget.currency).budgetAllocated += budget.amount;
    const inquiries: Partial<Record<Channel, ChannelConversion>> = {};
    for (const [channel, entry] of Object.entries(org.inquiries) as [Channel, ChannelConversion][])
      inquiries[channel] = { ...entry };
    for (const [weddingId, channels] of org.inquiriesByWedding) {
      const booked = org.bookedWeddings.has(weddingId);
      for (const channel of channels) {
        const entry = (inquiries[channel] ??= { inquiries: 0, converted: 0 });
        entry.inquiries++;
        if (booked) entry.converted++;
      }
    }
    const anomalyCounts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
    for (const anomaly of org.anomalies) anomalyCounts[anomaly.kind]++;
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const revenueDaily = [...daily.values()].sort(
      (a, b) =>
        compare(a.day, b.day) ||
        compare(a.service, b.service) ||
        compare(a.region ?? "", b.region ?? "") ||
        compare(a.currency, b.currency),
    );
    return {
      orgKey: org.orgKey,
      events: {
        received: org.received,
        unique: org.seen.size,
        accepted: org.accepted,
        acceptedByType: { ...org.acceptedByType },
      },
      exactDuplicates: org.exactDuplicates,
      rejected: [...org.rejected],
      injectedInvalid: { ...org.injectedInvalid },
      anomalies: [...org.anomalies],
      anomalyCounts,
      totals: Object.fromEntries([...totals].sort(([a], [b]) => compare(a, b))),
      revenueDaily,
      inquiries,
      firstOccurredAt: org.accepted > 0 ? new Date(org.first).toISOString() : null,
      lastOccurredAt: org.accepted > 0 ? new Date(org.last).toISOString() : null,
    };
  }
}

/** Computes the ground truth of a finite sequence of items, in arrival order. */
export function computeGroundTruth(items: Iterable<TruthInput>): GroundTruth {
  const builder = new GroundTruthBuilder();
  for (const item of items) builder.add(item);
  return builder.result();
}
