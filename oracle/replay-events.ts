import type { AnomalyKind, InjectionLabel, InvalidKind } from "../generator/generated-item.ts";
import type { EventData, EventType, WedSyncEvent } from "../schemas/index.ts";

/** One event as an organisation sent it, with the generator's label if it has one. */
export interface TruthInput {
  orgKey: string;
  event: WedSyncEvent;
  label?: InjectionLabel;
}

/** An inquiry channel, as the event contract names it. */
export type Channel = EventData<"inquiry.received">["channel"];

/** A booking as its accepted events leave it. */
export interface BookingFact {
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  /** The booking's region, or null when booking.created did not give one. */
  region: string | null;
  venueId: string | null;
  currency: string;
  /** When booking.created occurred, epoch milliseconds. */
  createdAt: number;
  /** The wedding date, guest count and contract value as last applied, in log order. */
  weddingDate: string;
  guestCount: number;
  contractValue: number;
  /** Set by the first accepted booking.cancelled, with its fee (0 when it names none). */
  cancelled: boolean;
  cancellationFee: number;
  /** Received and refunded so far, in the booking's currency. */
  paid: number;
  refunded: number;
}

/** A payment received on a known booking that was not cancelled, in the booking's currency. */
export interface PaymentFact {
  eventId: string;
  bookingId: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  method: string;
  /** Deposit, instalment or final; null when the payment names no kind. */
  kind: string | null;
  /** The booking's net paid (this payment included) and contract value as they stood when it was applied. */
  bookingNetPaid: number;
  bookingContractValue: number;
}

/** A refund of no more than its booking had net received, in the booking's currency. */
export interface RefundFact {
  eventId: string;
  bookingId: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
}

/** An expense of a wedding's category. */
export interface ExpenseFact {
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
}

/** The allocation that stands for a wedding's category. */
export interface AllocationFact {
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  /** Its place among the events replayed, which breaks ties of `at`. */
  position: number;
}

/** An inquiry, with the wedding and date it named, if any. */
export interface InquiryFact {
  inquiryId: string;
  weddingId: string | null;
  service: string;
  channel: Channel;
  /** When it occurred, epoch milliseconds. */
  at: number;
  weddingDate: string | null;
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

/** Everything one organisation's events establish, as the pipeline accepts them. */
export interface OrgFacts {
  orgKey: string;
  /** Items received (re-sends included), distinct event ids, and distinct events accepted (not dead-lettered). */
  received: number;
  unique: number;
  accepted: number;
  acceptedByType: Partial<Record<EventType, number>>;
  /** Items whose id had been seen before: the pipeline counts them once. */
  exactDuplicates: number;
  rejected: RejectedEvent[];
  /** Semantically invalid events as labelled by the generator, by kind (should match `rejected`). */
  injectedInvalid: Partial<Record<InvalidKind, number>>;
  anomalies: InjectedAnomaly[];
  /** Earliest and latest occurredAt of accepted events, epoch milliseconds; null while none is accepted. */
  firstAt: number | null;
  lastAt: number | null;
  /** By booking id, in the order they were created. */
  bookings: Map<string, BookingFact>;
  /** In log order, as every list below. */
  payments: PaymentFact[];
  refunds: RefundFact[];
  expenses: ExpenseFact[];
  /** By wedding and category (joined by NUL), in the order each was first allocated. */
  allocations: Map<string, AllocationFact>;
  inquiries: InquiryFact[];
  /** Each wedding's date as any of its bookings last set it, in log order. */
  weddingDates: Map<string, string>;
}

/** What the pipeline does with an item: counts it, drops it as a re-send, or dead-letters it. */
export type ReplayOutcome = "accepted" | "duplicate" | "rejected";

/**
 * Whether an inquiry converted: it named a wedding that has a booking of the inquiry's service, whichever arrived
 * first (cancelled bookings included).
 */
export function conversionOf(facts: OrgFacts): (inquiry: InquiryFact) => boolean {
  const booked = new Set([...facts.bookings.values()].map((b) => `${b.weddingId}\u0000${b.service}`));
  return (inquiry) => inquiry.weddingId !== null && booked.has(`${inquiry.weddingId}\u0000${inquiry.service}`);
}

/**
 * The one replay of events into facts that every expected figure is derived from (ground truth and revenue, the
 * aggregation, the named endpoints), computed from the events alone: no store, none of the product's SQL or state
 * code, since it is what the product is checked against.
 *
 * Feed items in arrival order, which is the log order of each wedding: acceptance depends on it, as it does in the
 * pipeline. A repeated event id counts once. Dead-lettered (and counted nowhere but in `rejected`): a payment or refund
 * for an unknown booking, a payment for a cancelled one, a refund above what the booking has net received, and money
 * in another currency than the booking's (a payment, a refund, a cancellation fee, an updated contract value).
 *
 * Two ordering rules, each as the product's stores apply it:
 * - a booking's contract value, guest count and wedding date are the ones applied last, in log order, even when an
 *   update says it occurred before the one it replaces (the bookings projection, the revenue rollup and the receivables
 *   SQL all apply updates so); an update or cancellation of a booking not yet created changes nothing, and a booking
 *   id created again keeps its first creation;
 * - a wedding category's budget is its latest allocation by occurredAt, ties broken by log position (as the budgets
 *   projection keeps it).
 */
export class EventReplay {
  private readonly orgs = new Map<string, OrgFacts>();
  private readonly seen = new Map<string, Set<string>>();
  private position = 0;

