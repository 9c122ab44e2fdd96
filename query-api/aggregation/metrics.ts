import type { SourceName } from "./fact-sources.ts";

/** A figure an aggregation can return: how it is computed from the sums of its sources' measures. */
export interface MetricDefinition {
  /** What the figure means, for the API documentation. */
  description: string;
  /** The sources it reads and, of each, the measures it sums. */
  measures: Partial<Record<SourceName, string[]>>;
  /** The SQL of the figure over `sum_<measure>` columns (each the sum of that measure over the group). */
  sql: string;
  /** Money in minor units of the row's currency: asking for it puts `currency` in the grouping. */
  money: boolean;
}

// A ratio over an empty group is null, never NaN or infinity (which JSON cannot carry).
const ratio = (numerator: string, denominator: string) => `if(${denominator} = 0, NULL, ${numerator} / ${denominator})`;

/** Every metric of the aggregation request, by name. */
export const METRICS = {
  bookings: {
    description:
      "Bookings created (cancelled ones included), counted on the day of their booking.created, in their contract currency.",
    measures: { bookings: ["bookings"] },
    sql: "sum_bookings",
    money: false,
  },
  contractValue: {
    description:
      "Current contract value of those bookings (the latest by occurrence among the create and the updates that set one), in minor units of its currency.",
    measures: { bookings: ["contract"] },
    sql: "sum_contract",
    money: true,
  },
  averageBookingValue: {
    description: "contractValue / bookings, in minor units; null when there are no bookings.",
    measures: { bookings: ["contract", "bookings"] },
    sql: ratio("sum_contract", "sum_bookings"),
    money: true,
  },
  guests: {
    description: "Guests of those bookings, by each booking's current guest count (the latest by occurrence).",
    measures: { bookings: ["guests"] },
    sql: "sum_guests",
    money: false,
  },
  cancellations: {
    description:
      "Of the bookings counted in `bookings` (placed by the day they were created), the ones cancelled, whenever the cancellation occurred. To place cancellations by the day they occurred, ask for cancelledBookings.",
    measures: { bookings: ["cancellations"] },
    sql: "sum_cancellations",
    money: false,
  },
  cancelledBookings: {
    description:
      "Bookings cancelled, counted on the day of the cancellation that counts (a booking's earliest by occurrence), in their contract currency; as in the revenue endpoint.",
    measures: { cancellations: ["cancelled"] },
    sql: "sum_cancelled",
    money: false,
  },
  releasedContractValue: {
    description:
      "Current contract value of those cancelled bookings, on the cancellation's day, in minor units of the contract currency.",
    measures: { cancellations: ["released"] },
    sql: "sum_released",
    money: true,
  },
  cancellationFees: {
    description:
      "Fees of those cancellations (0 when one names none), on the cancellation's day, in minor units of the fee's currency.",
    measures: { cancellations: ["fees"] },
    sql: "sum_fees",
    money: true,
  },
  paymentsReceived: {
    description:
      "Payments received, counted on the day they were received, in minor units of their own currency, whether or not their booking exists (its service, supplier, region and venue are null until it does).",
    measures: { payments: ["payments"] },
    sql: "sum_payments",
    money: true,
  },
  refunds: {
    description:
      "Refunds paid out, counted on the day they were paid, in minor units of their own currency, whether or not their payment or booking is known.",
    measures: { refunds: ["refunds"] },
    sql: "sum_refunds",
    money: true,
  },
  netRevenue: {
    description: "paymentsReceived − refunds, in minor units.",
    measures: { payments: ["payments"], refunds: ["refunds"] },
    sql: "sum_payments - sum_refunds",
    money: true,
  },
  expenses: {
    description: "Expenses recorded, counted on the day they were recorded, in minor units.",
    measures: { expenses: ["expenses"] },
    sql: "sum_expenses",
    money: true,
  },
  budgetAllocated: {
    description:
      "Budgets: the latest allocation of each wedding's category, counted on the day it was made, in minor units.",
    measures: { budgets: ["budget"] },
    sql: "sum_budget",
    money: true,
  },
  inquiries: {
    description: "Inquiries received, counted on the day they arrived.",
    measures: { inquiries: ["inquiries"] },
    sql: "sum_inquiries",
    money: false,
  },
  convertedInquiries: {
    description: "Of those inquiries, the ones whose wedding has a booking of the same service.",
    measures: { inquiries: ["converted"] },
    sql: "sum_converted",
    money: false,
  },
  conversionRate: {
    description: "convertedInquiries / inquiries, between 0 and 1; null when there are no inquiries.",
    measures: { inquiries: ["converted", "inquiries"] },
    sql: ratio("sum_converted", "sum_inquiries"),
    money: false,
  },
} as const satisfies Record<string, MetricDefinition>;

/** The name of a metric. */
export type MetricName = keyof typeof METRICS;
/** Every metric name, in documentation order. */
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];

/** The sources a metric reads. */
export function sourcesOf(metric: MetricName): SourceName[] {
  return Object.keys(METRICS[metric].measures) as SourceName[];
}
