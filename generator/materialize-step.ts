import type { EventData, EventOf, EventType } from "../schemas/index.ts";
import { DAY_MS, dayName, dayOf, formatInstant } from "./calendar.ts";
import type { GeneratedItem, InjectionLabel } from "./generated-item.ts";
import { minorPerMajor, otherCurrency, roundToMajor } from "./minor-units.ts";
import type { OrgRuntime } from "./org-runtime.ts";
import { insertStep, type BookingPlan, type PaymentRecord, type Step, type WeddingPlan } from "./wedding-plan.ts";

const CANCELLATION_REASONS = [
  "couple separated",
  "date moved abroad",
  "chose another venue",
  "budget cut",
  "family bereavement",
  "postponed indefinitely",
];

/** A contract value change is applied only if what is still to pay stays at least this share of it. */
const MIN_OUTSTANDING_SHARE = 0.15;

/** Wraps data in an envelope with a deterministic id. */
function envelope<T extends EventType>(
  org: OrgRuntime,
  type: T,
  at: number,
  source: string,
  data: EventData<T>,
): EventOf<T> {
  return { id: org.rng.uuid(), type, occurredAt: formatInstant(at), source, data } as EventOf<T>;
}

/** The item for an event, with its label when one was injected. */
function item(org: OrgRuntime, event: GeneratedItem["event"], label: InjectionLabel | undefined): GeneratedItem {
  return label === undefined ? { orgKey: org.profile.key, event } : { orgKey: org.profile.key, event, label };
}

/** Money in the booking's currency. */
function money(booking: BookingPlan, amount: number): { amount: number; currency: string } {
  return { amount, currency: booking.currency };
}

/** Records a payment in the booking's running state and builds its event. */
function pay(
  org: OrgRuntime,
  booking: BookingPlan,
  at: number,
  amount: number,
  kind: PaymentRecord["kind"],
  label: InjectionLabel | undefined,
): GeneratedItem | undefined {
  if (amount <= 0) return undefined;
  const id = `pay-${org.profile.idPrefix}-${++org.counters.payment}`;
  booking.paid += amount;
  booking.payments.push({ id, amount, refunded: 0, kind });
  const data = {
    paymentId: id,
    bookingId: booking.id,
    weddingId: booking.wedding.weddingId,
    amount: money(booking, amount),
    method: org.methods.pick(org.rng),
    kind,
  };
  return item(org, envelope(org, "payment.received", at, "wedsync-payments", data), label);
}

/** Records a refund against one payment and builds its event. */
function refund(
  org: OrgRuntime,
  booking: BookingPlan,
  at: number,
  payment: PaymentRecord,
  amount: number,
): GeneratedItem | undefined {
  if (amount <= 0) return undefined;
  booking.refunded += amount;
  payment.refunded += amount;
  const data = {
    refundId: `rf-${org.profile.idPrefix}-${++org.counters.refund}`,
    paymentId: payment.id,
    bookingId: booking.id,
    weddingId: booking.wedding.weddingId,
    amount: money(booking, amount),
  };
  return item(org, envelope(org, "payment.refunded", at, "wedsync-payments", data), undefined);
}

/** The amount of a scheduled payment, from what is still owed at the moment it is made. */
function scheduledAmount(booking: BookingPlan, step: Extract<Step, { kind: "payment" }>): number {
  const owed = booking.value - booking.paid;
  const unit = minorPerMajor(booking.currency);
  switch (step.role) {
    case "deposit":
      return Math.min(
        owed - unit,
        Math.max(unit, roundToMajor(booking.value * booking.depositShare, booking.currency)),
      );
    case "instalment": {
      const share = step.weight / booking.remainingWeight;
      booking.remainingWeight -= step.weight;
      return Math.min(owed - unit, roundToMajor(owed * share, booking.currency));
    }
    case "final":
      return owed;
    case "overpaid-final":
      return owed + Math.max(unit, roundToMajor(booking.value * step.weight, booking.currency));
    case "duplicate":
      return booking.payments.at(-1)?.amount ?? 0;
  }
}

