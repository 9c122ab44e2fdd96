import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import type { WedSyncEvent } from "../schemas/index.ts";
import type { FirstVersion } from "./business-id.ts";
import {
  KeyPairs,
  columns,
  byIndex,
  distinctOrgs,
  isoDate,
  isoTime,
  numberOrNull,
  stateKey as key,
  textOrNull,
  selectRows,
} from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** The current state of one created booking: the fold of every event about it (see `foldBooking`). */
export interface Booking {
  orgId: string;
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  region: string | null;
  venueId: string | null;
  /** The wedding date, guest count and contract value (amount and currency) of the latest event that set each. */
  weddingDate: string;
  guestCount: number;
  contractAmount: number;
  currency: string;
  status: "active" | "cancelled";
  /** Linked payments and refunds in the booking's currency. */
  paidAmount: number;
  refundedAmount: number;
  /** The counting (earliest) cancellation: its fee (0 when it names none) and the fee's currency; null while active. */
  cancellationFee: number | null;
  cancellationFeeCurrency: string | null;
  cancelledAt: string | null;
  createdEventId: string;
  /** When booking.created occurred. */
  createdAt: string;
  /** The latest occurrence among the events folded into it. */
  updatedAt: string;
}

/** What booking.created says beyond the figures later events may change: the booking's identity and attributes. */
export interface BookingCreation {
  orgId: string;
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  region: string | null;
  venueId: string | null;
  eventId: string;
  occurredAt: string;
  /** The digest of the creating event's content (contentOf; null for bookings stored before contents were kept). */
  content: string | null;
}

/** One event about a booking as it is folded: its creation, an update or a cancellation. */
export interface BookingChange {
  orgId: string;
  bookingId: string;
  weddingId: string;
  eventId: string;
  type: "booking.created" | "booking.updated" | "booking.cancelled";
  occurredAt: string;
  receivedAt: string;
  weddingDate: string | null;
  guestCount: number | null;
  contractAmount: number | null;
  contractCurrency: string | null;
  feeAmount: number | null;
  feeCurrency: string | null;
  /** The booking has arrived, in the same wedding (always true of a creation). */
  linked: boolean;
}

/** One payment received, whether or not its booking has arrived. */
export interface Payment {
  orgId: string;
  paymentId: string;
  bookingId: string;
  weddingId: string;
  amount: number;
  currency: string;
  occurredAt: string;
  receivedAt: string;
  eventId: string;
  content: string | null;
  /** Its booking has arrived, in the same wedding: the payment carries the booking's attributes. */
  linked: boolean;
}

/** One refund paid out, whether or not its payment and booking have arrived. */
export interface Refund {
  orgId: string;
  refundId: string;
  paymentId: string;
  bookingId: string;
  weddingId: string;
  amount: number;
  currency: string;
  /** Null only for refunds stored before refunds kept their time (they were always linked). */
  occurredAt: string | null;
  receivedAt: string | null;
  eventId: string | null;
  content: string | null;
  linked: boolean;
  /** The payment it refunds has arrived (with the same booking). */
  paymentKnown: boolean;
}

/** Everything known about one booking id of an organisation: the unit every figure and rule about a booking folds. */
export interface BookingGroup {
  orgId: string;
  bookingId: string;
  creation: BookingCreation | undefined;
  /** By event id. */
  changes: Map<string, BookingChange>;
  /** By payment id; refunds by refund id. */
  payments: Map<string, Payment>;
  refunds: Map<string, Refund>;
}

/** (at, id) ordering of events by occurrence: the later instant wins, ties broken by event id. */
export function occursAfter(a: { at: string; id: string }, b: { at: string; id: string }): boolean {
  const delta = Date.parse(a.at) - Date.parse(b.at);
  return delta > 0 || (delta === 0 && a.id > b.id);
}

/**
 * The current state of a booking, folded from its events by occurrence, never by arrival: each of wedding date,
 * guest count and contract value (amount with its currency) is the value of the latest event (by occurredAt, then
 * event id) that sets it; the earliest cancellation counts; updates and cancellations of another wedding than the
 * booking's do not apply to it. Undefined until booking.created has arrived.
 */
