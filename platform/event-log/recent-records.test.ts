import { describe, expect, it } from "vitest";
import type { LogRecord } from "./event-log.ts";
import { createRecentRecords } from "./recent-records.ts";

const records = (partition: number, from: number, count: number, size = 10): LogRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    topic: "t",
    partition,
    offset: from + i,
    key: "k",
    value: Buffer.alloc(size, from + i),
    timestamp: 1,
  }));
const offsets = (found: LogRecord[] | undefined) => found?.map((record) => record.offset);

describe("recent records", () => {
  it("answers reads inside the run of consecutive appends, up to the limit, and nothing outside it", () => {
    const recent = createRecentRecords(1_000_000);
    recent.add("t", 0, records(0, 100, 3));
    recent.add("t", 0, records(0, 103, 2));
    expect(offsets(recent.read("t", 0, 100, 10))).toEqual([100, 101, 102, 103, 104]);
    expect(offsets(recent.read("t", 0, 102, 2))).toEqual([102, 103]);
    expect(recent.read("t", 0, 99, 10)).toBeUndefined();
    expect(recent.read("t", 0, 105, 10)).toBeUndefined();
    expect(recent.read("t", 1, 100, 10)).toBeUndefined();
    expect(recent.read("other", 0, 100, 10)).toBeUndefined();
    expect(recent.read("t", 0, 100, 0)).toBeUndefined();
  });

  it("starts the run again when an append does not continue it (another process appended in between)", () => {
    const recent = createRecentRecords(1_000_000);
    recent.add("t", 0, records(0, 0, 5));
    recent.add("t", 0, records(0, 8, 2));
    expect(recent.read("t", 0, 0, 10)).toBeUndefined();
    expect(recent.read("t", 0, 5, 10)).toBeUndefined();
    expect(offsets(recent.read("t", 0, 8, 10))).toEqual([8, 9]);
  });

  it("holds at most its bytes per partition, letting the oldest go", () => {
    const perRecord = 100 + 1 + 128;
    const recent = createRecentRecords(perRecord * 50);
    for (let from = 0; from < 1000; from += 10) recent.add("t", 0, records(0, from, 10, 100));
    recent.add("t", 1, records(1, 0, 20, 100));
    expect(offsets(recent.read("t", 0, 950, 100))).toEqual(Array.from({ length: 50 }, (_, i) => 950 + i));
    expect(recent.read("t", 0, 949, 100)).toBeUndefined();
    expect(offsets(recent.read("t", 1, 0, 100))).toHaveLength(20);
    expect(recent.bytes()).toBe(perRecord * 70);
  });

  it("holds nothing when given no room", () => {
    const recent = createRecentRecords(0);
    recent.add("t", 0, records(0, 0, 5));
    expect(recent.read("t", 0, 0, 5)).toBeUndefined();
    expect(recent.bytes()).toBe(0);
  });
});