  /** Takes the next item in arrival order and says what the pipeline does with it. */
  add(input: TruthInput): ReplayOutcome {
    const { orgKey, event, label } = input;
    const org = this.org(orgKey);
    const seen = this.seen.get(orgKey)!;
    org.received++;
    if (seen.has(event.id)) {
      org.exactDuplicates++;
      return "duplicate";
    }
    seen.add(event.id);
    org.unique++;
    if (label?.class === "invalid") org.injectedInvalid[label.kind] = (org.injectedInvalid[label.kind] ?? 0) + 1;
    const at = Date.parse(event.occurredAt);
    const reason = apply(org, event, at, this.position++);
    if (reason !== undefined) {
      org.rejected.push({ eventId: event.id, type: event.type, reason });
      return "rejected";
    }
    org.accepted++;
    org.acceptedByType[event.type] = (org.acceptedByType[event.type] ?? 0) + 1;
    org.firstAt = Math.min(org.firstAt ?? at, at);
    org.lastAt = Math.max(org.lastAt ?? at, at);
    if (label?.class === "anomaly") {
      const data: { weddingId?: string; bookingId?: string } = event.data;
      const anomaly: InjectedAnomaly = {
        eventId: event.id,
        type: event.type,
        kind: label.kind,
        weddingId: data.weddingId ?? "",
      };
      if (data.bookingId !== undefined) anomaly.bookingId = data.bookingId;
      org.anomalies.push(anomaly);
    }
    return "accepted";
  }

  /** The facts of one organisation so far (live: they change as items are added), if it sent anything. */
  facts(orgKey: string): OrgFacts | undefined {
    return this.orgs.get(orgKey);
  }

  /** The facts of every organisation so far, in the order each first sent an item. */
  allFacts(): OrgFacts[] {
    return [...this.orgs.values()];
  }