export function foldBooking(group: BookingGroup): Booking | undefined {
  const creation = group.creation;
  if (creation === undefined) return undefined;
  type Field<T> = { value: T; at: string; id: string } | undefined;
  let weddingDate: Field<string>;
  let guestCount: Field<number>;
  let contract: Field<{ amount: number; currency: string }>;
  let cancellation: BookingChange | undefined;
  let updatedAt = creation.occurredAt;
  const later = <T>(field: Field<T>, change: BookingChange) =>
    field === undefined || occursAfter({ at: change.occurredAt, id: change.eventId }, field);
  for (const change of group.changes.values()) {
    if (change.weddingId !== creation.weddingId) continue;
    const at = change.occurredAt;
    const id = change.eventId;
    if (Date.parse(at) > Date.parse(updatedAt)) updatedAt = at;
    if (change.type === "booking.cancelled") {
      if (
        cancellation === undefined ||
        occursAfter({ at: cancellation.occurredAt, id: cancellation.eventId }, { at, id })
      )
        cancellation = change;
      continue;
    }
    if (change.weddingDate !== null && later(weddingDate, change)) weddingDate = { value: change.weddingDate, at, id };
    if (change.guestCount !== null && later(guestCount, change)) guestCount = { value: change.guestCount, at, id };
    if (change.contractAmount !== null && later(contract, change)) {
      contract = { value: { amount: change.contractAmount, currency: change.contractCurrency! }, at, id };
    }
  }
  // A booking always has its creation among its changes; a field none of them set cannot happen for a valid create.
  const currency = contract?.value.currency ?? "";
  let paidAmount = 0;
  let refundedAmount = 0;
  for (const p of group.payments.values()) if (p.linked && p.currency === currency) paidAmount += p.amount;
  for (const r of group.refunds.values()) if (r.linked && r.currency === currency) refundedAmount += r.amount;
  return {
    orgId: creation.orgId,
    bookingId: creation.bookingId,
    weddingId: creation.weddingId,
    supplierId: creation.supplierId,
    service: creation.service,
    region: creation.region,
    venueId: creation.venueId,
    weddingDate: weddingDate?.value ?? "",
    guestCount: guestCount?.value ?? 0,
    contractAmount: contract?.value.amount ?? 0,
    currency,
    status: cancellation === undefined ? "active" : "cancelled",
    paidAmount,
    refundedAmount,
    cancellationFee: cancellation === undefined ? null : (cancellation.feeAmount ?? 0),
    cancellationFeeCurrency: cancellation === undefined ? null : (cancellation.feeCurrency ?? currency),
    cancelledAt: cancellation?.occurredAt ?? null,
    createdEventId: creation.eventId,
    createdAt: creation.occurredAt,
    updatedAt,
  };
}

/** True when a payment or refund of the group belongs to its booking: the booking has arrived, in the same wedding. */
const linksTo = (group: BookingGroup, weddingId: string) => group.creation?.weddingId === weddingId;

/**
 * The bookings, their changes, payments and refunds one batch needs (part of its ProjectionState), loaded once,
 * changed in memory as events arrive, and written back in the batch's transaction. Loading is read-only, so a batch
 * that crashes before its commit is recomputed from exactly the same state. What arrives is only ever added (a
 * creation, a change, a payment, a refund); everything derived from it (the booking's current values, which payments
 * are linked) is recomputed from the whole group, so the result does not depend on the order things arrived in.
 */
export class BookingState {
  private readonly groups = new Map<string, BookingGroup>();
  /**
   * The groups given a creation, by the creation's (organisation, wedding): what bookingsOfWedding looks through, so an
   * inquiry costs the bookings of its wedding, not every group of the batch (which made a batch quadratic).
   */
  private readonly createdInWedding = new Map<string, Set<BookingGroup>>();
  /** Stored bookings of weddings the batch's inquiries name that the batch does not otherwise touch. */
  private readonly bookingsOfWeddings = new Map<string, Map<string, Booking>>();
  private readonly paymentsById = new Map<string, Payment>();
  private readonly refundsById = new Map<string, Refund>();
  private readonly folded = new Map<string, Booking | undefined>();
  private readonly touched = new Set<string>();
  private readonly newChanges: BookingChange[] = [];
  /** Changes of earlier batches whose booking arrived in this one. */
  private readonly linkedChanges: BookingChange[] = [];
  private readonly newPayments = new Set<string>();
  private readonly newRefunds = new Set<string>();

