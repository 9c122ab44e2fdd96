import { SOURCE_NAMES, type SourceName } from "./fact-sources.ts";

/** Time buckets an aggregation can be split into; each bucket is named by its first day. */
export const INTERVALS = ["day", "week", "month", "quarter", "year"] as const;
/** A time bucket size. */
export type Interval = (typeof INTERVALS)[number];

/** Which date of a fact places it in time: when it happened, or the date of its wedding. */
export const DATE_FIELDS = ["occurred", "wedding"] as const;
/** A date a fact can be placed by. */
export type DateField = (typeof DATE_FIELDS)[number];

/** The SQL of each bucket over the fact's chosen date `f_day` (weeks start on Monday). */
export const INTERVAL_SQL: Record<Interval, string> = {
  day: "f_day",
  week: "toMonday(f_day)",
  month: "toStartOfMonth(f_day)",
  quarter: "toStartOfQuarter(f_day)",
  year: "toStartOfYear(f_day)",
};

/** What every dimension has. */
interface DimensionBase {
  description: string;
  /** Its SQL over a source's fact columns (and `f_day`, the chosen date). */
  sql: string;
  /** The sources that have it. */
  sources: readonly SourceName[];
}

/** Something rows can be grouped and filtered by: text ('' when not given, returned as null), or an integer. */
export type DimensionDefinition =
  | (DimensionBase & { type: "string"; paramType: "String" })
  | (DimensionBase & {
      type: "integer";
      /** Bound as UInt16, so a filter value outside the range is refused before it reaches ClickHouse. */
      paramType: "UInt16";
      /** The values it can take, inclusive. */
      range: readonly [min: number, max: number];
    });

const ALL: readonly SourceName[] = SOURCE_NAMES;
const BOOKED: readonly SourceName[] = ["bookings", "cancellations", "payments", "refunds"];

/** Every dimension of the aggregation request, by name. */
export const DIMENSIONS = {
  service: {
    description:
      "The service booked or asked about (payments and refunds: their booking's; null until their booking exists).",
    type: "string",
    paramType: "String",
    sql: "f_service",
    sources: [...BOOKED, "inquiries"],
  },
  supplier: {
    description: "The supplier id of the booking; null for payments and refunds whose booking does not exist (yet).",
    type: "string",
    paramType: "String",
    sql: "f_supplier",
    sources: BOOKED,
  },
  region: {
    description: "The booking's region; null when not given.",
    type: "string",
    paramType: "String",
    sql: "f_region",
    sources: BOOKED,
  },
  venue: {
    description: "The booking's venue id; null when not given.",
    type: "string",
    paramType: "String",
    sql: "f_venue",
    sources: BOOKED,
  },
  wedding: {
    description: "The wedding id; null for inquiries that named none.",
    type: "string",
    paramType: "String",
    sql: "f_wedding",
    sources: ALL,
  },
  currency: {
    description: "ISO 4217 currency of the money; always part of the grouping when a money metric is asked for.",
    type: "string",
    paramType: "String",
    sql: "f_currency",
    sources: ["bookings", "cancellations", "payments", "refunds", "expenses", "budgets"],
  },
  channel: {
    description: "Where an inquiry came from.",
    type: "string",
    paramType: "String",
    sql: "f_channel",
    sources: ["inquiries"],
  },
  category: {
    description: "The budget or expense category.",
    type: "string",
    paramType: "String",
    sql: "f_category",
    sources: ["expenses", "budgets"],
  },
  paymentMethod: {
    description: "How a payment was made.",
    type: "string",
    paramType: "String",
    sql: "f_method",
    sources: ["payments"],
  },
  paymentKind: {
    description: "Where a payment sits in its booking's schedule: deposit, instalment or final; null when not given.",
    type: "string",
    paramType: "String",
    sql: "f_kind",
    sources: ["payments"],
  },
  weekday: {
    description: "ISO day of the week of the chosen date: 1 = Monday … 7 = Sunday.",
    type: "integer",
    paramType: "UInt16",
    range: [1, 7],
    sql: "toDayOfWeek(f_day)",
    sources: ALL,
  },
  weddingMonth: {
    description: "Month of the year of the wedding date, 1–12; null when the wedding date is not known.",
    type: "integer",
    paramType: "UInt16",
    range: [1, 12],
    sql: "toMonth(f_wedding_day)",
    sources: ALL,
  },
} as const satisfies Record<string, DimensionDefinition>;

/** The name of a dimension. */
export type DimensionName = keyof typeof DIMENSIONS;
/** Every dimension name, in documentation order. */
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as [DimensionName, ...DimensionName[]];
