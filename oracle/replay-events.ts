import type { AnomalyKind, InjectionLabel } from "../generator/generated-item.ts";
import type { EventData, EventOf, EventType, WedSyncEvent } from "../schemas/index.ts";

/** One event as an organisation sent it, with the generator's label if it has one. */
export interface TruthInput {
  orgKey: string;
  event: WedSyncEvent;
  label?: InjectionLabel;
}

/** An inquiry channel, as the event contract names it. */
export type Channel = EventData<"inquiry.received">["channel"];

/** The cancellation that counts for a booking: the earliest by occurrence of those naming it in its wedding. */
export interface CancellationFact {
  eventId: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  /** Its cancellationFee, in the fee's own currency; none named is 0 in the booking's currency. */
  fee: number;
  feeCurrency: string;
}

/** A created booking as the set of its events leaves it. */
export interface BookingFact {
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  /** The booking's region, or null when booking.created did not give one. */
  region: string | null;
  venueId: string | null;
  /** Its booking.created: the smallest of the event ids that carried it (a re-send under a new id carries it too). */
  eventId: string;
  /** When booking.created occurred, epoch milliseconds. */
  createdAt: number;
  /**
   * The wedding date, guest count and contract value: each from the latest by occurrence (occurredAt, then event id)
   * of the create and the linked updates that carry it. The contract value's amount and currency come from one event.
   */
  weddingDate: string;
  guestCount: number;
  contractValue: number;
  /** The booking's currency: its current contract value's. */
  currency: string;
  /** The currency it was created in (an update may move the contract value into another: a currency mismatch). */
  createdCurrency: string;
  /** Whether any linked booking.cancelled exists (a cancellation is final), and the one that counts. */
  cancelled: boolean;
  cancellation: CancellationFact | null;
  /** Linked payments and refunds in the booking's currency, summed. */
  paid: number;
  refunded: number;
}

/**
 * What a payment or refund takes from its booking. It is linked when the booking it names was created in the wedding it
 * names; until then (or if never) the booking's attributes are null.
 */
export interface LinkedAttributes {
  linked: boolean;
  service: string | null;
  supplierId: string | null;
  region: string | null;
  venueId: string | null;
  /** The booking's current wedding date. */
  weddingDate: string | null;
}

/** A payment received (every distinct paymentId), in its own currency, whatever its booking. */
export interface PaymentFact extends LinkedAttributes {
  paymentId: string;
  /** The smallest of `eventIds`: the fact does not depend on which copy arrived first. */
  eventId: string;
  /** Every event id that carried it: the one that stood and its re-sends under new ids, sorted. */
  eventIds: string[];
  /** The booking and wedding it names. */
  bookingId: string;
  weddingId: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  method: string;
  /** Deposit, instalment or final; null when the payment names no kind. */
  kind: string | null;
}

/** A refund paid (every distinct refundId), in its own currency, whatever its payment or booking. */
export interface RefundFact extends LinkedAttributes {
  refundId: string;
  /** The payment it names, known or not. */
  paymentId: string;
  /** The smallest of `eventIds`. */
  eventId: string;
  eventIds: string[];
  bookingId: string;
  weddingId: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
}

/** A booking.updated or booking.cancelled, and whether the booking it names exists in its wedding. */
export interface BookingChangeFact {
  eventId: string;
  type: "booking.updated" | "booking.cancelled";
  bookingId: string;
  weddingId: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  linked: boolean;
  /** A cancellation's fee; null for an update or a cancellation naming none. */
  fee: { amount: number; currency: string } | null;
  /** An update's contract value; null for a cancellation or an update naming none. */
  contract: { amount: number; currency: string } | null;
}

/** An expense of a wedding's category (every distinct expenseId). */
export interface ExpenseFact {
  expenseId: string;
  /** The smallest of the event ids that carried it. */
  eventId: string;
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
}

