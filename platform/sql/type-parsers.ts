/**
 * How both SQL adapters turn Postgres text values into JavaScript, so pg and PGlite hand callers the same types.
 * PGlite's own defaults are the reference; pg is configured to match them, and both get the same int8 and numeric
 * rules below.
 */

/** Postgres type OIDs the adapters give their own parsers. */
export const PG_OID = {
  int8: 20,
  numeric: 1700,
  date: 1082,
  interval: 1186,
  textArray: 1009,
  int8Array: 1016,
  numericArray: 1231,
  dateArray: 1182,
} as const;

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+)(?:\.(\d+))?$/;
/** Decimal digits every IEEE double holds exactly (DBL_DIG). */
const EXACT_DIGITS = 15;

/** int8 (bigint, count(*)) as a number when it is a safe integer, otherwise a bigint: never silently rounded. */
export function parseInt8(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

/**
 * numeric (sum of bigint, avg, decimals) as a number when the double holds it exactly (a safe integer, or at most
 * 15 significant digits), otherwise the exact text, so money sums are never rounded behind the caller's back.
 */
export function parseNumeric(text: string): number | string {
  if (INTEGER.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  const match = DECIMAL.exec(text);
  if (match === null) return text;
  const digits = `${match[1]}${match[2] ?? ""}`.replace(/^0+/, "");
  return digits.length <= EXACT_DIGITS ? Number(text) : text;
}

/** date as a Date at UTC midnight of that day (PGlite's behaviour; pg would use the process's time zone). */
export function parseDate(text: string): Date {
  return new Date(text);
}
