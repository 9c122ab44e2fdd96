import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, isCalendarDate, parseEvent, partitionKey } from "./index.ts";

const examples = JSON.parse(readFileSync(new URL("./examples/events.json", import.meta.url), "utf8")) as Record<
  string,
  any
>[];
const byType = (type: string) => structuredClone(examples.find((e) => e.type === type)!);

describe("the v1 event contract", () => {
  it("accepts the producers' example of every type", () => {
    expect(new Set(examples.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    for (const example of examples) expect(parseEvent(example)).toMatchObject({ ok: true });
  });

  it("never throws and always names a path for arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const outcome = parseEvent(value);
        if (outcome.ok) return;
        expect(outcome.errors.length).toBeGreaterThan(0);
        for (const error of outcome.errors) {
          expect(error.path).toMatch(/^\$/);
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rejects every example with a field removed, naming that field", () => {
    for (const example of examples) {
      for (const field of ["id", "type", "occurredAt", "source", "data"]) {
        const broken = structuredClone(example);
        delete broken[field];
        const outcome = parseEvent(broken);
        expect(outcome.ok).toBe(false);
        if (!outcome.ok && field !== "type") expect(outcome.errors.map((e) => e.path)).toContain(`$.${field}`);
      }
    }
  });

  it("rejects mutated money with the exact path and keeps other fields' errors too", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noInteger: true, noNaN: true, min: -1e6, max: 1e6 }),
          fc.integer({ max: -1 }),
          fc.string(),
          fc.constant(null),
        ),
        fc.string({ minLength: 0, maxLength: 5 }).filter((c) => !/^[A-Z]{3}$/.test(c)),
        (amount, currency) => {
          const payment = byType("payment.received");
          payment.data.amount = { amount, currency };
          const outcome = parseEvent(payment);
          expect(outcome.ok).toBe(false);
          if (outcome.ok) return;
          const paths = outcome.errors.map((e) => e.path);
          expect(paths).toContain("$.data.amount.amount");
          expect(paths).toContain("$.data.amount.currency");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects a zero payment and accepts a zero contract value", () => {
    const payment = byType("payment.received");
    payment.data.amount.amount = 0;
    expect(parseEvent(payment)).toMatchObject({ ok: false, errors: [{ path: "$.data.amount.amount" }] });
    const booking = byType("booking.created");
    booking.data.contractValue.amount = 0;
    expect(parseEvent(booking).ok).toBe(true);
  });

  it("knows the calendar: leap days, month lengths", () => {
    expect(isCalendarDate("2028-02-29")).toBe(true);
    expect(isCalendarDate("2027-02-29")).toBe(false);
    expect(isCalendarDate("2027-02-30")).toBe(false);
    expect(isCalendarDate("2100-02-29")).toBe(false);
    expect(isCalendarDate("2000-02-29")).toBe(true);
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2299 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
          const roundTrip = new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === text;
          expect(isCalendarDate(text)).toBe(roundTrip);
          const booking = byType("booking.created");
          booking.data.weddingDate = text;
          expect(parseEvent(booking).ok).toBe(roundTrip);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("takes instants from 1900 to 2299 in UTC only, what the stores hold, whatever the offset written", () => {
    const at = (occurredAt: string) => parseEvent({ ...byType("payment.received"), occurredAt });
    for (const inside of ["1900-01-01T00:00:00Z", "2299-12-31T23:59:59.999Z", "1900-01-01T00:30:00-01:00"])
      expect(at(inside).ok).toBe(true);
    for (const outside of [
      "0000-01-01T00:00:00Z",
      "1900-01-01T00:30:00+01:00",
      "9999-12-31T23:59:59-01:00",
      "2300-01-01T00:00:00Z",
    ]) {
      expect(at(outside)).toEqual({
        ok: false,
        errors: [{ path: "$.occurredAt", message: expect.stringContaining("between 1900") }],
      });
    }
  });

  it("takes an event id in lower case, so the same UUID in either case is one event", () => {
    const upper = { ...byType("payment.received"), id: "16FD2706-8BAF-433B-82EB-8C7FADA847DA" };
    expect(parseEvent(upper)).toMatchObject({ ok: true, event: { id: "16fd2706-8baf-433b-82eb-8c7fada847da" } });
  });

  it("rejects unknown types and versions with a reason", () => {
    const unknownType = { ...byType("payment.received"), type: "payment.teleported" };
    expect(parseEvent(unknownType)).toMatchObject({
      ok: false,
      errors: [{ path: "$.type", message: expect.stringContaining("unknown event type") }],
    });
    const v2 = { ...byType("payment.received"), version: 2 };
    expect(parseEvent(v2)).toMatchObject({
      ok: false,
      errors: [{ path: "$.version", message: expect.stringContaining("unknown schema version") }],
    });
    expect(parseEvent({ ...byType("payment.received"), version: 1 }).ok).toBe(true);
  });

  it("rejects unknown fields rather than silently dropping them", () => {
    const booking = byType("booking.created");
    booking.data.discount = 5;
    expect(parseEvent(booking)).toMatchObject({ ok: false, errors: [{ path: "$.data" }] });
  });

  it("requires booking.updated to change something", () => {
    const update = byType("booking.updated");
    delete update.data.guestCount;
    expect(parseEvent(update)).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringContaining("at least one") }],
    });
  });

  it("bounds strings and guest counts", () => {
    const booking = byType("booking.created");
    booking.data.bookingId = "x".repeat(65);
    booking.data.guestCount = 10_001;
    const outcome = parseEvent(booking);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.errors.map((e) => e.path).sort()).toEqual(["$.data.bookingId", "$.data.guestCount"]);
  });

  it("keys every event by its wedding, or an inquiry without one by the inquiry", () => {
    for (const example of examples) {
      const outcome = parseEvent(example);
      if (!outcome.ok) throw new Error("example invalid");
      expect(partitionKey(outcome.event)).toBe("wed-2027-0612-hart");
    }
    const inquiry = byType("inquiry.received");
    delete inquiry.data.weddingId;
    const outcome = parseEvent(inquiry);
    if (!outcome.ok) throw new Error("inquiry without wedding should be valid");
    expect(partitionKey(outcome.event)).toBe("inquiry:inq-5521");
  });
});
