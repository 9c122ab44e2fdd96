import type { EventType, WedSyncEvent } from "../schemas/index.ts";
import type { Rng } from "./random.ts";

/** The ways makeSchemaInvalid can break an event, each one a violation the edge must name. */
export const SCHEMA_FAULTS = [
  "missing-field",
  "wrong-type",
  "float-money",
  "bad-currency",
  "impossible-date",
  "unknown-type",
  "bad-uuid",
  "extra-field",
] as const;

/** One way of breaking an event. */
export type SchemaFault = (typeof SCHEMA_FAULTS)[number];

/** A broken copy of an event, what was broken, and the path parseEvent must report (e.g. "$.data.amount.amount"). */
export interface SchemaInvalidEvent {
  value: Record<string, unknown>;
  fault: SchemaFault;
  path: string;
}

/** Fields every event of a type must carry in its data. */
const REQUIRED_DATA: Record<EventType, string[]> = {
  "booking.created": ["bookingId", "weddingId", "supplierId", "service", "weddingDate", "guestCount", "contractValue"],
  "booking.updated": ["bookingId", "weddingId"],
  "booking.cancelled": ["bookingId", "weddingId"],
  "payment.received": ["paymentId", "bookingId", "weddingId", "amount", "method"],
  "payment.refunded": ["refundId", "paymentId", "bookingId", "weddingId", "amount"],
  "expense.recorded": ["expenseId", "weddingId", "category", "amount", "incurredOn"],
  "budget.allocated": ["weddingId", "category", "amount"],
  "inquiry.received": ["inquiryId", "service", "channel"],
};

const MONEY_FIELDS = ["contractValue", "amount", "budget", "cancellationFee"];
const DATE_FIELDS = ["weddingDate", "incurredOn"];

/** The first of `fields` the data carries. */
function present(data: Record<string, unknown>, fields: string[]): string | undefined {
  return fields.find((field) => data[field] !== undefined);
}

/** Whether a fault can be applied to this event (float money needs a money field, for one). */
function applies(fault: SchemaFault, data: Record<string, unknown>): boolean {
  return (fault !== "float-money" && fault !== "bad-currency") || present(data, MONEY_FIELDS) !== undefined;
}

/**
 * Returns a copy of a valid event broken in exactly one way, with the path of the violation. The
 * fault is drawn from those that apply to the event unless one is asked for; asking for one that
 * cannot apply (float money on an event without money) throws a RangeError.
 */
export function makeSchemaInvalid(event: WedSyncEvent, rng: Rng, fault?: SchemaFault): SchemaInvalidEvent {
  const value = structuredClone(event) as unknown as Record<string, unknown> & { data: Record<string, unknown> };
  const data = value.data;
  const chosen = fault ?? rng.pick(SCHEMA_FAULTS.filter((candidate) => applies(candidate, data)));
  if (!applies(chosen, data)) throw new RangeError(`${chosen} cannot apply to a ${event.type} without money`);
  const result = (path: string): SchemaInvalidEvent => ({ value, fault: chosen, path });
  switch (chosen) {
    case "missing-field": {
      const field = rng.pick(REQUIRED_DATA[event.type]);
      delete data[field];
      return result(`$.data.${field}`);
    }
    case "wrong-type": {
      const field = REQUIRED_DATA[event.type][0]!;
      data[field] = rng.int(1, 99_999);
      return result(`$.data.${field}`);
    }
    case "float-money": {
      const field = present(data, MONEY_FIELDS)!;
      const money = data[field] as { amount: number };
      money.amount = money.amount / 100 + 0.01;
      return result(`$.data.${field}.amount`);
    }
    case "bad-currency": {
      const field = present(data, MONEY_FIELDS)!;
      const money = data[field] as { currency: string };
      money.currency = rng.chance(0.5) ? money.currency.toLowerCase() : "XYZ";
      return result(`$.data.${field}.currency`);
    }
    case "impossible-date": {
      const field = present(data, DATE_FIELDS);
      if (field === undefined) {
        value.occurredAt = "2027-02-30T10:00:00Z";
        return result("$.occurredAt");
      }
      data[field] = "2027-02-30";
      return result(`$.data.${field}`);
    }
    case "unknown-type":
      value.type = rng.pick(["booking.deleted", "payment.reversed", "Booking.Created"]);
      return result("$.type");
    case "bad-uuid": {
      const id = value.id as string;
      value.id = rng.chance(0.5) ? id.slice(0, -1) : `${id.slice(0, 14)}z${id.slice(15)}`;
      return result("$.id");
    }
    case "extra-field":
      // The tenant comes from the API key, so an orgId in the body is a classic producer mistake.
      if (rng.chance(0.5)) {
        value.orgId = "org-from-body";
        return result("$");
      }
      data.note = "not part of the contract";
      return result("$.data");
  }
}