  private org(orgKey: string): OrgFacts {
    let org = this.orgs.get(orgKey);
    if (org === undefined) {
      org = {
        orgKey,
        received: 0,
        unique: 0,
        accepted: 0,
        acceptedByType: {},
        exactDuplicates: 0,
        rejected: [],
        injectedInvalid: {},
        anomalies: [],
        firstAt: null,
        lastAt: null,
        bookings: new Map(),
        payments: [],
        refunds: [],
        expenses: [],
        allocations: new Map(),
        inquiries: [],
        weddingDates: new Map(),
      };
      this.orgs.set(orgKey, org);
      this.seen.set(orgKey, new Set());
    }
    return org;
  }
}

/** Replays a finite sequence of items, in arrival order, into the facts of each organisation (by organisation key). */
export function replayEvents(items: Iterable<TruthInput>): Map<string, OrgFacts> {
  const replay = new EventReplay();
  for (const item of items) replay.add(item);
  return new Map(replay.allFacts().map((facts) => [facts.orgKey, facts]));
}

/** True when an event names money in another currency than its booking's: the pipeline dead-letters it. */
function inOtherCurrency(money: { currency: string } | undefined, booking: BookingFact): boolean {
  return money !== undefined && money.currency !== booking.currency;
}

/** Applies one new event to an organisation's facts; returns why the pipeline would dead-letter it, if it would. */
function apply(org: OrgFacts, event: WedSyncEvent, at: number, position: number): InvalidKind | undefined {
  switch (event.type) {
    case "booking.created": {
      const d = event.data;
      if (org.bookings.has(d.bookingId)) return undefined;
      org.bookings.set(d.bookingId, {
        bookingId: d.bookingId,
        weddingId: d.weddingId,
        supplierId: d.supplierId,
        service: d.service,
        region: d.region ?? null,
        venueId: d.venueId ?? null,
        currency: d.contractValue.currency,
        createdAt: at,
        weddingDate: d.weddingDate,
        guestCount: d.guestCount,
        contractValue: d.contractValue.amount,
        cancelled: false,
        cancellationFee: 0,
        paid: 0,
        refunded: 0,
      });
      org.weddingDates.set(d.weddingId, d.weddingDate);
      return undefined;
    }
    case "booking.updated": {
      const d = event.data;
      const booking = org.bookings.get(d.bookingId);
      if (booking === undefined) return undefined;
      if (inOtherCurrency(d.contractValue, booking)) return "currency-mismatch";
      // Applied in log order, even when it says it occurred before the update it replaces.
      if (d.contractValue !== undefined) booking.contractValue = d.contractValue.amount;
      if (d.guestCount !== undefined) booking.guestCount = d.guestCount;
      if (d.weddingDate !== undefined) {
        booking.weddingDate = d.weddingDate;
        org.weddingDates.set(d.weddingId, d.weddingDate);
      }
      return undefined;
    }
    case "booking.cancelled": {
      const d = event.data;
      const booking = org.bookings.get(d.bookingId);
      if (booking === undefined) return undefined;
      if (inOtherCurrency(d.cancellationFee, booking)) return "currency-mismatch";
      // A cancellation is final: a second one changes nothing.
      if (!booking.cancelled) {
        booking.cancelled = true;
        booking.cancellationFee = d.cancellationFee?.amount ?? 0;
      }
      return undefined;
    }
    case "payment.received": {
      const d = event.data;
      const booking = org.bookings.get(d.bookingId);
      if (booking === undefined) return "unknown-booking";
      if (booking.cancelled) return "cancelled-booking";
      if (inOtherCurrency(d.amount, booking)) return "currency-mismatch";
      booking.paid += d.amount.amount;
      org.payments.push({
        eventId: event.id,
        bookingId: d.bookingId,
        amount: d.amount.amount,
        currency: d.amount.currency,
        at,
        method: d.method,
        kind: d.kind ?? null,
        bookingNetPaid: booking.paid - booking.refunded,
        bookingContractValue: booking.contractValue,
      });
      return undefined;
    }
    case "payment.refunded": {
      const d = event.data;
      const booking = org.bookings.get(d.bookingId);
      if (booking === undefined) return "unknown-booking";
      if (inOtherCurrency(d.amount, booking)) return "currency-mismatch";
      if (d.amount.amount > booking.paid - booking.refunded) return "refund-exceeds-paid";
      booking.refunded += d.amount.amount;
      org.refunds.push({
        eventId: event.id,
        bookingId: d.bookingId,
        amount: d.amount.amount,
        currency: d.amount.currency,
        at,
      });
      return undefined;
    }
    case "expense.recorded": {
      const d = event.data;
      org.expenses.push({
        weddingId: d.weddingId,
        category: d.category,
        amount: d.amount.amount,
        currency: d.amount.currency,
        at,
      });
      return undefined;
    }
    case "budget.allocated": {
      const d = event.data;
      const key = `${d.weddingId}\u0000${d.category}`;
      const current = org.allocations.get(key);
      // Latest by occurredAt, then by log position: unlike a booking's figures, not simply the last applied.
      if (current === undefined || at > current.at || (at === current.at && position > current.position)) {
        org.allocations.set(key, {
          weddingId: d.weddingId,
          category: d.category,
          amount: d.amount.amount,
          currency: d.amount.currency,
          at,
          position,
        });
      }
      return undefined;
    }
    case "inquiry.received": {
      const d = event.data;
      org.inquiries.push({
        inquiryId: d.inquiryId,
        weddingId: d.weddingId ?? null,
        service: d.service,
        channel: d.channel,
        at,
        weddingDate: d.weddingDate ?? null,
      });
      return undefined;
    }
  }
}
