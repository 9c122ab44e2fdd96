import type { Channel } from "../generator/org-profiles.ts";
import type { GroundTruth, TruthInput } from "./ground-truth.ts";

/** A booking as its accepted events leave it. */
export interface BookingFact {
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  region: string | null;
  currency: string;
  /** When booking.created occurred, epoch milliseconds. */
  createdAt: number;
  /** The wedding date as last changed. */
  weddingDate: string;
  /** The contract value as last changed. */
  contractValue: number;
  cancelled: boolean;
  paid: number;
  refunded: number;
}

/** A payment received or refunded, with the booking it belongs to. */
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

/** The winning allocation of a wedding's category. */
export interface AllocationFact {
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
}

/** Expenses of a wedding's category in one currency. */
export interface SpendFact {
  weddingId: string;
  category: string;
  currency: string;
  spent: number;
}

/** An inquiry and whether a booking of its wedding and service exists. */
export interface InquiryFact {
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
export interface OrgFacts {
  bookings: BookingFact[];
  payments: MoneyMovement[];
  refunds: MoneyMovement[];
  allocations: AllocationFact[];
  spend: SpendFact[];
  inquiries: InquiryFact[];
  flags: FlagFact[];
}

/** Options of the replay: the pipeline's duplicate-payment window. */
export interface FactOptions {
  duplicatePaymentWindowMs: number;
}

interface Allocation extends AllocationFact {
  at: number;
  arrival: number;
}

/**
 * Replays one organisation's accepted events in arrival order (the log order of each wedding) into the facts the named
 * analytics answer from, independently of any store. Acceptance is ground truth's: a repeated id counts once and the
 * events it says the pipeline rejects count nowhere. Then, as the projections define them: a booking's contract value
 * and wedding date are the last ones applied; the latest allocation of a category wins by occurredAt, then arrival; an
 * inquiry converts when its wedding has a booking of its service, whichever arrived first; overpayment and duplicate
 * payment flags are raised as the detectors describe them (net paid above contract value after the payment; another
 * payment of the booking, of the same amount, within the window).
 */
export function acceptedFacts(
  items: Iterable<TruthInput>,
  truth: GroundTruth,
  orgKey: string,
  options: FactOptions,
): OrgFacts {
  const rejected = new Set(truth.orgs[orgKey]?.rejected.map((r) => r.eventId) ?? []);
  const seen = new Set<string>();
  const bookings = new Map<string, BookingFact>();
  const paymentsOf = new Map<string, MoneyMovement[]>();
  const allocations = new Map<string, Allocation>();
  const spend = new Map<string, SpendFact>();
  const inquiries: (InquiryFact & { weddingId: string | null })[] = [];
  const facts: OrgFacts = { bookings: [], payments: [], refunds: [], allocations: [], spend: [], inquiries: [], flags: [] };
  let arrival = 0;
  for (const { orgKey: key, event } of items) {
    if (key !== orgKey || seen.has(event.id)) continue;
    seen.add(event.id);
    arrival++;
    if (rejected.has(event.id)) continue;
    const at = Date.parse(event.occurredAt);
    switch (event.type) {
      case "booking.created": {
        const d = event.data;
        bookings.set(d.bookingId, {
          bookingId: d.bookingId,
          weddingId: d.weddingId,
          supplierId: d.supplierId,
          service: d.service,
          region: d.region ?? null,
          currency: d.contractValue.currency,
          createdAt: at,
          weddingDate: d.weddingDate,
          contractValue: d.contractValue.amount,
          cancelled: false,
          paid: 0,
          refunded: 0,
        });
        break;
      }
      case "booking.updated": {
        const booking = bookings.get(event.data.bookingId)!;
        booking.weddingDate = event.data.weddingDate ?? booking.weddingDate;
        booking.contractValue = event.data.contractValue?.amount ?? booking.contractValue;
        break;
      }
      case "booking.cancelled":
        bookings.get(event.data.bookingId)!.cancelled = true;
        break;
      case "payment.received": {
        const d = event.data;
        const booking = bookings.get(d.bookingId)!;
        booking.paid += d.amount.amount;
        const payment: MoneyMovement = {
          bookingId: d.bookingId,
          supplierId: booking.supplierId,
          amount: d.amount.amount,
          currency: d.amount.currency,
          at,
          method: d.method,
          kind: d.kind ?? null,
        };
        const earlier = paymentsOf.get(d.bookingId) ?? [];
        if (booking.paid - booking.refunded > booking.contractValue) {
          facts.flags.push({ kind: "overpayment", eventId: event.id, bookingId: d.bookingId, at });
        }
        if (earlier.some((p) => p.amount === payment.amount && Math.abs(p.at - at) <= options.duplicatePaymentWindowMs)) {
          facts.flags.push({ kind: "duplicate_payment", eventId: event.id, bookingId: d.bookingId, at });
        }
        paymentsOf.set(d.bookingId, [...earlier, payment]);
        facts.payments.push(payment);
        break;
      }
      case "payment.refunded": {
        const d = event.data;
        const booking = bookings.get(d.bookingId)!;
        booking.refunded += d.amount.amount;
        facts.refunds.push({
          bookingId: d.bookingId,
          supplierId: booking.supplierId,
          amount: d.amount.amount,
          currency: d.amount.currency,
          at,
          method: null,
          kind: null,
        });
        break;
      }
      case "expense.recorded": {
        const d = event.data;
        const k = `${d.weddingId}\u0000${d.category}\u0000${d.amount.currency}`;
        const row = spend.get(k) ?? { weddingId: d.weddingId, category: d.category, currency: d.amount.currency, spent: 0 };
        row.spent += d.amount.amount;
        spend.set(k, row);
        break;
      }
      case "budget.allocated": {
        const d = event.data;
        const k = `${d.weddingId}\u0000${d.category}`;
        const current = allocations.get(k);
        if (current === undefined || at > current.at || (at === current.at && arrival > current.arrival)) {
          allocations.set(k, { weddingId: d.weddingId, category: d.category, ...d.amount, at, arrival });
        }
        break;
      }
      case "inquiry.received": {
        const d = event.data;
        inquiries.push({ inquiryId: d.inquiryId, weddingId: d.weddingId ?? null, service: d.service, channel: d.channel, at, converted: false });
        break;
      }
    }
  }
  const booked = new Set([...bookings.values()].map((b) => `${b.weddingId}\u0000${b.service}`));
  facts.bookings = [...bookings.values()];
  facts.allocations = [...allocations.values()].map(({ weddingId, category, amount, currency }) => ({ weddingId, category, amount, currency }));
  facts.spend = [...spend.values()];
  facts.inquiries = inquiries.map(({ weddingId, ...inquiry }) => ({
    ...inquiry,
    converted: weddingId !== null && booked.has(`${weddingId}\u0000${inquiry.service}`),
  }));
  return facts;
}