  /**
   * Loads the whole group of every booking id the events name (its creation, changes, payments and refunds), the
   * payments and refunds the events name by id (an id is unique in the organisation, whatever its booking), and the
   * bookings of the weddings the batch's inquiries name (to find an inquiry's conversion).
   */
  static async load(sql: SqlClient, events: ProcessedEvent[]): Promise<BookingState> {
    const state = new BookingState();
    const bookingIds = new KeyPairs();
    const weddingIds = new KeyPairs();
    const paymentIds = new KeyPairs();
    const refundIds = new KeyPairs();
    for (const { orgId, event } of events) {
      const bookingId = bookingIdOf(event);
      if (bookingId !== undefined) bookingIds.add(orgId, bookingId);
      if (event.type === "inquiry.received" && event.data.weddingId !== undefined) {
        weddingIds.add(orgId, event.data.weddingId);
      }
      if (event.type === "payment.received") paymentIds.add(orgId, event.data.paymentId);
      if (event.type === "payment.refunded") refundIds.add(orgId, event.data.refundId);
    }
    // Each table is read by index (see byIndex): `org_id = ANY(…) AND id = ANY(…)` lets the planner probe the primary
    // key or an index for every id, where a join against the key pairs was planned as a scan of the whole table.
    // Pairing every organisation with every id may read a row of another organisation of the batch that no event
    // names: it joins no group the batch touches, so it changes nothing. A row found by both of a table's keys is read
    // twice and stored once.
    const none = Promise.resolve([] as Record<string, unknown>[]);
    const orgs = distinctOrgs(bookingIds, weddingIds, paymentIds, refundIds);
    const booked = bookingIds.distinctIds();
    const [bookings, changes, payments, refunds] = await Promise.all([
      bookingIds.empty && weddingIds.empty
        ? none
        : selectRows(sql, byIndex("bookings", "booking_id", "wedding_id"), [orgs, booked, weddingIds.distinctIds()]),
      bookingIds.empty ? none : selectRows(sql, byIndex("booking_changes", "booking_id"), [orgs, booked]),
      bookingIds.empty
        ? none
        : selectRows(sql, byIndex("payments", "booking_id", "payment_id"), [orgs, booked, paymentIds.distinctIds()]),
      bookingIds.empty
        ? none
        : selectRows(sql, byIndex("refunds", "booking_id", "refund_id"), [orgs, booked, refundIds.distinctIds()]),
    ]);
    const touchedIds = new Set(bookingIds.ids.map((id, i) => key(bookingIds.orgs[i]!, id)));
    for (const row of changes) {
      const change = changeFromRow(row);
      state.group(change.orgId, change.bookingId).changes.set(change.eventId, change);
    }
    for (const row of bookings) {
      const orgId = String(row.org_id);
      const bookingId = String(row.booking_id);
      if (touchedIds.has(key(orgId, bookingId))) state.restoreCreation(row);
      else {
        const wedding = key(orgId, String(row.wedding_id));
        const ofWedding = state.bookingsOfWeddings.get(wedding) ?? new Map<string, Booking>();
        ofWedding.set(bookingId, bookingFromRow(row));
        state.bookingsOfWeddings.set(wedding, ofWedding);
      }
    }
    for (const row of payments) {
      const payment = paymentFromRow(row);
      state.paymentsById.set(key(payment.orgId, payment.paymentId), payment);
      state.group(payment.orgId, payment.bookingId).payments.set(payment.paymentId, payment);
    }
    for (const row of refunds) {
      const refund = refundFromRow(row);
      state.refundsById.set(key(refund.orgId, refund.refundId), refund);
      state.group(refund.orgId, refund.bookingId).refunds.set(refund.refundId, refund);
    }
    return state;
  }