/** The allocation that stands for a wedding's category: the latest by occurrence (occurredAt, then event id). */
export interface AllocationFact {
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  eventId: string;
}

/** An inquiry (every distinct inquiryId), with the wedding and date it named, if any. */
export interface InquiryFact {
  inquiryId: string;
  weddingId: string | null;
  service: string;
  channel: Channel;
  /** When it occurred, epoch milliseconds. */
  at: number;
  weddingDate: string | null;
}

/** Why an event is dead-lettered, of the reasons the oracle can see (the others are the ingest edge's and the stores'). */
export type RejectionReason = "business_id_conflict";

/** An event the pipeline must dead-letter, and why. */
export interface RejectedEvent {
  eventId: string;
  type: EventType;
  reason: RejectionReason;
  /** The business id it conflicts on (bookingId, paymentId, refundId, expenseId or inquiryId). */
  businessId: string;
  /** The event id of the version that stands: the one that arrived first. */
  conflictsWith: string;
}

/** An event the generator labelled as an injected anomaly (counted, and to be flagged). */
export interface InjectedAnomaly {
  eventId: string;
  type: EventType;
  kind: AnomalyKind;
  weddingId: string;
  bookingId?: string;
}

/** Everything one organisation's events establish: the converged state, the same for any arrival order. */
export interface OrgFacts {
  orgKey: string;
  /** Items received (re-sends included), distinct event ids, and events that count (neither re-sends nor conflicts). */
  received: number;
  unique: number;
  accepted: number;
  acceptedByType: Partial<Record<EventType, number>>;
  /** Items whose event id had been seen before: the pipeline counts them once. */
  exactDuplicates: number;
  /** Items under a new event id whose business id had been seen with the same content: dropped as already applied. */
  resends: number;
  /** Events dead-lettered as business-id conflicts, in arrival order (the only facts arrival order decides). */
  rejected: RejectedEvent[];
  /** Labelled anomalies of events that were not dead-lettered, by occurrence (occurredAt, then event id). */
  anomalies: InjectedAnomaly[];
  /** Earliest and latest occurredAt of the events that count, epoch milliseconds; null while there is none. */
  firstAt: number | null;
  lastAt: number | null;
  /** By booking id, in order of creation by occurrence (createdAt, then booking id). */
  bookings: Map<string, BookingFact>;
  /** By (at, paymentId). */
  payments: PaymentFact[];
  /** By (at, refundId). */
  refunds: RefundFact[];
  /** Every update and cancellation, by (at, eventId). */
  changes: BookingChangeFact[];
  /** By (at, expenseId). */
  expenses: ExpenseFact[];
  /** By wedding and category (joined by NUL), sorted by that key. */
  allocations: Map<string, AllocationFact>;
  /** By (at, inquiryId). */
  inquiries: InquiryFact[];
  /** Each wedding's date: the latest by occurrence of the dates its created bookings' events set. */
  weddingDates: Map<string, string>;
}

/** What the pipeline does with an item: counts it, drops it as already applied (a re-send), or dead-letters it. */
export type ReplayOutcome = "accepted" | "duplicate" | "rejected";

/**
 * Whether an inquiry converted: it named a wedding that has a booking of the inquiry's service, whichever arrived
 * first (cancelled bookings included).
 */
export function conversionOf(facts: OrgFacts): (inquiry: InquiryFact) => boolean {
  const booked = new Set([...facts.bookings.values()].map((b) => `${b.weddingId}\u0000${b.service}`));
  return (inquiry) => inquiry.weddingId !== null && booked.has(`${inquiry.weddingId}\u0000${inquiry.service}`);
}

/** An event that counts, when it occurred, and (for a business id) every event id that carried it. */
interface Kept<T extends EventType = EventType> {
  event: EventOf<T>;
  at: number;
  eventIds: string[];
  /** The canonical content, computed the first time another version of its business id arrives. */
  content?: string;
}