/** Cancels a booking: keeps a fee by the terms, and schedules refunds of the rest, newest payment first. */
function cancel(org: OrgRuntime, plan: WeddingPlan, booking: BookingPlan, at: number): GeneratedItem {
  const { rng } = org;
  booking.cancelled = true;
  const deposit = booking.payments.find((payment) => payment.kind === "deposit")?.amount ?? 0;
  const late = plan.weddingDay - dayOf(at) < 180;
  const fee = booking.waiveFee ? 0 : late ? roundToMajor(booking.value * 0.5, booking.currency) : deposit;
  let refundable = booking.paid - booking.refunded - fee;
  let when = at + rng.int(2, 10) * DAY_MS;
  for (let i = booking.payments.length - 1; i >= 0 && refundable > 0; i--) {
    const payment = booking.payments[i]!;
    const amount = Math.min(refundable, payment.amount - payment.refunded);
    if (amount <= 0) continue;
    refundable -= amount;
    when += rng.int(1, 120) * 60_000;
    insertStep(plan, { at: when, kind: "refund", booking, payment, amount });
  }
  const data: EventData<"booking.cancelled"> = { bookingId: booking.id, weddingId: plan.weddingId };
  if (rng.chance(0.7)) data.reason = rng.pick(CANCELLATION_REASONS);
  if (fee > 0) data.cancellationFee = money(booking, fee);
  booking.cancellationFee = fee;
  return item(org, envelope(org, "booking.cancelled", at, "wedsync-web", data), undefined);
}

/** The same cancellation recorded again later by another service, with the same fee: the earlier one counts. */
function confirmCancellation(org: OrgRuntime, booking: BookingPlan, at: number): GeneratedItem {
  const data: EventData<"booking.cancelled"> = { bookingId: booking.id, weddingId: booking.wedding.weddingId };
  if (booking.cancellationFee > 0) data.cancellationFee = money(booking, booking.cancellationFee);
  return item(org, envelope(org, "booking.cancelled", at, "wedsync-payments", data), undefined);
}

/** Applies a guest-count change, moving a per-guest price with it while enough is still outstanding. */
function updateGuests(org: OrgRuntime, booking: BookingPlan, at: number, guests: number): GeneratedItem {
  const data: EventData<"booking.updated"> = {
    bookingId: booking.id,
    weddingId: booking.wedding.weddingId,
    guestCount: guests,
  };
  const value = booking.value + (guests - booking.guests) * booking.perGuest;
  booking.guests = guests;
  if (booking.perGuest > 0 && value - booking.paid >= value * MIN_OUTSTANDING_SHARE) {
    booking.value = value;
    data.contractValue = money(booking, value);
  }
  return item(org, envelope(org, "booking.updated", at, "wedsync-web", data), undefined);
}

/**
 * Builds a mismatch: money that does not fit what it names. It leaves the booking's running state alone, so the
 * booking's own schedule still adds up to its contract value; the pipeline counts the mismatch beside it and flags it.
 */
function mismatch(org: OrgRuntime, step: Extract<Step, { kind: "mismatch" }>): GeneratedItem {
  const { rng, profile } = org;
  const { booking, at, label } = step;
  const weddingId = booking.wedding.weddingId;
  const amount = Math.max(
    minorPerMajor(booking.currency),
    roundToMajor(booking.value * rng.between(0.1, 0.3), booking.currency),
  );
  const payment = (bookingId: string, currency: string) =>
    envelope(org, "payment.received", at, "wedsync-payments", {
      paymentId: `pay-${profile.idPrefix}-${++org.counters.payment}`,
      bookingId,
      weddingId,
      amount: { amount, currency },
      method: org.methods.pick(rng),
      kind: "instalment",
    });
  switch (step.fault) {
    case "payment-unknown-booking":
      return item(org, payment(`bk-${profile.idPrefix}-x${++org.counters.ghost}`, booking.currency), label);
    case "payment-cancelled-booking":
      return item(org, payment(booking.id, booking.currency), label);
    case "payment-other-currency":
      return item(org, payment(booking.id, otherCurrency(booking.currency)), label);
    case "update-other-currency": {
      const data = {
        bookingId: booking.id,
        weddingId,
        contractValue: { amount: booking.value, currency: otherCurrency(booking.currency) },
      };
      return item(org, envelope(org, "booking.updated", at, "wedsync-web", data), label);
    }
    case "refund-exceeds-paid": {
      const data = {
        refundId: `rf-${profile.idPrefix}-${++org.counters.refund}`,
        paymentId: booking.payments[0]?.id ?? `pay-${profile.idPrefix}-x${++org.counters.ghost}`,
        bookingId: booking.id,
        weddingId,
        amount: money(booking, booking.paid - booking.refunded + amount),
      };
      return item(org, envelope(org, "payment.refunded", at, "wedsync-payments", data), label);
    }
  }
}