  /** A booking's stored row becomes its group's creation; a booking stored before changes were kept gets them back. */
  private restoreCreation(row: Record<string, unknown>): void {
    const group = this.group(String(row.org_id), String(row.booking_id));
    this.indexCreation(group, String(row.wedding_id));
    group.creation = {
      orgId: group.orgId,
      bookingId: group.bookingId,
      weddingId: String(row.wedding_id),
      supplierId: String(row.supplier_id),
      service: String(row.service),
      region: textOrNull(row.region),
      venueId: textOrNull(row.venue_id),
      eventId: String(row.created_event_id),
      occurredAt: isoTime(row.created_at),
      content: textOrNull(row.created_content),
    };
    const base = {
      orgId: group.orgId,
      bookingId: group.bookingId,
      weddingId: group.creation.weddingId,
      feeAmount: null,
      feeCurrency: null,
      linked: true,
    };
    const created = {
      ...base,
      eventId: group.creation.eventId,
      type: "booking.created" as const,
      occurredAt: group.creation.occurredAt,
      receivedAt: group.creation.occurredAt,
    };
    if (row.created_contract_currency !== null && row.created_contract_currency !== undefined) {
      group.changes.set(group.creation.eventId, {
        ...created,
        weddingDate: isoDate(row.created_wedding_date),
        guestCount: Number(row.created_guest_count),
        contractAmount: Number(row.created_contract_amount),
        contractCurrency: String(row.created_contract_currency),
      });
      return;
    }
    // Stored before its creation's own figures were kept: its current values stand for its creation, and its
    // cancellation for one.
    group.changes.set(group.creation.eventId, {
      ...created,
      weddingDate: isoDate(row.wedding_date),
      guestCount: Number(row.guest_count),
      contractAmount: Number(row.contract_amount),
      contractCurrency: String(row.currency),
    });
    if (row.status === "cancelled") {
      group.changes.set(`${group.creation.eventId}:cancelled`, {
        ...base,
        eventId: `${group.creation.eventId}:cancelled`,
        type: "booking.cancelled",
        occurredAt: isoTime(row.cancelled_at ?? row.updated_at),
        receivedAt: isoTime(row.updated_at),
        weddingDate: null,
        guestCount: null,
        contractAmount: null,
        contractCurrency: null,
        feeAmount: numberOrNull(row.cancellation_fee) ?? 0,
        feeCurrency: textOrNull(row.cancellation_fee_currency) ?? String(row.currency),
      });
    }
  }

  /** Files a group under the wedding its creation names (see createdInWedding). */
  private indexCreation(group: BookingGroup, weddingId: string): void {
    const k = key(group.orgId, weddingId);
    const groups = this.createdInWedding.get(k) ?? new Set<BookingGroup>();
    groups.add(group);
    this.createdInWedding.set(k, groups);
  }

  /** The group of a booking id (created empty when nothing is known of it yet). */
  group(orgId: string, bookingId: string): BookingGroup {
    const k = key(orgId, bookingId);
    let group = this.groups.get(k);
    if (group === undefined) {
      group = { orgId, bookingId, creation: undefined, changes: new Map(), payments: new Map(), refunds: new Map() };
      this.groups.set(k, group);
    }
    return group;
  }

  /** Every group the batch's events touch, each once. */
  touchedGroups(): BookingGroup[] {
    return [...this.touched].map((k) => this.groups.get(k)!);
  }

  /** The current state of a created booking, if it has arrived. */
  booking(orgId: string, bookingId: string): Booking | undefined {
    const k = key(orgId, bookingId);
    if (!this.folded.has(k)) {
      const group = this.groups.get(k);
      this.folded.set(k, group === undefined ? undefined : foldBooking(group));
    }
    return this.folded.get(k);
  }

  /** The first version of a booking id, if it was created. */
  creationOf(orgId: string, bookingId: string): FirstVersion | undefined {
    const creation = this.groups.get(key(orgId, bookingId))?.creation;
    return creation && { eventId: creation.eventId, content: creation.content };
  }

  /** The first version of a payment id, if received. */
  paymentVersion(orgId: string, paymentId: string): FirstVersion | undefined {
    const payment = this.paymentsById.get(key(orgId, paymentId));
    return payment && { eventId: payment.eventId, content: payment.content };
  }

  /** The first version of a refund id, if received. */
  refundVersion(orgId: string, refundId: string): FirstVersion | undefined {
    const refund = this.refundsById.get(key(orgId, refundId));
    return refund && { eventId: refund.eventId ?? "", content: refund.content };
  }

  /** True when the change (by event id) is already part of its booking's group. */
  hasChange(orgId: string, bookingId: string, eventId: string): boolean {
    return this.groups.get(key(orgId, bookingId))?.changes.has(eventId) ?? false;
  }

