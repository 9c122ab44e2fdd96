import { describe, expect, it } from "vitest";
import { comparedPeriod, periodContaining } from "./comparison-periods.ts";

describe("periodContaining and comparedPeriod", () => {
  it("finds the month, quarter and year of a day, and the ones before", () => {
    expect(periodContaining("month", "2028-02-14")).toEqual({ from: "2028-02-01", to: "2028-02-29" });
    expect(comparedPeriod("month", { from: "2026-01-01", to: "2026-01-31" }, "previous")).toEqual({
      from: "2025-12-01",
      to: "2025-12-31",
    });
    expect(comparedPeriod("month", { from: "2026-03-01", to: "2026-03-31" }, "lastYear")).toEqual({
      from: "2025-03-01",
      to: "2025-03-31",
    });
    expect(periodContaining("quarter", "2026-08-31")).toEqual({ from: "2026-07-01", to: "2026-09-30" });
    expect(comparedPeriod("quarter", { from: "2026-01-01", to: "2026-03-31" }, "previous")).toEqual({
      from: "2025-10-01",
      to: "2025-12-31",
    });
    expect(periodContaining("year", "2026-06-13")).toEqual({ from: "2026-01-01", to: "2026-12-31" });
    expect(comparedPeriod("year", { from: "2026-01-01", to: "2026-12-31" }, "lastYear")).toEqual({
      from: "2025-01-01",
      to: "2025-12-31",
    });
  });

  it("puts January and February in the winter that began the December before", () => {
    expect(periodContaining("season", "2026-02-10")).toEqual({ from: "2025-12-01", to: "2026-02-28" });
    expect(periodContaining("season", "2025-12-01")).toEqual({ from: "2025-12-01", to: "2026-02-28" });
    expect(periodContaining("season", "2026-05-31")).toEqual({ from: "2026-03-01", to: "2026-05-31" });
    expect(periodContaining("season", "2026-06-01")).toEqual({ from: "2026-06-01", to: "2026-08-31" });
    expect(comparedPeriod("season", { from: "2026-03-01", to: "2026-05-31" }, "previous")).toEqual({
      from: "2025-12-01",
      to: "2026-02-28",
    });
    expect(comparedPeriod("season", { from: "2027-12-01", to: "2028-02-29" }, "lastYear")).toEqual({
      from: "2026-12-01",
      to: "2027-02-28",
    });
  });
});