/** One organisation's log as the replay keeps it: what counts, by type, and the bookkeeping of arrival. */
interface OrgLog {
  orgKey: string;
  received: number;
  exactDuplicates: number;
  resends: number;
  seen: Set<string>;
  /** The standing version of each business id, by type and id joined by NUL. */
  standing: Map<string, Kept>;
  kept: { [T in EventType]: Kept<T>[] };
  rejected: RejectedEvent[];
  rejectedIds: Set<string>;
  /** Labelled anomalies by event id, whichever copy of the event carried the label. */
  labelled: Map<string, { anomaly: InjectedAnomaly; at: number }>;
  /** The facts of the log as it stands, until the next item is added. */
  converged: OrgFacts | undefined;
}

/** The business id of an event of a type that has one. */
function businessIdOf(event: WedSyncEvent): string | undefined {
  switch (event.type) {
    case "booking.created":
      return event.data.bookingId;
    case "payment.received":
      return event.data.paymentId;
    case "payment.refunded":
      return event.data.refundId;
    case "expense.recorded":
      return event.data.expenseId;
    case "inquiry.received":
      return event.data.inquiryId;
    default:
      return undefined;
  }
}

/** JSON with every object's keys sorted, so equal data gives equal text whatever order its keys were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A business id's content: type, occurredAt as an instant, and data as canonical JSON. */
function contentOf(kept: Kept): string {
  kept.content ??= `${kept.event.type}\u0000${kept.at}\u0000${canonicalJson(kept.event.data)}`;
  return kept.content;
}

/**
 * The one replay of events into facts that every expected figure is derived from (ground truth and revenue, the
 * aggregation, the named endpoints, the anomalies), computed from the events alone: no store, none of the product's
 * SQL or state code, since it is what the product is checked against.
 *
 * Feed items in arrival order. Arrival decides two things only: which copy of an event id counts (any: they are
 * equal), and which version of a business id stands when two conflict (the first to arrive; the later one is
 * dead-lettered as `business_id_conflict`). The facts are the converged state of the set of events that count,
 * computed from that set when asked (see `converge`), so they are the same for any arrival order of the same items
 * absent conflicts.
 */
export class EventReplay {
  private readonly orgs = new Map<string, OrgLog>();

  /** Takes the next item in arrival order and says what the pipeline does with it. */
  add(input: TruthInput): ReplayOutcome {
    const { event, label } = input;
    const log = this.log(input.orgKey);
    log.received++;
    log.converged = undefined;
    const at = Date.parse(event.occurredAt);
    // A label travels on the copy the generator made; any copy may arrive first, so it is kept whichever does.
    if (label?.class === "anomaly" && !log.labelled.has(event.id)) {
      const data: { weddingId?: string; bookingId?: string } = event.data;
      const weddingId = data.weddingId ?? "";
      const anomaly: InjectedAnomaly = { eventId: event.id, type: event.type, kind: label.kind, weddingId };
      if (data.bookingId !== undefined) anomaly.bookingId = data.bookingId;
      log.labelled.set(event.id, { anomaly, at });
    }
    if (log.seen.has(event.id)) {
      log.exactDuplicates++;
      return "duplicate";
    }
    log.seen.add(event.id);
    const kept: Kept = { event, at, eventIds: [event.id] };
    const businessId = businessIdOf(event);
    if (businessId !== undefined) {
      const key = `${event.type}\u0000${businessId}`;
      const standing = log.standing.get(key);
      if (standing !== undefined) {
        if (contentOf(standing) === contentOf(kept)) {
          standing.eventIds.push(event.id);
          log.resends++;
          return "duplicate";
        }
        log.rejected.push({
          eventId: event.id,
          type: event.type,
          reason: "business_id_conflict",
          businessId,
          conflictsWith: standing.event.id,
        });
        log.rejectedIds.add(event.id);
        return "rejected";
      }
      log.standing.set(key, kept);
    }
    (log.kept[event.type] as Kept[]).push(kept);
    return "accepted";
  }