  /** Every known created booking of a wedding; complete for the weddings the batch's inquiries name. */
  bookingsOfWedding(orgId: string, weddingId: string): Booking[] {
    const found = new Map(this.bookingsOfWeddings.get(key(orgId, weddingId)) ?? []);
    for (const group of this.createdInWedding.get(key(orgId, weddingId)) ?? []) {
      // A group whose creation was replaced by one naming another wedding stays indexed under this one too.
      if (group.creation?.weddingId !== weddingId) continue;
      found.set(group.bookingId, this.booking(orgId, group.bookingId)!);
    }
    return [...found.values()];
  }

  /** Adds an accepted booking event (creation, update or cancellation) to its group. */
  addChange(change: BookingChange, creation?: BookingCreation): void {
    const group = this.touch(change.orgId, change.bookingId);
    if (creation !== undefined) {
      this.indexCreation(group, creation.weddingId);
      group.creation = creation;
    }
    group.changes.set(change.eventId, change);
    this.newChanges.push(change);
  }

  /** Adds an accepted payment to its booking's group. */
  addPayment(payment: Payment): void {
    const group = this.touch(payment.orgId, payment.bookingId);
    group.payments.set(payment.paymentId, payment);
    this.paymentsById.set(key(payment.orgId, payment.paymentId), payment);
    this.newPayments.add(key(payment.orgId, payment.paymentId));
  }

  /** Adds an accepted refund to its booking's group. */
  addRefund(refund: Refund): void {
    const group = this.touch(refund.orgId, refund.bookingId);
    group.refunds.set(refund.refundId, refund);
    this.refundsById.set(key(refund.orgId, refund.refundId), refund);
    this.newRefunds.add(key(refund.orgId, refund.refundId));
  }

  /**
   * Recomputes what is derived from each touched group's members: which payments, refunds and changes are linked to
   * their booking, and which refunds' payments have arrived. Returns what arrived in an earlier batch and found its
   * referent in this one: payments and refunds now linked (their ClickHouse rows must be written again with the
   * booking's attributes), and the waiting references whose orphan anomaly, if the grace period had raised one, is
   * resolved.
   */
  relink(): {
    relinked: (Payment | Refund)[];
    found: { kind: "orphan_payment" | "orphan_refund" | "orphan_update"; orgId: string; subject: string }[];
  } {
    const relinked: (Payment | Refund)[] = [];
    const found: ReturnType<BookingState["relink"]>["found"] = [];
    const fresh = new Set(this.newChanges.map((c) => key(c.orgId, c.bookingId, c.eventId)));
    for (const group of this.touchedGroups()) {
      // What is paid and refunded follows the links set here: a fold taken before (an inquiry asking for its
      // wedding's bookings) no longer holds.
      this.folded.delete(key(group.orgId, group.bookingId));
      for (const change of group.changes.values()) {
        const linked = linksTo(group, change.weddingId);
        if (linked === change.linked) continue;
        change.linked = linked;
        const k = key(change.orgId, change.bookingId, change.eventId);
        if (fresh.has(k)) continue;
        this.linkedChanges.push(change);
        if (linked) found.push({ kind: "orphan_update", orgId: change.orgId, subject: change.eventId });
      }
      for (const payment of group.payments.values()) {
        const linked = linksTo(group, payment.weddingId);
        if (linked === payment.linked) continue;
        payment.linked = linked;
        if (!this.newPayments.has(key(payment.orgId, payment.paymentId))) {
          relinked.push(payment);
          if (linked) found.push({ kind: "orphan_payment", orgId: payment.orgId, subject: payment.paymentId });
        }
        this.newPayments.add(key(payment.orgId, payment.paymentId));
      }
      for (const refund of group.refunds.values()) {
        const linked = linksTo(group, refund.weddingId);
        const paymentKnown = group.payments.has(refund.paymentId);
        if (linked === refund.linked && paymentKnown === refund.paymentKnown) continue;
        const earlier = !this.newRefunds.has(key(refund.orgId, refund.refundId));
        if (earlier && linked !== refund.linked) relinked.push(refund);
        if (earlier && paymentKnown && !refund.paymentKnown) {
          found.push({ kind: "orphan_refund", orgId: refund.orgId, subject: refund.refundId });
        }
        refund.linked = linked;
        refund.paymentKnown = paymentKnown;
        this.newRefunds.add(key(refund.orgId, refund.refundId));
      }
    }
    return { relinked, found };
  }

