import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import type { WedSyncEvent } from "../schemas/index.ts";
import {
  KEY_PAIRS,
  KeyPairs,
  columns,
  isoDate,
  isoTime,
  numberOrNull,
  stateKey as key,
  textOrNull,
} from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** The current state of one booking, as projected from its events. */
export interface Booking {
  orgId: string;
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  region: string | null;
  venueId: string | null;
  weddingDate: string;
  guestCount: number;
  contractAmount: number;
  currency: string;
  status: "active" | "cancelled";
  paidAmount: number;
  refundedAmount: number;
  /** Set by booking.cancelled: its fee, 0 when it names none; null while the booking is not cancelled. */
  cancellationFee: number | null;
  createdEventId: string;
  createdAt: string;
  updatedAt: string;
}

/** One payment received against a booking. */
export interface Payment {
  orgId: string;
  paymentId: string;
  bookingId: string;
  amount: number;
  currency: string;
  occurredAt: string;
  eventId: string;
}

/** One refund already applied. */
export interface Refund {
  orgId: string;
  refundId: string;
  paymentId: string;
  bookingId: string;
  amount: number;
}

/** Payments by when they occurred, then by id. */
const paymentOrder = (a: Payment, b: Payment) =>
  Date.parse(a.occurredAt) - Date.parse(b.occurredAt) ||
  (a.paymentId < b.paymentId ? -1 : a.paymentId > b.paymentId ? 1 : 0);

/**
 * The bookings, payments and refunds one batch needs (part of its ProjectionState), loaded once, changed in memory
 * event by event, and written back in the batch's transaction. Loading is read-only, so a batch that crashes before
 * its commit is recomputed from exactly the same state.
 */
export class BookingState {
  private readonly bookings = new Map<string, Booking>();
  private readonly bookingsByWedding = new Map<string, Set<string>>();
  private readonly payments = new Map<string, Payment>();
  private readonly paymentsByBooking = new Map<string, Payment[]>();
  private readonly refunds = new Map<string, Refund>();
  private readonly changedBookings = new Set<string>();
  private readonly newPayments: Payment[] = [];
  private readonly newRefunds: Refund[] = [];

  /**
   * Loads the bookings the given events refer to, every booking of the weddings their inquiries name (to find an
   * inquiry's conversion), every payment of the bookings they pay or refund (duplicate detection compares a payment
   * with its booking's others), the payments they name (a payment id is unique in the organisation, whatever its
   * booking) and the refunds they name.
   */
  static async load(sql: SqlClient, events: ProcessedEvent[]): Promise<BookingState> {
    const state = new BookingState();
    const bookingIds = new KeyPairs();
    const weddingIds = new KeyPairs();
    const paidBookingIds = new KeyPairs();
    const paymentIds = new KeyPairs();
    const refundIds = new KeyPairs();
    for (const { orgId, event } of events) {
      const bookingId = bookingIdOf(event);
      if (bookingId !== undefined) bookingIds.add(orgId, bookingId);
      if (event.type === "inquiry.received" && event.data.weddingId !== undefined) {
        weddingIds.add(orgId, event.data.weddingId);
      }
      if (event.type === "payment.received") {
        paidBookingIds.add(orgId, event.data.bookingId);
        paymentIds.add(orgId, event.data.paymentId);
      }
      if (event.type === "payment.refunded") {
        paidBookingIds.add(orgId, event.data.bookingId);
        refundIds.add(orgId, event.data.refundId);
      }
    }
    const [bookings, payments, refunds] = await Promise.all([
      bookingIds.empty && weddingIds.empty
        ? []
        : sql.query(
            `SELECT b.* FROM bookings b JOIN (${KEY_PAIRS(1, 2)}) k ON b.org_id = k.org_id AND b.booking_id = k.id
             UNION
             SELECT b.* FROM bookings b JOIN (${KEY_PAIRS(3, 4)}) k ON b.org_id = k.org_id AND b.wedding_id = k.id`,
            [bookingIds.orgs, bookingIds.ids, weddingIds.orgs, weddingIds.ids],
          ),
      paidBookingIds.empty
        ? []
        : sql.query(
            `SELECT p.* FROM payments p JOIN (${KEY_PAIRS(1, 2)}) k ON p.org_id = k.org_id AND p.booking_id = k.id
             UNION
             SELECT p.* FROM payments p JOIN (${KEY_PAIRS(3, 4)}) k ON p.org_id = k.org_id AND p.payment_id = k.id`,
            [paidBookingIds.orgs, paidBookingIds.ids, paymentIds.orgs, paymentIds.ids],
          ),
      refundIds.empty
        ? []
        : sql.query(
            `SELECT r.* FROM refunds r JOIN (${KEY_PAIRS(1, 2)}) k ON r.org_id = k.org_id AND r.refund_id = k.id`,
            [refundIds.orgs, refundIds.ids],
          ),
    ]);
    for (const row of bookings) state.putBooking(bookingFromRow(row), false);
    for (const row of payments) state.putPayment(paymentFromRow(row), false);
    for (const row of refunds) state.putRefund(refundFromRow(row), false);
    return state;
  }

