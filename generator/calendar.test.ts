import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  dayName,
  dayNumber,
  firstOfMonth,
  formatDay,
  formatInstant,
  monthOf,
  mondayOf,
  weekdayOf,
} from "./calendar.ts";

describe("calendar", () => {
  it("reads and spells calendar dates, refusing ones that do not exist", () => {
    expect(formatDay(dayNumber("2028-02-29"))).toBe("2028-02-29");
    expect(dayName(dayNumber("2026-06-13"))).toBe("2026-06-13");
    expect(() => dayNumber("2027-02-30")).toThrow(RangeError);
    expect(() => dayNumber("2026-6-1")).toThrow(RangeError);
  });

  it("knows weekdays, Mondays and months as ClickHouse does", () => {
    expect(weekdayOf(dayNumber("2026-06-13"))).toBe(5);
    expect(weekdayOf(dayNumber("2026-06-28"))).toBe(6);
    expect(formatDay(mondayOf(dayNumber("2026-06-28")))).toBe("2026-06-22");
    expect(formatDay(mondayOf(dayNumber("2026-06-29")))).toBe("2026-06-29");
    expect(formatDay(firstOfMonth(dayNumber("2026-07-31")))).toBe("2026-07-01");
    for (let day = dayNumber("1999-12-01"); day < dayNumber("2031-03-01"); day++) {
      expect(monthOf(day)).toBe(new Date(day * DAY_MS).getUTCMonth());
    }
  });

  it("spells instants to the second like toISOString", () => {
    for (const iso of ["2026-06-13T14:03:00Z", "2026-01-01T00:00:00Z", "2028-02-29T23:59:59Z"]) {
      expect(formatInstant(Date.parse(iso))).toBe(iso);
    }
    expect(formatInstant(Date.parse("2026-06-13T14:03:07.900Z"))).toBe("2026-06-13T14:03:07Z");
  });
});