  private touch(orgId: string, bookingId: string): BookingGroup {
    const k = key(orgId, bookingId);
    this.touched.add(k);
    this.folded.delete(k);
    return this.group(orgId, bookingId);
  }

  /** Writes every change of the batch inside the caller's transaction. */
  async persist(tx: SqlQueryable): Promise<void> {
    const writes: Promise<unknown>[] = [];
    const bookings = this.touchedGroups()
      .filter((group) => group.creation !== undefined)
      .map((group) => {
        const created = group.changes.get(group.creation!.eventId)!;
        return {
          ...this.booking(group.orgId, group.bookingId)!,
          createdContent: group.creation!.content,
          createdWeddingDate: created.weddingDate,
          createdGuestCount: created.guestCount,
          createdContractAmount: created.contractAmount,
          createdContractCurrency: created.contractCurrency,
        };
      });
    if (bookings.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO bookings (org_id, booking_id, wedding_id, supplier_id, service, region, venue_id, wedding_date,
           guest_count, contract_amount, currency, status, paid_amount, refunded_amount, cancellation_fee,
           cancellation_fee_currency, cancelled_at, created_event_id, created_at, updated_at, created_content,
           created_wedding_date, created_guest_count, created_contract_amount, created_contract_currency)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::date[], $9::int[], $10::bigint[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[],
           $16::text[], $17::timestamptz[], $18::uuid[], $19::timestamptz[], $20::timestamptz[], $21::text[],
           $22::date[], $23::int[], $24::bigint[], $25::text[])
         ON CONFLICT (org_id, booking_id) DO UPDATE SET
           wedding_date = excluded.wedding_date, guest_count = excluded.guest_count,
           contract_amount = excluded.contract_amount, currency = excluded.currency, status = excluded.status,
           paid_amount = excluded.paid_amount, refunded_amount = excluded.refunded_amount,
           cancellation_fee = excluded.cancellation_fee, cancellation_fee_currency = excluded.cancellation_fee_currency,
           cancelled_at = excluded.cancelled_at, updated_at = excluded.updated_at`,
          columns(bookings, [
            "orgId",
            "bookingId",
            "weddingId",
            "supplierId",
            "service",
            "region",
            "venueId",
            "weddingDate",
            "guestCount",
            "contractAmount",
            "currency",
            "status",
            "paidAmount",
            "refundedAmount",
            "cancellationFee",
            "cancellationFeeCurrency",
            "cancelledAt",
            "createdEventId",
            "createdAt",
            "updatedAt",
            "createdContent",
            "createdWeddingDate",
            "createdGuestCount",
            "createdContractAmount",
            "createdContractCurrency",
          ]),
        ),
      );
    }
    // A creation's own figures are kept on its bookings row; booking_changes holds the updates and cancellations.
    const changes = [...this.newChanges.filter((c) => c.type !== "booking.created"), ...this.linkedChanges];
    if (changes.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO booking_changes (org_id, booking_id, event_id, wedding_id, type, occurred_at, received_at,
           wedding_date, guest_count, contract_amount, contract_currency, fee_amount, fee_currency, linked)
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],
           $7::timestamptz[], $8::date[], $9::int[], $10::bigint[], $11::text[], $12::bigint[], $13::text[],
           $14::boolean[])
         ON CONFLICT (org_id, booking_id, event_id) DO UPDATE SET linked = excluded.linked`,
          columns(changes, [
            "orgId",
            "bookingId",
            "eventId",
            "weddingId",
            "type",
            "occurredAt",
            "receivedAt",
            "weddingDate",
            "guestCount",
            "contractAmount",
            "contractCurrency",
            "feeAmount",
            "feeCurrency",
            "linked",
          ]),
        ),
      );
    }
    const payments = [...this.newPayments].map((k) => this.paymentsById.get(k)!);
    if (payments.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO payments (org_id, payment_id, booking_id, wedding_id, amount, currency, occurred_at, received_at,
           event_id, content, linked)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
           $7::timestamptz[], $8::timestamptz[], $9::uuid[], $10::text[], $11::boolean[])
         ON CONFLICT (org_id, payment_id) DO UPDATE SET linked = excluded.linked`,
          columns(payments, [
            "orgId",
            "paymentId",
            "bookingId",
            "weddingId",
            "amount",
            "currency",
            "occurredAt",
            "receivedAt",
            "eventId",
            "content",
            "linked",
          ]),
        ),
      );
    }
    const refunds = [...this.newRefunds].map((k) => this.refundsById.get(k)!);
    if (refunds.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO refunds (org_id, refund_id, payment_id, booking_id, wedding_id, amount, currency, occurred_at,
           received_at, event_id, content, linked, payment_known)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
           $8::timestamptz[], $9::timestamptz[], $10::uuid[], $11::text[], $12::boolean[], $13::boolean[])
         ON CONFLICT (org_id, refund_id) DO UPDATE SET linked = excluded.linked, payment_known = excluded.payment_known`,
          columns(refunds, [
            "orgId",
            "refundId",
            "paymentId",
            "bookingId",
            "weddingId",
            "amount",
            "currency",
            "occurredAt",
            "receivedAt",
            "eventId",
            "content",
            "linked",
            "paymentKnown",
          ]),
        ),
      );
    }
    await Promise.all(writes);
  }
}

