/** How a currency is shown beside an amount: its en-GB symbol (£, JP¥) or its ISO code (GBP). */
export type CurrencyDisplay = "symbol" | "code";

// Building an Intl.NumberFormat costs about 20 µs, which a per-row export of a million amounts cannot pay per row.
// Only well-formed three-letter codes get past Intl, so the cache holds at most 26³ entries (a handful in practice).
const exponents = new Map<string, number>();

/** Digits after the decimal point in a currency's major unit: 2 for GBP, 0 for JPY, 3 for KWD. */
export function minorUnitExponent(currency: string): number {
  let exponent = exponents.get(currency);
  if (exponent === undefined) {
    exponent =
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, exponent);
  }
  return exponent;
}

/** An amount in integer minor units as a number of major units (1234 GBP pence → 12.34). */
export function toMajorUnits(amount: number, currency: string): number {
  return amount / 10 ** minorUnitExponent(currency);
}

/**
 * The exact decimal text of an amount in major units ("12.34", "-0.05", "1200"). Built from the
 * integer digits rather than by dividing, so no float rounding reaches what people read.
 */
export function majorUnitsText(amount: number, currency: string): `${number}` {
  const exponent = minorUnitExponent(currency);
  const digits = Math.abs(Math.trunc(amount))
    .toString()
    .padStart(exponent + 1, "0");
  const sign = amount < 0 ? "-" : "";
  const text = exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return text as `${number}`;
}

/** An amount in integer minor units for people: "£1,234.50", "JP¥120,000", "-CHF 3.00". */
export function formatMoney(amount: number, currency: string, display: CurrencyDisplay = "symbol"): string {
  const exponent = minorUnitExponent(currency);
  const format = new Intl.NumberFormat("en-GB", {
    style: "currency",
    currency,
    currencyDisplay: display,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // Node's Intl formats a decimal string exactly (no conversion through a float).
  return format.format(majorUnitsText(amount, currency));
}

/**
 * A spreadsheet number format for major-unit amounts of a currency, with its symbol where
 * en-GB puts it and as many decimals as its exponent: `"£"#,##0.00`, `"JP¥"#,##0`, `"CHF "#,##0.00`.
 */
export function spreadsheetMoneyFormat(currency: string): string {
  const exponent = minorUnitExponent(currency);
  const parts = new Intl.NumberFormat("en-GB", { style: "currency", currency }).formatToParts(1);
  const firstNumber = parts.findIndex((part) => part.type === "integer");
  const isAffix = (part: Intl.NumberFormatPart) => part.type === "currency" || part.type === "literal";
  const prefix = parts
    .slice(0, firstNumber)
    .filter(isAffix)
    .map((part) => part.value)
    .join("");
  const suffix = parts
    .slice(firstNumber + 1)
    .filter(isAffix)
    .map((part) => part.value)
    .join("");
  const quote = (text: string) => (text === "" ? "" : `"${text.replaceAll('"', "")}"`);
  const number = exponent === 0 ? "#,##0" : `#,##0.${"0".repeat(exponent)}`;
  return `${quote(prefix)}${number}${quote(suffix)}`;
}