  /** The converged facts of one organisation's items so far, if it sent any (computed when asked, then kept). */
  facts(orgKey: string): OrgFacts | undefined {
    const log = this.orgs.get(orgKey);
    if (log === undefined) return undefined;
    log.converged ??= converge(log);
    return log.converged;
  }

  /** The facts of every organisation so far, in the order each first sent an item. */
  allFacts(): OrgFacts[] {
    return [...this.orgs.keys()].map((orgKey) => this.facts(orgKey)!);
  }

  private log(orgKey: string): OrgLog {
    let log = this.orgs.get(orgKey);
    if (log === undefined) {
      log = {
        orgKey,
        received: 0,
        exactDuplicates: 0,
        resends: 0,
        seen: new Set(),
        standing: new Map(),
        kept: {
          "booking.created": [],
          "booking.updated": [],
          "booking.cancelled": [],
          "payment.received": [],
          "payment.refunded": [],
          "expense.recorded": [],
          "budget.allocated": [],
          "inquiry.received": [],
        },
        rejected: [],
        rejectedIds: new Set(),
        labelled: new Map(),
        converged: undefined,
      };
      this.orgs.set(orgKey, log);
    }
    return log;
  }
}

/** Replays a finite sequence of items, in arrival order, into the facts of each organisation (by organisation key). */
export function replayEvents(items: Iterable<TruthInput>): Map<string, OrgFacts> {
  const replay = new EventReplay();
  for (const item of items) replay.add(item);
  return new Map(replay.allFacts().map((facts) => [facts.orgKey, facts]));
}

/** A point in occurrence order: occurredAt as an instant, then event id. */
interface Occurrence {
  at: number;
  id: string;
}

/** True when a comes after b by occurrence. */
function after(a: Occurrence, b: Occurrence): boolean {
  return a.at > b.at || (a.at === b.at && a.id > b.id);
}