/**
 * Turns a planned step into its event, updating the booking's running state. Returns undefined when
 * the step turns out to have nothing to say (a payment of nothing, a change that would undercut
 * what has been paid).
 */
export function materializeStep(step: Step, plan: WeddingPlan): GeneratedItem | undefined {
  const org = plan.org;
  switch (step.kind) {
    case "inquiry": {
      const { inquiry } = step;
      const data: EventData<"inquiry.received"> = {
        inquiryId: `inq-${org.profile.idPrefix}-${++org.counters.inquiry}`,
        service: inquiry.service,
        channel: inquiry.channel,
      };
      if (inquiry.weddingId !== undefined) data.weddingId = inquiry.weddingId;
      if (inquiry.weddingDay !== undefined) data.weddingDate = dayName(inquiry.weddingDay);
      if (inquiry.budget !== undefined) data.budget = inquiry.budget;
      const source = inquiry.channel === "marketplace" ? "marketplace-sync" : "wedsync-web";
      return item(org, envelope(org, "inquiry.received", step.at, source, data), undefined);
    }
    case "booking": {
      const { booking } = step;
      const data: EventData<"booking.created"> = {
        bookingId: booking.id,
        weddingId: plan.weddingId,
        supplierId: booking.supplierId,
        service: booking.offer.service,
        weddingDate: dayName(step.reportedDay),
        guestCount: booking.guests,
        contractValue: money(booking, booking.value),
      };
      if (booking.clientId !== undefined) data.clientId = booking.clientId;
      if (booking.venueId !== undefined) data.venueId = booking.venueId;
      if (booking.region !== undefined) data.region = booking.region;
      return item(org, envelope(org, "booking.created", step.at, "wedsync-web", data), step.label);
    }
    case "update-guests":
      return updateGuests(org, step.booking, step.at, step.guests);
    case "update-value": {
      const { booking } = step;
      const value = roundToMajor(booking.value * step.factor, booking.currency);
      if (value - booking.paid < value * MIN_OUTSTANDING_SHARE) return undefined;
      booking.value = value;
      const data = { bookingId: booking.id, weddingId: plan.weddingId, contractValue: money(booking, value) };
      return item(org, envelope(org, "booking.updated", step.at, "wedsync-web", data), undefined);
    }
    case "update-date": {
      const data = { bookingId: step.booking.id, weddingId: plan.weddingId, weddingDate: dayName(step.day) };
      return item(org, envelope(org, "booking.updated", step.at, "wedsync-web", data), undefined);
    }
    case "cancel":
      return cancel(org, plan, step.booking, step.at);
    case "cancel-confirmation":
      return confirmCancellation(org, step.booking, step.at);
    case "payment": {
      const kind =
        step.role === "overpaid-final"
          ? "final"
          : step.role === "duplicate"
            ? step.booking.payments.at(-1)?.kind
            : step.role;
      if (kind === undefined) return undefined;
      return pay(org, step.booking, step.at, scheduledAmount(step.booking, step), kind, step.label);
    }
    case "refund":
      return refund(org, step.booking, step.at, step.payment, step.amount);
    case "goodwill-refund": {
      const last = step.booking.payments.at(-1);
      if (last === undefined) return undefined;
      const amount = Math.min(
        last.amount - last.refunded,
        roundToMajor(last.amount * step.share, step.booking.currency),
      );
      return refund(org, step.booking, step.at, last, amount);
    }
    case "budget": {
      const data = {
        weddingId: plan.weddingId,
        category: step.category,
        amount: { amount: step.amount, currency: plan.currency },
      };
      return item(org, envelope(org, "budget.allocated", step.at, "wedsync-planner", data), undefined);
    }
    case "expense": {
      const data: EventData<"expense.recorded"> = {
        expenseId: `exp-${org.profile.idPrefix}-${++org.counters.expense}`,
        weddingId: plan.weddingId,
        category: step.category,
        amount: { amount: step.amount, currency: plan.currency },
        incurredOn: dayName(step.incurredDay),
      };
      if (step.vendor !== undefined) data.vendor = step.vendor;
      return item(org, envelope(org, "expense.recorded", step.at, "wedsync-planner", data), step.label);
    }
    case "mismatch":
      return mismatch(org, step);
    case "replay":
      return { ...step.item, label: { class: "exact-duplicate" } };
    case "resend":
      return step.item;
  }
}
