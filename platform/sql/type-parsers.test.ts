import { describe, expect, it } from "vitest";
import { parseDate, parseInt8, parseNumeric } from "./type-parsers.ts";

describe("SQL type parsers", () => {
  it("gives int8 as a number when safe and a bigint otherwise", () => {
    expect(parseInt8("0")).toBe(0);
    expect(parseInt8("-9007199254740991")).toBe(-9007199254740991);
    expect(parseInt8("9007199254740992")).toBe(9007199254740992n);
  });

  it("gives numeric as a number only when the double holds it exactly", () => {
    expect(parseNumeric("12.50")).toBe(12.5);
    expect(parseNumeric("-0.000001")).toBe(-0.000001);
    expect(parseNumeric("9007199254740991")).toBe(9007199254740991);
    expect(parseNumeric("9007199254740993")).toBe("9007199254740993");
    expect(parseNumeric("1234567890.1234567")).toBe("1234567890.1234567");
    expect(parseNumeric("NaN")).toBe("NaN");
  });

  it("gives a date as UTC midnight whatever the process's time zone", () => {
    expect(parseDate("2028-02-29").toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });
});
