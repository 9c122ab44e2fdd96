import {
  conversionOf,
  type AllocationFact,
  type BookingFact,
  type Channel,
  type OrgFacts,
  type PaymentFact,
} from "./replay-events.ts";
import { tally } from "./rows.ts";

/** A payment received or refunded, with the supplier of the booking it belongs to. */
export interface MoneyMovement {
  bookingId: string;
  supplierId: string;
  amount: number;
  currency: string;
  /** When it occurred, epoch milliseconds. */
  at: number;
  /** The payment's method and kind; null for a refund (and for a payment that names no kind). */
  method: string | null;
  kind: string | null;
}

/** Expenses of a wedding's category in one currency. */
export interface SpendFact {
  weddingId: string;
  category: string;
  currency: string;
  spent: number;
}

/** An inquiry and whether a booking of its wedding and service exists. */
export interface InquiryOutcome {
  inquiryId: string;
  service: string;
  channel: Channel;
  /** When it occurred, epoch milliseconds. */
  at: number;
  converted: boolean;
}

/** A flag the pipeline's detectors raise on a payment. */
export interface FlagFact {
  kind: "overpayment" | "duplicate_payment";
  eventId: string;
  bookingId: string;
  /** When the payment occurred, epoch milliseconds. */
  at: number;
}

/** Everything the named analytics are answered from, for one organisation. */
export interface NamedFacts {
  bookings: BookingFact[];
  payments: MoneyMovement[];
  refunds: MoneyMovement[];
  allocations: AllocationFact[];
  spend: SpendFact[];
  inquiries: InquiryOutcome[];
  flags: FlagFact[];
}

/** Options of the derivation: the pipeline's duplicate-payment window. */
export interface NamedFactOptions {
  duplicatePaymentWindowMs: number;
}

/**
 * The flags the detectors raise on payments, in log order, as they describe them: an overpayment when the booking's
 * net paid after the payment exceeds its contract value as it stood then; a duplicate payment when an earlier payment
 * of the booking has the same amount and occurred within the window.
 */
function paymentFlags(payments: readonly PaymentFact[], windowMs: number): FlagFact[] {
  const flags: FlagFact[] = [];
  const earlier = new Map<string, PaymentFact[]>();
  for (const p of payments) {
    let before = earlier.get(p.bookingId);
    if (before === undefined) earlier.set(p.bookingId, (before = []));
    const flag = (kind: FlagFact["kind"]) => flags.push({ kind, eventId: p.eventId, bookingId: p.bookingId, at: p.at });
    if (p.bookingNetPaid > p.bookingContractValue) flag("overpayment");
    if (before.some((q) => q.amount === p.amount && Math.abs(q.at - p.at) <= windowMs)) flag("duplicate_payment");
    before.push(p);
  }
  return flags;
}

/**
 * The facts the named analytics answer from, derived from one organisation's replayed facts: bookings as they stand,
 * payments and refunds with their booking's supplier, each category's standing allocation, spend per wedding, category
 * and currency, inquiries with whether they converted, and the detectors' flags.
 */
export function namedFacts(facts: OrgFacts, options: NamedFactOptions): NamedFacts {
  const supplierOf = (bookingId: string) => facts.bookings.get(bookingId)!.supplierId;
  const spend = tally(
    ([weddingId, category, currency]): SpendFact => ({
      weddingId: weddingId!,
      category: category!,
      currency: currency!,
      spent: 0,
    }),
  );
  for (const e of facts.expenses) spend.at(e.weddingId, e.category, e.currency).spent += e.amount;
  const converted = conversionOf(facts);
  return {
    bookings: [...facts.bookings.values()],
    payments: facts.payments.map((p) => ({
      bookingId: p.bookingId,
      supplierId: supplierOf(p.bookingId),
      amount: p.amount,
      currency: p.currency,
      at: p.at,
      method: p.method,
      kind: p.kind,
    })),
    refunds: facts.refunds.map((r) => ({
      bookingId: r.bookingId,
      supplierId: supplierOf(r.bookingId),
      amount: r.amount,
      currency: r.currency,
      at: r.at,
      method: null,
      kind: null,
    })),
    allocations: [...facts.allocations.values()],
    spend: spend.rows(),
    inquiries: facts.inquiries.map((i) => ({
      inquiryId: i.inquiryId,
      service: i.service,
      channel: i.channel,
      at: i.at,
      converted: converted(i),
    })),
    flags: paymentFlags(facts.payments, options.duplicatePaymentWindowMs),
  };
}
