const factors = new Map<string, number>();

/** Minor units in one major unit of a currency: 100 for GBP, 1 for JPY (from the runtime's ISO 4217 data). */
export function minorPerMajor(currency: string): number {
  let factor = factors.get(currency);
  if (factor === undefined) {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    factor = 10 ** (digits ?? 2);
    factors.set(currency, factor);
  }
  return factor;
}

/** An amount in minor units rounded to whole major units (never below zero). */
export function roundToMajor(minor: number, currency: string): number {
  const factor = minorPerMajor(currency);
  return Math.max(0, Math.round(minor / factor) * factor);
}

/** An amount in minor units rounded down to whole major units (never below zero). */
export function floorToMajor(minor: number, currency: string): number {
  const factor = minorPerMajor(currency);
  return Math.max(0, Math.floor(minor / factor) * factor);
}

/** Another currency than `currency`, for injecting currency mismatches. */
export function otherCurrency(currency: string): string {
  return currency === "EUR" ? "USD" : "EUR";
}
