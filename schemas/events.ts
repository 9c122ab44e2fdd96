import { z } from "zod";
import { CalendarDate, Id, Money, PositiveMoney, Service, Text } from "./primitives.ts";

/** booking.created: a supplier has been booked for a wedding. */
export const BookingCreated = z.strictObject({
  bookingId: Id,
  weddingId: Id,
  supplierId: Id,
  clientId: Id.optional(),
  service: Service,
  weddingDate: CalendarDate,
  guestCount: z.number().int("must be an integer").min(0, "must not be negative").max(10_000, "must be at most 10000"),
  contractValue: Money,
  venueId: Id.optional(),
  region: Text.optional(),
});

/** booking.updated: a booking's date, guest count or contract value changed. */
export const BookingUpdated = z
  .strictObject({
    bookingId: Id,
    weddingId: Id,
    weddingDate: CalendarDate.optional(),
    guestCount: BookingCreated.shape.guestCount.optional(),
    contractValue: Money.optional(),
  })
  .refine(
    (data) => data.weddingDate !== undefined || data.guestCount !== undefined || data.contractValue !== undefined,
    { message: "must change at least one of weddingDate, guestCount, contractValue" },
  );

/** booking.cancelled: a booking was cancelled, possibly with a fee. */
export const BookingCancelled = z.strictObject({
  bookingId: Id,
  weddingId: Id,
  reason: Text.optional(),
  cancellationFee: Money.optional(),
});

/** How a payment was made. */
export const PaymentMethod = z.enum(["card", "bank_transfer", "cash", "other"]);
/** Where a payment sits in a booking's schedule. */
export const PaymentKind = z.enum(["deposit", "instalment", "final"]);

/** payment.received: money arrived against a booking. */
export const PaymentReceived = z.strictObject({
  paymentId: Id,
  bookingId: Id,
  weddingId: Id,
  amount: PositiveMoney,
  method: PaymentMethod,
  kind: PaymentKind.optional(),
});

/** payment.refunded: money went back to the client. */
export const PaymentRefunded = z.strictObject({
  refundId: Id,
  paymentId: Id,
  bookingId: Id,
  weddingId: Id,
  amount: PositiveMoney,
});

/** expense.recorded: money spent for a wedding in a category. */
export const ExpenseRecorded = z.strictObject({
  expenseId: Id,
  weddingId: Id,
  category: Service,
  vendor: Text.optional(),
  amount: PositiveMoney,
  incurredOn: CalendarDate,
});

/** budget.allocated: the budget of a wedding's category; the latest allocation wins. */
export const BudgetAllocated = z.strictObject({
  weddingId: Id,
  category: Service,
  amount: Money,
});

/** Where an inquiry came from. */
export const InquiryChannel = z.enum(["website", "referral", "marketplace", "social", "other"]);

/** inquiry.received: a couple asked about a service. */
export const InquiryReceived = z.strictObject({
  inquiryId: Id,
  weddingId: Id.optional(),
  service: Service,
  weddingDate: CalendarDate.optional(),
  budget: Money.optional(),
  channel: InquiryChannel,
});

/** The data schema of every v1 event type, by type name. */
export const EVENT_DATA_SCHEMAS = {
  "booking.created": BookingCreated,
  "booking.updated": BookingUpdated,
  "booking.cancelled": BookingCancelled,
  "payment.received": PaymentReceived,
  "payment.refunded": PaymentRefunded,
  "expense.recorded": ExpenseRecorded,
  "budget.allocated": BudgetAllocated,
  "inquiry.received": InquiryReceived,
} as const;

/** The name of a v1 event type. */
export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
/** Every v1 event type name. */
export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];
/** The `data` of an event of type T. */
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;
