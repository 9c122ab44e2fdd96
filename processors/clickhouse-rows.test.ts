import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Instant } from "../schemas/index.ts";
import { toClickHouseTime } from "./clickhouse-rows.ts";

/** What toClickHouseTime must always equal: the instant parsed and written out in UTC with milliseconds. */
const viaDate = (iso: string) => new Date(iso).toISOString().replace("T", " ").replace("Z", "");

describe("toClickHouseTime", () => {
  const instants = fc.date({
    min: new Date("1900-01-01T00:00:00Z"),
    max: new Date("2299-12-31T23:59:59.999Z"),
    noInvalidDate: true,
  });

  it("writes every valid instant as Date would, in every form the schema accepts", () => {
    fc.assert(
      fc.property(
        instants,
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom("ms", "s", "offset", "µs"),
        (date, offsetMinutes, form) => {
          const utc = date.toISOString();
          let iso = utc;
          if (form === "s") iso = utc.replace(/\.\d{3}Z$/, "Z");
          if (form === "µs") iso = utc.replace(/Z$/, "123Z");
          if (form === "offset") {
            const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
            const sign = offsetMinutes < 0 ? "-" : "+";
            const abs = Math.abs(offsetMinutes);
            iso = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
          }
          if (!Instant.safeParse(iso).success) return;
          expect(toClickHouseTime(iso)).toBe(viaDate(iso));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("keeps the milliseconds and fills them in when absent", () => {
    expect(toClickHouseTime("2026-06-13T14:03:00.123Z")).toBe("2026-06-13 14:03:00.123");
    expect(toClickHouseTime("2026-06-13T14:03:00Z")).toBe("2026-06-13 14:03:00.000");
    expect(toClickHouseTime("2026-06-13T23:30:00+02:00")).toBe("2026-06-13 21:30:00.000");
  });
});
