import type { Service } from "../schemas/index.ts";
import type { GeneratedItem, InjectionLabel, MismatchKind } from "./generated-item.ts";
import type { OrgRuntime } from "./org-runtime.ts";
import type { Channel, ServiceOffer } from "./org-profiles.ts";

/** A payment already made on a booking, kept so refunds can name it and never exceed it. */
export interface PaymentRecord {
  id: string;
  amount: number;
  refunded: number;
  kind: "deposit" | "instalment" | "final";
}

/**
 * One booking of a planned wedding. The plan fixes when things happen; the running fields
 * (value, paid, payments…) are the booking's state as its events are emitted, and the amounts of
 * later payments are derived from it, so the schedule always adds up to the latest contract value.
 */
export interface BookingPlan {
  id: string;
  wedding: WeddingPlan;
  offer: ServiceOffer;
  supplierId: string;
  clientId: string | undefined;
  region: string | undefined;
  venueId: string | undefined;
  currency: string;
  guests: number;
  /** Price per guest in minor units, so guest-count changes move the contract value. */
  perGuest: number;
  depositShare: number;
  /** Current contract value in minor units. */
  value: number;
  paid: number;
  refunded: number;
  payments: PaymentRecord[];
  /** Sum of the weights of the instalments and final payment still to come. */
  remainingWeight: number;
  cancelled: boolean;
  /** Whether a cancellation keeps a fee; the fee itself depends on what has been paid by then. */
  waiveFee: boolean;
  /** The fee the cancellation kept, in minor units (0 until cancelled, or when waived). */
  cancellationFee: number;
}

/** Something that happens at `at` (epoch ms, whole seconds) and becomes at most one event. */
export type Step =
  | { at: number; kind: "inquiry"; inquiry: InquiryPlan }
  | { at: number; kind: "booking"; booking: BookingPlan; reportedDay: number; label?: InjectionLabel }
  | { at: number; kind: "update-guests"; booking: BookingPlan; guests: number }
  | { at: number; kind: "update-value"; booking: BookingPlan; factor: number }
  | { at: number; kind: "update-date"; booking: BookingPlan; day: number }
  | { at: number; kind: "cancel"; booking: BookingPlan }
  | { at: number; kind: "cancel-confirmation"; booking: BookingPlan }
  | { at: number; kind: "payment"; booking: BookingPlan; role: PaymentRole; weight: number; label?: InjectionLabel }
  | { at: number; kind: "refund"; booking: BookingPlan; payment: PaymentRecord; amount: number }
  | { at: number; kind: "goodwill-refund"; booking: BookingPlan; share: number }
  | { at: number; kind: "budget"; category: Service; amount: number }
  | {
      at: number;
      kind: "expense";
      category: Service;
      amount: number;
      incurredDay: number;
      vendor: string | undefined;
      label?: InjectionLabel;
    }
  | {
      at: number;
      kind: "mismatch";
      booking: BookingPlan;
      fault: MismatchFault;
      label: InjectionLabel & { kind: MismatchKind };
    }
  | { at: number; kind: "replay"; item: GeneratedItem }
  | { at: number; kind: "resend"; item: GeneratedItem };

/** Where a payment sits in the schedule; `duplicate` repeats the previous amount, `overpaid-final` pays too much. */
export type PaymentRole = "deposit" | "instalment" | "final" | "duplicate" | "overpaid-final";

/** The shape of an injected mismatch: which event is sent, and what it does not fit. */
export type MismatchFault =
  | "payment-unknown-booking"
  | "payment-cancelled-booking"
  | "refund-exceeds-paid"
  | "payment-other-currency"
  | "update-other-currency";

/** What an inquiry asks about; a converting inquiry names the wedding it becomes. */
export interface InquiryPlan {
  service: Service;
  channel: Channel;
  weddingId: string | undefined;
  weddingDay: number | undefined;
  budget: { amount: number; currency: string } | undefined;
}

/** One wedding (or a lone inquiry) of one organisation: its steps in time order and a cursor. */
export interface WeddingPlan {
  org: OrgRuntime;
  /** Creation order, the tie-breaker that keeps arrival order deterministic. */
  seq: number;
  weddingId: string;
  weddingDay: number;
  currency: string;
  steps: Step[];
  cursor: number;
}

/** Inserts a step among the plan's pending steps, keeping them in time order (after equal times). */
export function insertStep(plan: WeddingPlan, step: Step): void {
  let i = plan.steps.length;
  while (i > plan.cursor && plan.steps[i - 1]!.at > step.at) i--;
  plan.steps.splice(i, 0, step);
}
