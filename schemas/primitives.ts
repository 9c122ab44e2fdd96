import { z } from "zod";

/** Every ISO 4217 code the runtime knows; producers may not invent currencies. */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/**
 * True when a string can be stored as it is by Postgres and ClickHouse: well-formed Unicode (no unpaired UTF-16
 * surrogate, which has no UTF-8 encoding) and no NUL character (Postgres text cannot hold one).
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/** The message of a string refused by isStorableText, naming which of its two rules it breaks. */
function storableTextMessage(value: unknown): string {
  return typeof value === "string" && value.includes("\u0000")
    ? "must not contain NUL (\\u0000) characters"
    : "must be well-formed Unicode (it holds an unpaired UTF-16 surrogate)";
}

/** The check every text field ends with: refuses what the stores cannot hold, naming the rule broken. */
const storable = { error: (issue: { input: unknown }) => storableTextMessage(issue.input) };

/** A producer-chosen identifier: 1–64 characters, no control characters, well-formed Unicode. */
export const Id = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern is about
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters")
  .refine(isStorableText, storable);

/** An ISO 4217 currency code such as "GBP". */
export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be a three-letter upper-case ISO 4217 code")
  .refine((code) => ISO_CURRENCIES.has(code), "is not an ISO 4217 currency code");

/** The largest amount in minor units we accept: 10^13 (a hundred billion in a 2-decimal currency). */
export const MAX_MINOR_UNITS = 10_000_000_000_000;

const minorUnits = z
  .number()
  .int("must be an integer number of minor units")
  .max(MAX_MINOR_UNITS, `must be at most ${MAX_MINOR_UNITS}`);

/** Money ≥ 0 in integer minor units with its currency. */
export const Money = z.strictObject({
  amount: minorUnits.min(0, "must not be negative"),
  currency: Currency,
});

/** Money > 0 in integer minor units with its currency. */
export const PositiveMoney = z.strictObject({
  amount: minorUnits.min(1, "must be greater than zero"),
  currency: Currency,
});

/** True when y-m-d names a day that exists in the proleptic Gregorian calendar. */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days && year >= 1900 && year <= 2299;
}

/** An ISO calendar date (YYYY-MM-DD) that exists: 2028-02-29 is valid, 2027-02-30 is not. */
export const CalendarDate = z
  .string()
  .refine(isCalendarDate, "must be an existing calendar date YYYY-MM-DD between 1900 and 2299")
  .meta({ format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$" });

/** The first and last instants the stores can hold (ClickHouse DateTime64 covers 1900–2299; so do calendar dates). */
const FIRST_INSTANT = Date.UTC(1900, 0, 1);
const LAST_INSTANT = Date.UTC(2300, 0, 1) - 1;

/**
 * An ISO 8601 instant with an explicit offset on an existing day, e.g. 2026-06-13T14:03:00Z, from 1900 to 2299 in UTC
 * (an offset can move a written year 0000 or 9999 out of what Postgres and ClickHouse hold).
 */
export const Instant = z.iso
  .datetime({
    offset: true,
    message: "must be an ISO 8601 date-time with a time zone on an existing day, e.g. 2026-06-13T14:03:00Z",
  })
  .refine(
    (value) => {
      // Text that is no instant at all has its own message above.
      const at = Date.parse(value);
      return Number.isNaN(at) || (at >= FIRST_INSTANT && at <= LAST_INSTANT);
    },
    { message: "must be between 1900-01-01T00:00:00Z and 2299-12-31T23:59:59.999Z", abort: true },
  );

/** What a booking, expense or budget is for. */
export const Service = z.enum([
  "venue",
  "photography",
  "videography",
  "catering",
  "florist",
  "music",
  "attire",
  "cake",
  "planner",
  "transport",
  "other",
]);

/** Free text such as a region or a reason: 1–200 characters of well-formed Unicode without NUL. */
export const Text = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine(isStorableText, storable);

export type Money = z.infer<typeof Money>;
export type Service = z.infer<typeof Service>;
