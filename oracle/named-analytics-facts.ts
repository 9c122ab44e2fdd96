import { timedAnomalies, type TimedAnomaly } from "./expected-anomalies.ts";
import { conversionOf, type AllocationFact, type BookingFact, type Channel, type OrgFacts } from "./replay-events.ts";
import { tally } from "./rows.ts";

/** A payment received or refunded, with the supplier of the booking it belongs to. */
export interface MoneyMovement {
  /** The booking it names, linked or not. */
  bookingId: string;
  /** Its booking's supplier; null while the booking does not exist in its wedding. */
  supplierId: string | null;
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

/** An anomaly open on the converged state (orphans aside: they need a clock), with when its subject occurred. */
export type FlagFact = TimedAnomaly;

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
 * The facts the named analytics answer from, derived from one organisation's converged facts: bookings as they stand,
 * every payment and refund with its booking's supplier (null while unlinked), each category's standing allocation,
 * spend per wedding, category and currency, inquiries with whether they converted, and the anomalies the rules hold
 * open (without the orphans, which need a clock).
 */
export function namedFacts(facts: OrgFacts, options: NamedFactOptions): NamedFacts {
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
      supplierId: p.supplierId,
      amount: p.amount,
      currency: p.currency,
      at: p.at,
      method: p.method,
      kind: p.kind,
    })),
    refunds: facts.refunds.map((r) => ({
      bookingId: r.bookingId,
      supplierId: r.supplierId,
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
    flags: timedAnomalies(facts, { duplicatePaymentWindowMs: options.duplicatePaymentWindowMs }),
  };
}