/** Compares two rows by time, then by an id (as strings, by code unit). */
function byTimeThen<T>(id: (row: T) => string, at: (row: T) => number) {
  return (a: T, b: T) => at(a) - at(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

/** Every event id that carried a kept event, sorted (a copy: a later re-send adds to the kept list). */
function idsOf(kept: Kept): string[] {
  return kept.eventIds.length === 1 ? [kept.event.id] : [...kept.eventIds].sort();
}

/** What money takes from its booking: the booking's attributes when it is linked, nulls when not. */
function attributesOf(booking: BookingFact | undefined): LinkedAttributes {
  return {
    linked: booking !== undefined,
    service: booking?.service ?? null,
    supplierId: booking?.supplierId ?? null,
    region: booking?.region ?? null,
    venueId: booking?.venueId ?? null,
    weddingDate: booking?.weddingDate ?? null,
  };
}

/**
 * The converged state of a log: every figure from the set of events that count, by the rules of issue 12, in
 * O(n log n). Bookings first (their current values by occurrence, the cancellation that counts), then the money that
 * names them (linked when the booking exists in the same wedding; the booking's paid and refunded are its linked money
 * in its currency), then everything else.
 */
function converge(log: OrgLog): OrgFacts {
  const { kept } = log;
  const bookings = new Map<string, BookingFact>();
  /** The booking a change or money names, if it was created in the wedding named too. */
  const linkedBooking = (data: { bookingId: string; weddingId: string }) => {
    const booking = bookings.get(data.bookingId);
    return booking !== undefined && booking.weddingId === data.weddingId ? booking : undefined;
  };
  /** Where each booking's current wedding date, guest count and contract value came from. */
  const sources = new Map<string, { date: Occurrence; guests: Occurrence; contract: Occurrence }>();
  const created = [...kept["booking.created"]].sort(
    byTimeThen(
      (k) => k.event.data.bookingId,
      (k) => k.at,
    ),
  );
  for (const k of created) {
    const d = k.event.data;
    const eventId = idsOf(k)[0]!;
    bookings.set(d.bookingId, {
      bookingId: d.bookingId,
      weddingId: d.weddingId,
      supplierId: d.supplierId,
      service: d.service,
      region: d.region ?? null,
      venueId: d.venueId ?? null,
      eventId,
      createdAt: k.at,
      weddingDate: d.weddingDate,
      guestCount: d.guestCount,
      contractValue: d.contractValue.amount,
      currency: d.contractValue.currency,
      createdCurrency: d.contractValue.currency,
      cancelled: false,
      cancellation: null,
      paid: 0,
      refunded: 0,
    });
    const origin = { at: k.at, id: eventId };
    sources.set(d.bookingId, { date: origin, guests: origin, contract: origin });
  }

  const changes: BookingChangeFact[] = [];
  for (const k of kept["booking.updated"]) {
    const d = k.event.data;
    const booking = linkedBooking(d);
    changes.push({
      eventId: k.event.id,
      type: "booking.updated",
      bookingId: d.bookingId,
      weddingId: d.weddingId,
      at: k.at,
      linked: booking !== undefined,
      fee: null,
      contract: d.contractValue ?? null,
    });
    if (booking === undefined) continue;
    const source = sources.get(d.bookingId)!;
    const here = { at: k.at, id: k.event.id };
    if (d.weddingDate !== undefined && after(here, source.date)) {
      booking.weddingDate = d.weddingDate;
      source.date = here;
    }
    if (d.guestCount !== undefined && after(here, source.guests)) {
      booking.guestCount = d.guestCount;
      source.guests = here;
    }
    if (d.contractValue !== undefined && after(here, source.contract)) {
      booking.contractValue = d.contractValue.amount;
      booking.currency = d.contractValue.currency;
      source.contract = here;
    }
  }
  for (const k of kept["booking.cancelled"]) {
    const d = k.event.data;
    const booking = linkedBooking(d);
    changes.push({
      eventId: k.event.id,
      type: "booking.cancelled",
      bookingId: d.bookingId,
      weddingId: d.weddingId,
      at: k.at,
      linked: booking !== undefined,
      fee: d.cancellationFee ?? null,
      contract: null,
    });
    if (booking === undefined) continue;
    const counting = booking.cancellation;
    // The earliest by occurrence counts, whenever it arrived; a cancellation is final.
    if (counting === null || after({ at: counting.at, id: counting.eventId }, { at: k.at, id: k.event.id })) {
      booking.cancelled = true;
      booking.cancellation = {
        eventId: k.event.id,
        at: k.at,
        fee: d.cancellationFee?.amount ?? 0,
        feeCurrency: d.cancellationFee?.currency ?? "",
      };
    }
  }
  // A fee named none is 0 in the booking's currency, which is known only once every update is in.
  for (const booking of bookings.values()) {
    if (booking.cancellation?.feeCurrency === "") booking.cancellation.feeCurrency = booking.currency;
  }
  changes.sort(
    byTimeThen(
      (c) => c.eventId,
      (c) => c.at,
    ),
  );

  const weddingDates = new Map<string, string>();
  const weddingDateSources = new Map<string, Occurrence>();
  for (const booking of bookings.values()) {
    const source = sources.get(booking.bookingId)!.date;
    const best = weddingDateSources.get(booking.weddingId);
    if (best === undefined || after(source, best)) {
      weddingDates.set(booking.weddingId, booking.weddingDate);
      weddingDateSources.set(booking.weddingId, source);
    }
  }

  const payments: PaymentFact[] = kept["payment.received"].map((k) => {
    const d = k.event.data;
    const booking = linkedBooking(d);
    if (booking !== undefined && d.amount.currency === booking.currency) booking.paid += d.amount.amount;
    const eventIds = idsOf(k);
    return {
      ...attributesOf(booking),
      paymentId: d.paymentId,
      eventId: eventIds[0]!,
      eventIds,
      bookingId: d.bookingId,
      weddingId: d.weddingId,
      amount: d.amount.amount,
      currency: d.amount.currency,
      at: k.at,
      method: d.method,
      kind: d.kind ?? null,
    };
  });
  payments.sort(
    byTimeThen(
      (p) => p.paymentId,
      (p) => p.at,
    ),
  );
  const refunds: RefundFact[] = kept["payment.refunded"].map((k) => {
    const d = k.event.data;
    const booking = linkedBooking(d);
    if (booking !== undefined && d.amount.currency === booking.currency) booking.refunded += d.amount.amount;
    const eventIds = idsOf(k);
    return {
      ...attributesOf(booking),
      refundId: d.refundId,
      paymentId: d.paymentId,
      eventId: eventIds[0]!,
      eventIds,
      bookingId: d.bookingId,
      weddingId: d.weddingId,
      amount: d.amount.amount,
      currency: d.amount.currency,
      at: k.at,
    };
  });
  refunds.sort(
    byTimeThen(
      (r) => r.refundId,
      (r) => r.at,
    ),
  );

  const expenses: ExpenseFact[] = kept["expense.recorded"].map((k) => ({
    expenseId: k.event.data.expenseId,
    eventId: idsOf(k)[0]!,
    weddingId: k.event.data.weddingId,
    category: k.event.data.category,
    amount: k.event.data.amount.amount,
    currency: k.event.data.amount.currency,
    at: k.at,
  }));
  expenses.sort(
    byTimeThen(
      (e) => e.expenseId,
      (e) => e.at,
    ),
  );

  const latest = new Map<string, AllocationFact>();
  for (const k of kept["budget.allocated"]) {
    const d = k.event.data;
    const key = `${d.weddingId}\u0000${d.category}`;
    const current = latest.get(key);
    if (current === undefined || after({ at: k.at, id: k.event.id }, { at: current.at, id: current.eventId })) {
      latest.set(key, {
        weddingId: d.weddingId,
        category: d.category,
        amount: d.amount.amount,
        currency: d.amount.currency,
        at: k.at,
        eventId: k.event.id,
      });
    }
  }
  const allocations = new Map([...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  const inquiries: InquiryFact[] = kept["inquiry.received"].map((k) => ({
    inquiryId: k.event.data.inquiryId,
    weddingId: k.event.data.weddingId ?? null,
    service: k.event.data.service,
    channel: k.event.data.channel,
    at: k.at,
    weddingDate: k.event.data.weddingDate ?? null,
  }));
  inquiries.sort(
    byTimeThen(
      (i) => i.inquiryId,
      (i) => i.at,
    ),
  );

  let accepted = 0;
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  const acceptedByType: Partial<Record<EventType, number>> = {};
  for (const [type, list] of Object.entries(kept) as [EventType, Kept[]][]) {
    if (list.length === 0) continue;
    acceptedByType[type] = list.length;
    accepted += list.length;
    for (const k of list) {
      firstAt = Math.min(firstAt ?? k.at, k.at);
      lastAt = Math.max(lastAt ?? k.at, k.at);
    }
  }
  const anomalies = [...log.labelled.values()]
    .filter(({ anomaly }) => !log.rejectedIds.has(anomaly.eventId))
    .sort(
      byTimeThen(
        (x) => x.anomaly.eventId,
        (x) => x.at,
      ),
    )
    .map(({ anomaly }) => anomaly);

  return {
    orgKey: log.orgKey,
    received: log.received,
    unique: log.seen.size,
    accepted,
    acceptedByType,
    exactDuplicates: log.exactDuplicates,
    resends: log.resends,
    rejected: [...log.rejected],
    anomalies,
    firstAt,
    lastAt,
    bookings,
    payments,
    refunds,
    changes,
    expenses,
    allocations,
    inquiries,
    weddingDates,
  };
}
