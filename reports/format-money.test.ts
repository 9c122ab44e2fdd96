import { describe, expect, it } from "vitest";
import {
  formatMoney,
  majorUnitsText,
  minorUnitExponent,
  spreadsheetMoneyFormat,
  toMajorUnits,
} from "./format-money.ts";

describe("minorUnitExponent", () => {
  it("knows how many decimals each currency has", () => {
    expect(minorUnitExponent("GBP")).toBe(2);
    expect(minorUnitExponent("JPY")).toBe(0);
    expect(minorUnitExponent("KWD")).toBe(3);
  });
});

describe("toMajorUnits and majorUnitsText", () => {
  it("divide by the currency's exponent", () => {
    expect(toMajorUnits(123_456, "GBP")).toBe(1234.56);
    expect(toMajorUnits(120_000, "JPY")).toBe(120_000);
    expect(toMajorUnits(1_500, "KWD")).toBe(1.5);
  });

  it("write exact decimals, small and negative ones included", () => {
    expect(majorUnitsText(5, "GBP")).toBe("0.05");
    expect(majorUnitsText(-5, "GBP")).toBe("-0.05");
    expect(majorUnitsText(0, "GBP")).toBe("0.00");
    expect(majorUnitsText(120_000, "JPY")).toBe("120000");
    expect(majorUnitsText(1, "KWD")).toBe("0.001");
    expect(majorUnitsText(9_007_199_254_740_991, "GBP")).toBe("90071992547409.91");
  });
});

describe("formatMoney", () => {
  it("formats minor units with the currency's symbol and decimals", () => {
    expect(formatMoney(123_450, "GBP")).toBe("£1,234.50");
    expect(formatMoney(120_000, "JPY")).toBe("JP¥120,000");
    expect(formatMoney(-300, "EUR")).toBe("-€3.00");
    expect(formatMoney(1_234_567, "KWD")).toBe("KWD\u00a01,234.567");
  });

  it("can show the ISO code instead of the symbol", () => {
    expect(formatMoney(123_450, "GBP", "code")).toBe("GBP\u00a01,234.50");
  });
});

describe("spreadsheetMoneyFormat", () => {
  it("puts the symbol where en-GB does and as many decimals as the exponent", () => {
    expect(spreadsheetMoneyFormat("GBP")).toBe('"£"#,##0.00');
    expect(spreadsheetMoneyFormat("JPY")).toBe('"JP¥"#,##0');
    expect(spreadsheetMoneyFormat("KWD")).toMatch(/^"KWD\s"#,##0\.000$/);
  });
});