/** The booking an event refers to, if any. */
export function bookingIdOf(event: WedSyncEvent): string | undefined {
  return "bookingId" in event.data ? event.data.bookingId : undefined;
}

/** A stored booking row as it stands (for bookings the batch only reads). */
function bookingFromRow(row: Record<string, unknown>): Booking {
  return {
    orgId: String(row.org_id),
    bookingId: String(row.booking_id),
    weddingId: String(row.wedding_id),
    supplierId: String(row.supplier_id),
    service: String(row.service),
    region: textOrNull(row.region),
    venueId: textOrNull(row.venue_id),
    weddingDate: isoDate(row.wedding_date),
    guestCount: Number(row.guest_count),
    contractAmount: Number(row.contract_amount),
    currency: String(row.currency),
    status: row.status === "cancelled" ? "cancelled" : "active",
    paidAmount: Number(row.paid_amount),
    refundedAmount: Number(row.refunded_amount),
    cancellationFee: numberOrNull(row.cancellation_fee),
    cancellationFeeCurrency: textOrNull(row.cancellation_fee_currency),
    cancelledAt: row.cancelled_at === null || row.cancelled_at === undefined ? null : isoTime(row.cancelled_at),
    createdEventId: String(row.created_event_id),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

function changeFromRow(row: Record<string, unknown>): BookingChange {
  return {
    orgId: String(row.org_id),
    bookingId: String(row.booking_id),
    weddingId: String(row.wedding_id),
    eventId: String(row.event_id),
    type: String(row.type) as BookingChange["type"],
    occurredAt: isoTime(row.occurred_at),
    receivedAt: isoTime(row.received_at),
    weddingDate: row.wedding_date === null ? null : isoDate(row.wedding_date),
    guestCount: numberOrNull(row.guest_count),
    contractAmount: numberOrNull(row.contract_amount),
    contractCurrency: textOrNull(row.contract_currency),
    feeAmount: numberOrNull(row.fee_amount),
    feeCurrency: textOrNull(row.fee_currency),
    linked: Boolean(row.linked),
  };
}

function paymentFromRow(row: Record<string, unknown>): Payment {
  return {
    orgId: String(row.org_id),
    paymentId: String(row.payment_id),
    bookingId: String(row.booking_id),
    weddingId: String(row.wedding_id ?? ""),
    amount: Number(row.amount),
    currency: String(row.currency),
    occurredAt: isoTime(row.occurred_at),
    receivedAt: isoTime(row.received_at ?? row.occurred_at),
    eventId: String(row.event_id),
    content: textOrNull(row.content),
    linked: Boolean(row.linked),
  };
}

function refundFromRow(row: Record<string, unknown>): Refund {
  return {
    orgId: String(row.org_id),
    refundId: String(row.refund_id),
    paymentId: String(row.payment_id),
    bookingId: String(row.booking_id),
    weddingId: String(row.wedding_id ?? ""),
    amount: Number(row.amount),
    currency: String(row.currency ?? ""),
    occurredAt: row.occurred_at === null || row.occurred_at === undefined ? null : isoTime(row.occurred_at),
    receivedAt: row.received_at === null || row.received_at === undefined ? null : isoTime(row.received_at),
    eventId: textOrNull(row.event_id),
    content: textOrNull(row.content),
    linked: Boolean(row.linked),
    paymentKnown: Boolean(row.payment_known),
  };
}