  /** The booking, if known. */
  booking(orgId: string, bookingId: string): Booking | undefined {
    return this.bookings.get(key(orgId, bookingId));
  }

  /** A payment by id, if known. */
  payment(orgId: string, paymentId: string): Payment | undefined {
    return this.payments.get(key(orgId, paymentId));
  }

  /**
   * Every known payment of a booking, by when it occurred and then by id: the same order whether the payments came
   * from Postgres or from earlier in the batch, so what is derived from it does not depend on batch boundaries.
   */
  paymentsOf(orgId: string, bookingId: string): readonly Payment[] {
    return this.paymentsByBooking.get(key(orgId, bookingId)) ?? [];
  }

  /** Every known booking of a wedding; complete for the weddings the batch's inquiries name. */
  bookingsOfWedding(orgId: string, weddingId: string): Booking[] {
    return [...(this.bookingsByWedding.get(key(orgId, weddingId)) ?? [])].map((k) => this.bookings.get(k)!);
  }

  /** A refund by id, if already applied. */
  refund(orgId: string, refundId: string): Refund | undefined {
    return this.refunds.get(key(orgId, refundId));
  }

  /** Adds or replaces a booking and marks it for writing. */
  putBooking(booking: Booking, changed = true): void {
    const k = key(booking.orgId, booking.bookingId);
    this.bookings.set(k, booking);
    const wedding = key(booking.orgId, booking.weddingId);
    const ofWedding = this.bookingsByWedding.get(wedding) ?? new Set<string>();
    ofWedding.add(k);
    this.bookingsByWedding.set(wedding, ofWedding);
    if (changed) this.changedBookings.add(k);
  }

  /** Records a payment (once: a payment id names one payment) and marks it for writing. */
  putPayment(payment: Payment, isNew = true): void {
    if (this.payments.has(key(payment.orgId, payment.paymentId))) return;
    this.payments.set(key(payment.orgId, payment.paymentId), payment);
    const k = key(payment.orgId, payment.bookingId);
    const list = this.paymentsByBooking.get(k) ?? [];
    const after = list.findIndex((p) => paymentOrder(p, payment) > 0);
    list.splice(after === -1 ? list.length : after, 0, payment);
    this.paymentsByBooking.set(k, list);
    if (isNew) this.newPayments.push(payment);
  }

  /** Records a refund and marks it for writing. */
  putRefund(refund: Refund, isNew = true): void {
    this.refunds.set(key(refund.orgId, refund.refundId), refund);
    if (isNew) this.newRefunds.push(refund);
  }

  /** Writes every change of the batch inside the caller's transaction. */
  async persist(tx: SqlQueryable): Promise<void> {
    const changed = [...this.changedBookings].map((k) => this.bookings.get(k)!);
    if (changed.length > 0) {
      await tx.query(
        `INSERT INTO bookings (org_id, booking_id, wedding_id, supplier_id, service, region, venue_id, wedding_date,
           guest_count, contract_amount, currency, status, paid_amount, refunded_amount, cancellation_fee,
           created_event_id, created_at, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::date[], $9::int[], $10::bigint[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[],
           $16::uuid[], $17::timestamptz[], $18::timestamptz[])
         ON CONFLICT (org_id, booking_id) DO UPDATE SET
           wedding_date = excluded.wedding_date, guest_count = excluded.guest_count,
           contract_amount = excluded.contract_amount, status = excluded.status, paid_amount = excluded.paid_amount,
           refunded_amount = excluded.refunded_amount, cancellation_fee = excluded.cancellation_fee,
           updated_at = excluded.updated_at`,
        columns(changed, [
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
          "createdEventId",
          "createdAt",
          "updatedAt",
        ]),
      );
    }
    if (this.newPayments.length > 0) {
      await tx.query(
        `INSERT INTO payments (org_id, payment_id, booking_id, amount, currency, occurred_at, event_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::uuid[])
         ON CONFLICT DO NOTHING`,
        columns(this.newPayments, ["orgId", "paymentId", "bookingId", "amount", "currency", "occurredAt", "eventId"]),
      );
    }
    if (this.newRefunds.length > 0) {
      await tx.query(
        `INSERT INTO refunds (org_id, refund_id, payment_id, booking_id, amount)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
         ON CONFLICT DO NOTHING`,
        columns(this.newRefunds, ["orgId", "refundId", "paymentId", "bookingId", "amount"]),
      );
    }
  }
}

/** The booking an event refers to, if any. */
export function bookingIdOf(event: WedSyncEvent): string | undefined {
  return "bookingId" in event.data ? event.data.bookingId : undefined;
}

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
    createdEventId: String(row.created_event_id),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

function paymentFromRow(row: Record<string, unknown>): Payment {
  return {
    orgId: String(row.org_id),
    paymentId: String(row.payment_id),
    bookingId: String(row.booking_id),
    amount: Number(row.amount),
    currency: String(row.currency),
    occurredAt: isoTime(row.occurred_at),
    eventId: String(row.event_id),
  };
}

function refundFromRow(row: Record<string, unknown>): Refund {
  return {
    orgId: String(row.org_id),
    refundId: String(row.refund_id),
    paymentId: String(row.payment_id),
    bookingId: String(row.booking_id),
    amount: Number(row.amount),
  };
}
