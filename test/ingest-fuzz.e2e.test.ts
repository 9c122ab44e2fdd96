import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { parseEvent } from "../schemas/index.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// The ingest edge under hostile input, end to end (guarantee 3): generated bodies — valid events with one field broken
// in one of many ways, junk items, bytes that are not UTF-8 or not JSON, nesting a recursive parser would die on, bodies
// that are not what their headers say — are posted beside valid events. Every answer must be a 202/400/413/415 in one of
// the two documented shapes, naming exactly the items built invalid; every valid sibling must be accepted and then
// processed: in ClickHouse, not dead-lettered, the processors caught up.
//
// Each item's verdict is decided by how it was built, from the contract in DESIGN.md, not by asking the product. Only
// formats whose exact grammar is the schema library's (UUIDs, ISO instants, currency codes) are judged by the product's
// own parseEvent, and only when a mutation put a value of that kind there.
//
// FUZZ_SEED and FUZZ_RUNS widen a campaign by hand; CI runs the fixed seed.

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const BATCH_RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_BATCH_EVENTS = 500;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const EXAMPLES = JSON.parse(
  readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8"),
) as JsonObject[];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let dir: TempDir;
let app: App;
let apiKey: string;
let orgId: string;
/** Ids (lower case, as ClickHouse prints UUIDs) of every event the edge accepted: each must be processed. */
const accepted = new Set<string>();

beforeAll(async () => {
  dir = await makeTempDir("wedsync-ingest-fuzz");
  app = await startTestApp(dir.path, {
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    MAX_BATCH_EVENTS: String(MAX_BATCH_EVENTS),
  });
  ({ apiKey, orgId } = await createOrganisation(app.sql, "Ingest Fuzz"));
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

// ---------------------------------------------------------------------------------------------------------------------
// The contract, as DESIGN.md states it: every field of every type, what it must hold, and whether it may be left out.

const EVENT_TYPES = [
  "booking.created",
  "booking.updated",
  "booking.cancelled",
  "payment.received",
  "payment.refunded",
  "expense.recorded",
  "budget.allocated",
  "inquiry.received",
] as const;
type EventType = (typeof EVENT_TYPES)[number];

const SERVICES = [
  "venue",
  "photography",
  "videography",
  "catering",
  "florist",
  "music",
  "attire",
  "cake",
  "planner",
  "transport",
  "other",
];
const MAX_MINOR_UNITS = 10_000_000_000_000;

/**
 * What a field must hold. Ids are `free` (any value is fine downstream), `business` (names a new thing: a second event
 * reusing it is a conflict the processor dead-letters, so a valid generated one is made unique) or `reference` (names
 * the booking or payment of the same story: a valid generated one would name nothing, which the processor dead-letters
 * by design, so a generated one is always made invalid).
 */
type Rule =
  | { is: "uuid" }
  | { is: "type" }
  | { is: "instant" }
  | { is: "id"; role: "free" | "business" | "reference" }
  | { is: "text" }
  | { is: "enum"; values: readonly string[] }
  | { is: "date" }
  | { is: "int"; min: number; max: number }
  | { is: "currency" }
  | { is: "object" };

interface Field {
  path: string[];
  required: boolean;
  rule: Rule;
  /** Where its absence is reported, when that is a rule over several fields rather than the field itself. */
  missingAt?: string[];
}

const field = (path: string[], rule: Rule, required = true): Field => ({ path, rule, required });
const id = (name: string, role: "free" | "business" | "reference", required = true) =>
  field(["data", name], { is: "id", role }, required);
const oneOf = (name: string, values: readonly string[], required = true) =>
  field(["data", name], { is: "enum", values }, required);
const text = (name: string) => field(["data", name], { is: "text" }, false);
const date = (name: string, required = true) => field(["data", name], { is: "date" }, required);
const money = (name: string, min: 0 | 1, required = true): Field[] => [
  field(["data", name], { is: "object" }, required),
  field(["data", name, "amount"], { is: "int", min, max: MAX_MINOR_UNITS }),
  field(["data", name, "currency"], { is: "currency" }),
];
const guestCount = field(["data", "guestCount"], { is: "int", min: 0, max: 10_000 });

const ENVELOPE_FIELDS: Field[] = [
  field(["id"], { is: "uuid" }),
  field(["type"], { is: "type" }),
  field(["occurredAt"], { is: "instant" }),
  field(["source"], { is: "id", role: "free" }),
  field(["data"], { is: "object" }),
];

/** The data fields of each type, as the example of that type carries them (every optional field included). */
const DATA_FIELDS: Record<EventType, Field[]> = {
  "booking.created": [
    id("bookingId", "business"),
    id("weddingId", "free"),
    id("supplierId", "free"),
    id("clientId", "free", false),
    oneOf("service", SERVICES),
    date("weddingDate"),
    guestCount,
    ...money("contractValue", 0),
    id("venueId", "free", false),
    text("region"),
  ],
  // The example changes only the guest count, and an update must change something: here it is required, and its
  // absence breaks a rule of the whole data.
  "booking.updated": [
    id("bookingId", "reference"),
    id("weddingId", "reference"),
    { ...guestCount, missingAt: ["data"] },
  ],
  "booking.cancelled": [
    id("bookingId", "reference"),
    id("weddingId", "reference"),
    text("reason"),
    ...money("cancellationFee", 0, false),
  ],
  "payment.received": [
    id("paymentId", "business"),
    id("bookingId", "reference"),
    id("weddingId", "reference"),
    ...money("amount", 1),
    oneOf("method", ["card", "bank_transfer", "cash", "other"]),
    oneOf("kind", ["deposit", "instalment", "final"], false),
  ],
  "payment.refunded": [
    id("refundId", "business"),
    id("paymentId", "reference"),
    id("bookingId", "reference"),
    id("weddingId", "reference"),
    ...money("amount", 1),
  ],
  "expense.recorded": [
    id("expenseId", "business"),
    id("weddingId", "free"),
    oneOf("category", SERVICES),
    text("vendor"),
    ...money("amount", 1),
    date("incurredOn"),
  ],
  "budget.allocated": [id("weddingId", "free"), oneOf("category", SERVICES), ...money("amount", 0)],
  "inquiry.received": [
    id("inquiryId", "business"),
    id("weddingId", "free", false),
    oneOf("service", SERVICES),
    date("weddingDate", false),
    ...money("budget", 0, false),
    oneOf("channel", ["website", "referral", "marketplace", "social", "other"]),
  ],
};

const fieldsOf = (type: EventType) => [...ENVELOPE_FIELDS, ...DATA_FIELDS[type]];
/** The object at path in an event (every path of the catalogue leads to an object or a field of one). */
const valueAt = (event: JsonObject, path: string[]) => path.reduce((value, key) => value[key] as JsonObject, event);
const pathText = (path: string[]) => (path.length === 0 ? "$" : `$.${path.join(".")}`);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern is about
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** An ISO calendar date that exists, in the years the contract covers (1900–2299, as the JSON Schema says). */
function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1900 &&
    year <= 2299 &&
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day
  );
}

/** Characters as the contract counts them: code points, so an emoji is one, not two UTF-16 units. */
const characters = (value: string) => [...value].length;

/** Whether a string is valid where rule applies, or undefined where the format's grammar is the schema library's. */
function stringVerdict(rule: Rule, value: string, original: Json): boolean | undefined {
  switch (rule.is) {
    case "id":
      return (
        characters(value) >= 1 && characters(value) <= 64 && !CONTROL_CHARACTER.test(value) && value.isWellFormed()
      );
    case "text":
      return characters(value) >= 1 && characters(value) <= 200 && !value.includes("\u0000") && value.isWellFormed();
    case "enum":
      return rule.values.includes(value);
    case "date":
      return isCalendarDate(value);
    case "type":
      // Another type's name would not fit this type's data: only the type itself is valid.
      return value === original;
    default:
      return undefined;
  }
}

/** Whether a JSON number text is valid for an integer field: it must parse to an integer within the bounds. */
function numberVerdict(rule: Extract<Rule, { is: "int" }>, text: string): boolean {
  const value = Number(text);
  return Number.isInteger(value) && value >= rule.min && value <= rule.max;
}

// ---------------------------------------------------------------------------------------------------------------------
// Stories: a target event of each type with what it needs before it (a refund needs its payment and booking), each with
// fresh ids so that nothing it says collides with another story, and processing has no reason to dead-letter it.

const exampleOf = (type: EventType) => structuredClone(EXAMPLES.find((e) => e.type === type)!);

function story(type: EventType): { prereqs: JsonObject[]; target: JsonObject } {
  const ids = { weddingId: `wed-${randomUUID()}`, bookingId: `bk-${randomUUID()}`, paymentId: `pay-${randomUUID()}` };
  const event = (t: EventType, data: JsonObject): JsonObject => {
    const example = exampleOf(t);
    return { ...example, id: randomUUID(), data: { ...(example.data as JsonObject), ...data } };
  };
  const booking = event("booking.created", { bookingId: ids.bookingId, weddingId: ids.weddingId });
  switch (type) {
    case "booking.created":
      return { prereqs: [], target: booking };
    case "booking.updated":
    case "booking.cancelled":
      return { prereqs: [booking], target: event(type, { bookingId: ids.bookingId, weddingId: ids.weddingId }) };
    case "payment.received":
      return { prereqs: [booking], target: event(type, ids) };
    case "payment.refunded": {
      // Paid in full to the largest amount there is, so any valid refund amount a mutation leaves is refundable.
      const payment = event("payment.received", { ...ids, amount: { amount: MAX_MINOR_UNITS, currency: "GBP" } });
      return { prereqs: [booking, payment], target: event(type, { ...ids, refundId: `rf-${randomUUID()}` }) };
    }
    case "expense.recorded":
      return { prereqs: [], target: event(type, { expenseId: `exp-${randomUUID()}`, weddingId: ids.weddingId }) };
    case "budget.allocated":
      return { prereqs: [], target: event(type, { weddingId: ids.weddingId }) };
    case "inquiry.received":
      return { prereqs: [], target: event(type, { inquiryId: `inq-${randomUUID()}`, weddingId: ids.weddingId }) };
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Hostile values.

/** The reproductions of the issue, and strings chosen to break text handling, parsers and lookups. */
const HOSTILE_STRINGS = [
  "a\u0000b",
  "src\ud800",
  "r\ud83d",
  "\udfff",
  "\ud800\ud800",
  "\udc00\ud800",
  "x\udbff",
  "\u0000",
  "",
  " ",
  "\t",
  "\u007f",
  "\u001b[31mred\u001b[0m",
  "line\nbreak",
  "\r\n",
  "💍",
  "Zürich 💍",
  "\ufeff",
  "\ufffe\uffff",
  "\u2028\u2029",
  "\u200b",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "null",
  "NaN",
  "' OR 1=1 --",
  "{org:String}",
  "$1",
  "\\",
  '"',
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(200),
  "x".repeat(201),
  "😀".repeat(64),
  "😀".repeat(65),
  "😀".repeat(200),
  "😀".repeat(201),
];

/** Strings of arbitrary UTF-16 code units, lone surrogates, NUL and control characters favoured. */
const codeUnitStrings = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom(0, 0x1f, 0x7f, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffe),
    ),
    { maxLength: 70 },
  )
  .map((units) => String.fromCharCode(...units));

/** Very long strings, of one code unit repeated. */
const longStrings = fc
  .tuple(fc.constantFrom("x", "é", "😀", "\u0000", "\ud800"), fc.constantFrom(65, 201, 100_000))
  .map(([unit, n]) => unit.repeat(n));

const INSTANTS = [
  "2026-06-13T14:03:00.123456789Z",
  "2026-06-13T14:03:00+14:00",
  "2026-06-13T14:03:00-12:00",
  "2026-06-13T14:03:00+23:59",
  "2028-02-29T23:59:59.999Z",
  "1900-01-01T00:00:00Z",
  "2299-12-31T23:59:59Z",
  "1899-12-31T23:59:59Z",
  "2300-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+01:00",
  "9999-12-31T23:59:59-01:00",
  "1900-01-01T00:30:00+01:00",
  "2027-02-29T00:00:00Z",
  "2026-06-13T14:03:00",
  "2026-06-13T14:03Z",
  "2026-06-13 14:03:00Z",
  "2026-06-13t14:03:00z",
  "2026-06-13T24:00:00Z",
  "2026-13-01T00:00:00Z",
  "2026-06-13",
  "yesterday",
  "+002026-06-13T14:03:00Z",
];

const DATES = [
  "2028-02-29",
  "2000-02-29",
  "1900-01-01",
  "2299-12-31",
  "2027-02-29",
  "2027-02-30",
  "1900-02-29",
  "2100-02-29",
  "2026-04-31",
  "1899-12-31",
  "2300-01-01",
  "0000-00-00",
  "2026-6-1",
  "20260613",
  "2026-06-13T00:00:00Z",
  "２０２６-06-13",
];

const CURRENCIES = ["gbp", "Gbp", "GB", "GBPP", "ZZZ", "G\u0000P", "£", "GBP ", " GBP"];

/** Ways to spoil a UUID (and one way that keeps it: upper case, which RFC 9562 allows on input). */
const UUID_EDITS: Record<string, (uuid: string) => string> = {
  upperCase: (uuid) => uuid.toUpperCase(),
  noDashes: (uuid) => uuid.replaceAll("-", ""),
  braces: (uuid) => `{${uuid}}`,
  urn: (uuid) => `urn:uuid:${uuid}`,
  trailingNul: (uuid) => `${uuid}\u0000`,
  leadingSpace: (uuid) => ` ${uuid}`,
  versionZero: (uuid) => `${uuid.slice(0, 14)}0${uuid.slice(15)}`,
  tooLong: (uuid) => `${uuid}0`,
};

/** JSON number texts for integer fields: huge, negative, fractional, beyond 2^53, negative zero, exponent forms. */
const NUMBER_TEXTS = [
  "1e308",
  "-1e308",
  "1e400",
  "-0",
  "-0.0",
  "0",
  "1",
  "-1",
  "9007199254740993",
  "-9007199254740993",
  "1.5",
  "0.1",
  "1e-7",
  "1e-400",
  "120.0",
  "1E2",
  "10000",
  "10001",
  "10000000000000",
  "10000000000001",
  "2e13",
  "5e-324",
];

/** Wrong JSON types for a field: anything not a string, not a number, not an object, as the field needs. */
function wrongTypes(rule: Rule): Json[] {
  if (rule.is === "object") return [[], ["x"], "x", "{}", 42, true, null];
  if (rule.is === "int") return ["120", "", "1e3", "NaN", true, null, [], [120], {}];
  return [42, 0, -1, true, false, null, [], ["x"], {}, { x: 1 }];
}

/** Byte sequences that are not UTF-8: stray continuation bytes, truncated and overlong sequences, encoded surrogates. */
const NOT_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xe2, 0x82],
  [0xe2, 0x28, 0xa1],
  [0xf0, 0x9f, 0x92],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** Texts that are not JSON in a value's place (no newline: an NDJSON line must stay one line). */
const NOT_JSON = [
  "NaN",
  "Infinity",
  "-Infinity",
  "undefined",
  "'x'",
  "0x10",
  "01",
  "1.",
  ".5",
  "+1",
  "--1",
  '"a\u0000b"',
  '"tab\there"',
  '"\\x41"',
  '"\\u12"',
  "tru",
  "nul",
  "[1,]",
  '{"a":1,}',
  '"unterminated',
];

const nested = (depth: number, shape: "array" | "object") =>
  shape === "array" ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

// ---------------------------------------------------------------------------------------------------------------------
// Mutations: one way to break (or, for some, keep) one field of a story's target.

type Mutation =
  | { op: "remove"; field: Field }
  | { op: "retype"; field: Field; value: Json }
  | { op: "number"; field: Field; text: string }
  | { op: "string"; field: Field; value: string }
  | { op: "uuid"; edit: string }
  | { op: "unknownKey"; container: string[]; name: string; value: Json }
  | { op: "duplicateKey"; field: Field; value: Json; badLast: boolean }
  | { op: "arrayForObject"; container: string[] }
  | { op: "deepNesting"; field: Field; depth: number; shape: "array" | "object" }
  | { op: "notUtf8"; field: Field | null; bytes: number[] }
  | { op: "notJson"; field: Field; text: string };

const UNKNOWN_KEYS = [
  "extra",
  "ID",
  "Id",
  "bookingid",
  "",
  " ",
  "\u0000",
  "\ud800",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "__defineGetter__",
  "data",
];

function stringsFor(rule: Rule): fc.Arbitrary<string> {
  const hostile = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), codeUnitStrings, longStrings);
  switch (rule.is) {
    case "enum":
      return fc.oneof(
        fc.constantFrom(...rule.values, ...rule.values.map((v) => v.toUpperCase()), ...rule.values.map((v) => ` ${v}`)),
        hostile,
      );
    case "instant":
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...INSTANTS) }, { weight: 1, arbitrary: hostile });
    case "date":
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...DATES) }, { weight: 1, arbitrary: hostile });
    case "currency":
      return fc.oneof(fc.constantFrom(...CURRENCIES), hostile);
    case "type":
      return fc.oneof(
        fc.constantFrom(...EVENT_TYPES, "booking.Created", "booking.created ", "venue.registered", "booking"),
        hostile,
      );
    default:
      return hostile;
  }
}

function mutations(type: EventType): fc.Arbitrary<Mutation> {
  const fields = fieldsOf(type);
  const example = exampleOf(type);
  const objectPaths = [[], ...fields.filter((f) => f.rule.is === "object").map((f) => f.path)];
  const stringFields = fields.filter((f) => !["int", "object", "uuid"].includes(f.rule.is));
  const keysAt = (path: string[]) => Object.keys(valueAt(example, path));
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("remove" as const),
        field: fc.constantFrom(...fields.filter((f) => f.required)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...fields).chain((f) =>
        fc.record({
          op: fc.constant("retype" as const),
          field: fc.constant(f),
          value: fc.constantFrom(...wrongTypes(f.rule)),
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("number" as const),
        field: fc.constantFrom(...fields.filter((f) => f.rule.is === "int")),
        text: fc.constantFrom(...NUMBER_TEXTS),
      }),
    },
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...stringFields)
        .chain((f) =>
          fc.record({ op: fc.constant("string" as const), field: fc.constant(f), value: stringsFor(f.rule) }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("uuid" as const), edit: fc.constantFrom(...Object.keys(UUID_EDITS)) }),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...objectPaths).chain((container) =>
        fc.record({
          op: fc.constant("unknownKey" as const),
          container: fc.constant(container),
          name: fc.constantFrom(...UNKNOWN_KEYS.filter((key) => !keysAt(container).includes(key))),
          value: fc.constantFrom<Json>({ polluted: "yes" }, "x", 1, null, []),
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...fields).chain((f) =>
        fc.record({
          op: fc.constant("duplicateKey" as const),
          field: fc.constant(f),
          value: fc.constantFrom(...wrongTypes(f.rule)),
          badLast: fc.boolean(),
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("arrayForObject" as const), container: fc.constantFrom(...objectPaths) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("deepNesting" as const),
        field: fc.constantFrom(...fields),
        depth: fc.constantFrom(1_000, 100_000),
        shape: fc.constantFrom("array" as const, "object" as const),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("notUtf8" as const),
        field: fc.option(fc.constantFrom(...fields), { nil: null }),
        bytes: fc.constantFrom(...NOT_UTF8),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("notJson" as const),
        field: fc.constantFrom(...fields),
        text: fc.constantFrom(...NOT_JSON),
      }),
    },
  );
}

/**
 * JSON text with placeholders for what JSON.stringify cannot write: raw tokens (a number as typed, a nested structure,
 * a key such as "__proto__" that an object literal would not keep) replace a whole quoted placeholder, raw bytes (not
 * UTF-8) go inside a string's quotes.
 */
class Splices {
  private readonly parts: Uint8Array[] = [];

  /** A placeholder value (or key) standing for the JSON text `json`, written as it is. */
  raw(json: string): string {
    this.parts.push(encoder.encode(json));
    return `⟦raw:${this.parts.length - 1}⟧`;
  }

  /** A placeholder to put inside a string, standing for `bytes`. */
  bytes(bytes: number[]): string {
    this.parts.push(Uint8Array.from(bytes));
    return `⟦in:${this.parts.length - 1}⟧`;
  }

  /** The UTF-8 bytes of text with every placeholder replaced. */
  encode(text: string): Uint8Array {
    const out: Uint8Array[] = [];
    let last = 0;
    for (const match of text.matchAll(/"⟦raw:(\d+)⟧"|⟦in:(\d+)⟧/g)) {
      out.push(encoder.encode(text.slice(last, match.index)), this.parts[Number(match[1] ?? match[2])]!);
      last = match.index + match[0].length;
    }
    out.push(encoder.encode(text.slice(last)));
    return Buffer.concat(out);
  }
}

/**
 * What the edge must make of one item: `valid` (accepted), `duplicate` (a resend of an earlier item), `invalid`
 * (rejected at `path` or below), `notJson` / `notUtf8` (an NDJSON line rejected on its own; a JSON body refused whole).
 */
type Verdict = "valid" | "duplicate" | "invalid" | "notJson" | "notUtf8";

interface Item {
  bytes: Uint8Array;
  verdict: Verdict;
  /** Where the violation is, when the item was built invalid in one known place. */
  path?: string;
  /** What the mutation did, for failure messages. */
  label: string;
}

let uniqueSuffix = 0;

function itemOf(value: Json, verdict: Verdict, label: string): Item {
  return { bytes: encoder.encode(JSON.stringify(value)), verdict, label };
}

/** A JSON array of items, as bytes. */
function jsonArray(items: Item[]): Uint8Array {
  return Buffer.concat([
    encoder.encode("["),
    ...items.flatMap((item, i) => (i === 0 ? [item.bytes] : [encoder.encode(","), item.bytes])),
    encoder.encode("]"),
  ]);
}

/** The item a mutation makes of a target (changed in place). */
function mutate(target: JsonObject, mutation: Mutation): Item {
  const splices = new Splices();
  const label = JSON.stringify(mutation, (_, v: unknown) =>
    typeof v === "string" && v.length > 80 ? `${v.slice(0, 20)}…(${v.length})` : v,
  );
  const at = (path: string[]) => valueAt(target, path);
  const fieldAt = (f: Field) => ({ parent: at(f.path.slice(0, -1)), key: f.path.at(-1)!, path: pathText(f.path) });
  let verdict: Verdict | "judgedByParseEvent" = "invalid";
  let path: string | undefined;
  let value: Json = target;
  let after: number[] = [];

  switch (mutation.op) {
    case "remove": {
      const { parent, key, path: where } = fieldAt(mutation.field);
      delete parent[key];
      path = mutation.field.missingAt ? pathText(mutation.field.missingAt) : where;
      break;
    }
    case "retype": {
      const { parent, key, path: where } = fieldAt(mutation.field);
      parent[key] = mutation.value;
      path = where;
      break;
    }
    case "number": {
      const { parent, key, path: where } = fieldAt(mutation.field);
      parent[key] = splices.raw(mutation.text);
      verdict = numberVerdict(mutation.field.rule as Extract<Rule, { is: "int" }>, mutation.text) ? "valid" : "invalid";
      path = where;
      break;
    }
    case "string": {
      const { parent, key, path: where } = fieldAt(mutation.field);
      const { rule } = mutation.field;
      let text = mutation.value;
      let ok = stringVerdict(rule, text, parent[key]!);
      if (ok && rule.is === "id" && rule.role === "business") {
        text = `${text}#${uniqueSuffix++}`;
        ok = stringVerdict(rule, text, parent[key]!);
      }
      if (ok && rule.is === "id" && rule.role === "reference") {
        text = `${text}\u0000`;
        ok = false;
      }
      parent[key] = text;
      verdict = ok === undefined ? "judgedByParseEvent" : ok ? "valid" : "invalid";
      // Another type's name is refused for the data, which does not fit it.
      path = rule.is === "type" && (EVENT_TYPES as readonly string[]).includes(text) ? "$.data" : where;
      break;
    }
    case "uuid":
      target.id = UUID_EDITS[mutation.edit]!(target.id as string);
      verdict = "judgedByParseEvent";
      path = "$.id";
      break;
    case "unknownKey":
      at(mutation.container)[splices.raw(JSON.stringify(mutation.name))] = mutation.value;
      path = pathText(mutation.container);
      break;
    case "duplicateKey": {
      // JSON.parse keeps the last of two equal keys (ECMA-262): the bad copy first leaves the event valid.
      const { parent, key, path: where } = fieldAt(mutation.field);
      const entries = Object.entries(parent).flatMap(([k, v]): [string, Json][] => {
        if (k !== key) return [[k, v]];
        const copy: [string, Json] = [splices.raw(JSON.stringify(key)), mutation.value];
        return mutation.badLast ? [[k, v], copy] : [copy, [k, v]];
      });
      for (const k of Object.keys(parent)) delete parent[k];
      Object.assign(parent, Object.fromEntries(entries));
      verdict = mutation.badLast ? "invalid" : "valid";
      path = where;
      break;
    }
    case "arrayForObject":
      if (mutation.container.length === 0) value = [target];
      else {
        const parent = at(mutation.container.slice(0, -1));
        parent[mutation.container.at(-1)!] = [parent[mutation.container.at(-1)!]!];
      }
      path = pathText(mutation.container);
      break;
    case "deepNesting": {
      const { parent, key, path: where } = fieldAt(mutation.field);
      parent[key] = splices.raw(nested(mutation.depth, mutation.shape));
      path = where;
      break;
    }
    case "notUtf8":
      if (mutation.field === null) after = mutation.bytes;
      else {
        const { parent, key } = fieldAt(mutation.field);
        parent[key] = `ok${splices.bytes(mutation.bytes)}ok`;
      }
      verdict = "notUtf8";
      break;
    case "notJson": {
      const { parent, key } = fieldAt(mutation.field);
      parent[key] = splices.raw(mutation.text);
      verdict = "notJson";
      break;
    }
  }
  const bytes = Buffer.concat([splices.encode(JSON.stringify(value)), Uint8Array.from(after)]);
  if (verdict === "judgedByParseEvent")
    verdict = parseEvent(JSON.parse(decoder.decode(bytes))).ok ? "valid" : "invalid";
  return { bytes, verdict, ...(verdict === "invalid" ? { path } : {}), label };
}

/** Items that are not events at all. */
const JUNK: { label: string; text: () => string }[] = [
  { label: "number", text: () => "42" },
  { label: "null", text: () => "null" },
  { label: "true", text: () => "true" },
  { label: "string", text: () => '"booking.created"' },
  { label: "empty array", text: () => "[]" },
  { label: "empty object", text: () => "{}" },
  { label: "array of an event", text: () => JSON.stringify([story("budget.allocated").target]) },
  { label: "100k nested arrays", text: () => nested(100_000, "array") },
  { label: "100k nested objects", text: () => nested(100_000, "object") },
  { label: "1e999999", text: () => "1e999999" },
  { label: "10k digits", text: () => `-${"9".repeat(10_000)}` },
];

type Unit =
  | { unit: "valid"; type: EventType }
  | { unit: "mutated"; type: EventType; mutation: Mutation }
  | { unit: "junk"; junk: number }
  | { unit: "resend" };

const typeArb = fc.constantFrom(...EVENT_TYPES);

const unitArb: fc.Arbitrary<Unit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ unit: fc.constant("valid" as const), type: typeArb }) },
  {
    weight: 8,
    arbitrary: typeArb.chain((type) =>
      mutations(type).map((mutation) => ({ unit: "mutated" as const, type, mutation })),
    ),
  },
  { weight: 1, arbitrary: fc.record({ unit: fc.constant("junk" as const), junk: fc.nat(JUNK.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ unit: "resend" as const }) },
);

/** One request: its items in order, how the body is framed, and whether it is gzipped. */
const batchArb = fc.record({
  format: fc.oneof(
    { weight: 2, arbitrary: fc.constant("array" as const) },
    { weight: 2, arbitrary: fc.constant("ndjson" as const) },
    { weight: 1, arbitrary: fc.constant("single" as const) },
  ),
  gzip: fc.boolean(),
  charset: fc.boolean(),
  lineEnd: fc.constantFrom("\n", "\r\n"),
  blankLines: fc.boolean(),
  units: fc.array(unitArb, { minLength: 1, maxLength: 6 }),
});
type Batch = typeof batchArb extends fc.Arbitrary<infer T> ? T : never;

function itemsOf(units: Unit[]): Item[] {
  const items: Item[] = [];
  for (const unit of units) {
    if (unit.unit === "junk") {
      const junk = JUNK[unit.junk]!;
      items.push({ bytes: encoder.encode(junk.text()), verdict: "invalid", label: `junk: ${junk.label}` });
      continue;
    }
    if (unit.unit === "resend") {
      const earlier = items.findLast((item) => item.verdict === "valid");
      if (earlier) items.push({ ...earlier, verdict: "duplicate", label: `resend of ${earlier.label}` });
      continue;
    }
    const { prereqs, target } = story(unit.type);
    items.push(...prereqs.map((event) => itemOf(event, "valid", `prereq ${event.type}`)));
    items.push(unit.unit === "valid" ? itemOf(target, "valid", `valid ${unit.type}`) : mutate(target, unit.mutation));
  }
  return items;
}

/** The body of a batch, its headers, and the framing actually used (a single item that is an object goes alone). */
function bodyOf(batch: Batch, items: Item[]): { body: Uint8Array; headers: Record<string, string>; ndjson: boolean } {
  const ndjson = batch.format === "ndjson";
  let body: Uint8Array;
  if (ndjson) {
    const lines = items.flatMap((item) => (batch.blankLines ? [encoder.encode(" \t"), item.bytes] : [item.bytes]));
    body = Buffer.concat(lines.flatMap((line) => [line, encoder.encode(batch.lineEnd)]));
  } else if (batch.format === "single" && items.length === 1 && items[0]!.bytes[0] === "{".charCodeAt(0)) {
    body = items[0]!.bytes;
  } else {
    body = jsonArray(items);
  }
  const mediaType = ndjson ? "application/x-ndjson" : "application/json";
  const headers: Record<string, string> = { "content-type": batch.charset ? `${mediaType}; charset=utf-8` : mediaType };
  if (batch.gzip) {
    body = gzipSync(body);
    headers["content-encoding"] = "gzip";
  }
  return { body, headers, ndjson };
}

// ---------------------------------------------------------------------------------------------------------------------
// Answers.

const JSON_TYPE = { "content-type": "application/json" };
const NDJSON_TYPE = { "content-type": "application/x-ndjson" };

const Violation = z.strictObject({ path: z.string().min(1), message: z.string().min(1) });
const IngestResult = z.strictObject({
  accepted: z.int().min(0),
  duplicates: z.int().min(0),
  rejected: z.array(
    z.strictObject({ index: z.int().min(0), id: z.string().nullable(), errors: z.array(Violation).min(1) }),
  ),
});
const ErrorDetail = z.strictObject({ code: z.string(), message: z.string().min(1), details: z.unknown().optional() });
const ErrorBody = z.strictObject({ error: ErrorDetail });
const NoneValid = z.strictObject({
  ...IngestResult.shape,
  error: ErrorDetail.extend({ code: z.literal("invalid_events") }),
});

/** The documented shapes of each status POST /v1/events may answer with; any other status fails the suite. */
const SHAPES: Record<number, z.ZodType> = {
  202: IngestResult,
  400: z.union([NoneValid, ErrorBody.extend({ error: ErrorDetail.extend({ code: z.literal("invalid_request") }) })]),
  413: ErrorBody.extend({ error: ErrorDetail.extend({ code: z.literal("payload_too_large") }) }),
  415: ErrorBody.extend({ error: ErrorDetail.extend({ code: z.literal("unsupported_media_type") }) }),
};

type IngestAnswer = z.infer<typeof IngestResult> & { error?: { code: string; message: string } };

/** Posts a body as the fuzz organisation; fails on any status or body outside the documented ones. */
async function post(
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; body: IngestAnswer }> {
  const res = await app.http.request("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, ...headers },
    body,
  });
  const text = await res.text();
  const shape = SHAPES[res.status];
  expect(shape, `status ${res.status}: ${text.slice(0, 1000)}`).toBeDefined();
  const parsed = shape!.safeParse(JSON.parse(text));
  expect(parsed.success, `status ${res.status} with a body of no documented shape: ${text.slice(0, 1000)}`).toBe(true);
  // Keys such as "__proto__" arrive as data: none may reach a prototype in the server (this process).
  expect(Object.prototype).not.toHaveProperty("polluted");
  return { status: res.status, body: parsed.data as IngestAnswer };
}

/** The id the edge echoes for a rejected item: its `id` when that is a string, cut to 100 code units. */
function echoedId(item: Item): string | null {
  if (item.verdict === "notJson" || item.verdict === "notUtf8") return null;
  const value = JSON.parse(decoder.decode(item.bytes)) as unknown;
  const id = value !== null && typeof value === "object" ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id.slice(0, 100) : null;
}

/** Records the valid items of an accepted request as accepted (they must all be processed). */
function remember(items: Item[]) {
  for (const item of items) {
    if (item.verdict === "valid")
      accepted.add((JSON.parse(decoder.decode(item.bytes)) as { id: string }).id.toLowerCase());
  }
}

/** Posts a valid story and expects every event of it accepted: the edge still works after whatever came before. */
async function postValidStory(type: EventType) {
  const { prereqs, target } = story(type);
  const items = [...prereqs, target].map((event) => itemOf(event, "valid", event.type as string));
  expect(await post(jsonArray(items), JSON_TYPE)).toEqual({
    status: 202,
    body: { accepted: items.length, duplicates: 0, rejected: [] },
  });
  remember(items);
}

// ---------------------------------------------------------------------------------------------------------------------
// Whole bodies: refused (or, for the framings the contract allows, accepted) as one.

interface WholeBody {
  label: string;
  body: Uint8Array;
  headers: Record<string, string>;
  /** The answer; a body over the size limit is a 413 whatever it holds. */
  expect: { status: number; code: string | undefined };
  /** The valid items of a body that is accepted. */
  items?: Item[];
}

const refused = (status: number, code: string) => ({ status, code });

/** A few valid events, as items, and a JSON array of them. */
function validBatch(): { items: Item[]; text: string } {
  const items = (["booking.created", "budget.allocated", "inquiry.received"] as const).map((type) =>
    itemOf(story(type).target, "valid", type),
  );
  return { items, text: decoder.decode(jsonArray(items)) };
}

const WHOLE_BODIES: { name: string; runs: number; arb: fc.Arbitrary<WholeBody> }[] = [
  {
    name: "empty or blank",
    runs: 8,
    arb: fc
      .record({ text: fc.constantFrom("", " ", "\n\n", "\r\n", " \t\n", "[]", "[ ]"), ndjson: fc.boolean() })
      .map(({ text, ndjson }) => ({
        label: JSON.stringify(text),
        body: encoder.encode(text),
        headers: ndjson ? NDJSON_TYPE : JSON_TYPE,
        // "[]" is one NDJSON line that is not an event; in JSON it is a batch of none.
        expect:
          ndjson && text.trim().startsWith("[") ? refused(400, "invalid_events") : refused(400, "invalid_request"),
      })),
  },
  {
    name: "JSON values that are not events",
    runs: 10,
    arb: fc
      .constantFrom(
        "null",
        "42",
        "true",
        '"booking.created"',
        "{}",
        "[null]",
        "[1e308,-1e308,5e-324]",
        "1e999999",
        `-${"9".repeat(1_000_000)}`,
        `"${"x".repeat(3_000_000)}"`,
      )
      .map((text) => ({
        label: text.slice(0, 40),
        body: encoder.encode(text),
        headers: JSON_TYPE,
        expect: refused(400, "invalid_events"),
      })),
  },
  {
    name: "framing that does not match the media type",
    runs: 6,
    arb: fc
      .constantFrom("NDJSON sent as JSON", "a JSON array sent as NDJSON", "pretty-printed JSON sent as NDJSON")
      .map((label) => {
        const { items, text } = validBatch();
        const events = items.map((item) => JSON.parse(decoder.decode(item.bytes)) as Json);
        const bodies: Record<string, [string, Record<string, string>, { status: number; code: string }]> = {
          "NDJSON sent as JSON": [
            events.map((e) => JSON.stringify(e)).join("\n"),
            JSON_TYPE,
            refused(400, "invalid_request"),
          ],
          // One line holding an array: one item that is not an event.
          "a JSON array sent as NDJSON": [text, NDJSON_TYPE, refused(400, "invalid_events")],
          "pretty-printed JSON sent as NDJSON": [
            JSON.stringify(events, null, 2),
            NDJSON_TYPE,
            refused(400, "invalid_events"),
          ],
        };
        const [body, headers, expected] = bodies[label]!;
        return { label, body: encoder.encode(body), headers, expect: expected };
      }),
  },
  {
    name: "deep nesting",
    runs: 12,
    arb: fc
      .record({
        // A million levels take the parser most of a second: one run in four.
        depth: fc.constantFrom(100_000, 100_000, 100_000, 1_000_000),
        shape: fc.constantFrom("array" as const, "object" as const),
        balanced: fc.boolean(),
        ndjson: fc.boolean(),
      })
      .map(({ depth, shape, balanced, ndjson }) => {
        const text = balanced
          ? nested(depth, shape)
          : shape === "array"
            ? "[".repeat(depth)
            : `${'{"a":'.repeat(depth)}1`;
        return {
          label: `${depth} ${shape}s, ${balanced ? "balanced" : "never closed"}, ${ndjson ? "NDJSON" : "JSON"}`,
          body: encoder.encode(text),
          headers: ndjson ? NDJSON_TYPE : JSON_TYPE,
          // Nested arrays are one item that is not an event; text that is not JSON refuses a JSON body, an NDJSON line.
          expect: balanced || ndjson ? refused(400, "invalid_events") : refused(400, "invalid_request"),
        };
      }),
  },
  {
    name: "bytes that are not UTF-8 in a JSON body",
    runs: 20,
    arb: fc
      .record({
        bytes: fc.constantFrom(...NOT_UTF8),
        where: fc.constantFrom("start", "after [", "in a string", "between keys", "end"),
        gzip: fc.boolean(),
      })
      .map(({ bytes, where, gzip }) => {
        const { text } = validBatch();
        const at = {
          start: 0,
          "after [": 1,
          "in a string": text.indexOf('"source":"') + 10,
          "between keys": text.indexOf(',"type"') + 1,
          end: text.length,
        }[where];
        let body: Uint8Array = Buffer.concat([
          encoder.encode(text.slice(0, at)),
          Uint8Array.from(bytes),
          encoder.encode(text.slice(at)),
        ]);
        if (gzip) body = gzipSync(body);
        return {
          label: `${Buffer.from(bytes).toString("hex")} ${where}${gzip ? ", gzipped" : ""}`,
          body,
          headers: gzip ? { ...JSON_TYPE, "content-encoding": "gzip" } : JSON_TYPE,
          expect: refused(400, "invalid_request"),
        };
      }),
  },
  {
    name: "gzip that is not gzip",
    runs: 10,
    arb: fc
      .oneof(
        fc.constant({ label: "plain JSON", bytes: () => encoder.encode(validBatch().text) }),
        fc.constant({ label: "empty", bytes: () => new Uint8Array() }),
        fc.constant({
          label: "truncated",
          bytes: () => {
            const gz = gzipSync(validBatch().text);
            return gz.subarray(0, gz.length >> 1);
          },
        }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => ({
          label: "magic then garbage",
          bytes: () => Buffer.concat([Uint8Array.from([0x1f, 0x8b]), tail]),
        })),
        fc
          .uint8Array({ minLength: 1, maxLength: 64 })
          .map((random) => ({ label: "random bytes", bytes: () => random })),
      )
      .chain((spec) =>
        fc.boolean().map((ndjson) => ({
          label: spec.label,
          body: spec.bytes(),
          headers: { ...(ndjson ? NDJSON_TYPE : JSON_TYPE), "content-encoding": "gzip" },
          expect: refused(400, "invalid_request"),
        })),
      ),
  },
  {
    name: "gzip that inflates beyond the limit",
    runs: 2,
    arb: fc.boolean().map((ndjson) => ({
      label: `${MAX_BODY_BYTES + 1} spaces`,
      body: gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)),
      headers: { ...(ndjson ? NDJSON_TYPE : JSON_TYPE), "content-encoding": "gzip" },
      expect: refused(413, "payload_too_large"),
    })),
  },
  {
    name: "bodies beyond the limits",
    runs: 4,
    arb: fc.record({ tooMany: fc.boolean(), ndjson: fc.boolean() }).map(({ tooMany, ndjson }) => {
      const events = Array.from({ length: tooMany ? MAX_BATCH_EVENTS + 1 : 1 }, () =>
        tooMany ? "1" : `"${"x".repeat(MAX_BODY_BYTES)}"`,
      );
      return {
        label: tooMany ? `${MAX_BATCH_EVENTS + 1} items` : `${MAX_BODY_BYTES + 2} bytes`,
        body: encoder.encode(ndjson ? events.join("\n") : `[${events.join(",")}]`),
        headers: ndjson ? NDJSON_TYPE : JSON_TYPE,
        expect: refused(413, "payload_too_large"),
      };
    }),
  },
  {
    name: "media types and encodings not accepted",
    runs: 16,
    arb: fc
      .oneof(
        fc
          .constantFrom(
            "text/plain",
            "text/csv",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonl",
            "application/ndjson",
            "application/json-seq",
            "json",
            "*/*",
          )
          .map((type) => ({ "content-type": type })),
        fc
          .constantFrom("br", "deflate", "compress", "zstd", "x-gzip", "gzip, gzip")
          .map((encoding) => ({ ...JSON_TYPE, "content-encoding": encoding })),
      )
      .chain((headers) =>
        fc.boolean().map((notUtf8) => {
          const body = encoder.encode(validBatch().text);
          return {
            label: `${JSON.stringify(headers)}${notUtf8 ? ", not UTF-8" : ""}`,
            body: notUtf8 ? Buffer.concat([body, Uint8Array.from([0xff])]) : body,
            headers,
            expect: refused(415, "unsupported_media_type"),
          };
        }),
      ),
  },
  {
    name: "media types and encodings written differently but accepted",
    runs: 8,
    arb: fc
      .record({
        type: fc.constantFrom(
          "APPLICATION/JSON",
          "application/json;charset=UTF-8",
          " application/json ",
          "Application/X-NDJSON; charset=utf-8",
        ),
        encoding: fc.constantFrom("", "identity", "GZIP", " gzip "),
      })
      .map(({ type, encoding }) => {
        const { items, text } = validBatch();
        const raw = type.toLowerCase().includes("ndjson")
          ? items.map((item) => decoder.decode(item.bytes)).join("\n")
          : text;
        const zipped = encoding.trim().toLowerCase() === "gzip";
        return {
          label: `${type} ${encoding}`,
          body: zipped ? gzipSync(raw) : encoder.encode(raw),
          headers: { "content-type": type, ...(encoding ? { "content-encoding": encoding } : {}) },
          expect: { status: 202, code: undefined },
          items,
        };
      }),
  },
];

// ---------------------------------------------------------------------------------------------------------------------

describe("POST /v1/events under generated hostile input", () => {
  it("answers every generated batch with the exact per-item outcome, accepting every valid sibling", async () => {
    const statuses = new Map<number, number>();
    const verdicts = new Map<string, number>();
    const tally = (map: Map<string | number, number>, key: string | number) => map.set(key, (map.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(batchArb, async (batch) => {
        const built = itemsOf(batch.units);
        fc.pre(built.length > 0);
        const { body, headers, ndjson } = bodyOf(batch, built);
        const answer = await post(body, headers);
        tally(statuses, answer.status);
        for (const item of built) tally(verdicts, `${item.verdict}${ndjson ? " (NDJSON)" : ""}`);
        const context = built.map((item, index) => `${index}: ${item.verdict} ${item.label}`).join("\n");

        // A JSON body is one document: a part of it that is not UTF-8, or not JSON, refuses all of it.
        const spoiled = !ndjson && built.find((item) => item.verdict === "notUtf8" || item.verdict === "notJson");
        if (body.length > MAX_BODY_BYTES) {
          expect(answer.status, context).toBe(413);
          return;
        }
        if (spoiled) {
          expect(answer.status, context).toBe(400);
          expect(answer.body.error?.code, context).toBe("invalid_request");
          if (built.some((item) => item.verdict === "notUtf8"))
            expect(answer.body.error?.message, context).toMatch(/UTF-8/);
          return;
        }
        const expectedRejected = built.flatMap((item, index) =>
          ["valid", "duplicate"].includes(item.verdict) ? [] : [{ index, id: echoedId(item) }],
        );
        const valid = built.filter((item) => item.verdict === "valid").length;
        const duplicates = built.filter((item) => item.verdict === "duplicate").length;
        expect(
          answer.body.rejected.map(({ index, id }) => ({ index, id })),
          context,
        ).toEqual(expectedRejected);
        expect({ accepted: answer.body.accepted, duplicates: answer.body.duplicates }, context).toEqual({
          accepted: valid,
          duplicates,
        });
        expect(answer.status, context).toBe(valid + duplicates > 0 ? 202 : 400);
        if (answer.status === 400) expect(answer.body.error?.code, context).toBe("invalid_events");
        // Each item built broken in one known place is named at that place (or below it).
        for (const rejection of answer.body.rejected) {
          const item = built[rejection.index]!;
          if (item.verdict === "notUtf8" || item.verdict === "notJson") {
            expect(rejection.errors, context).toEqual([
              { path: "$", message: expect.stringMatching(item.verdict === "notUtf8" ? /UTF-8/ : /JSON/) },
            ]);
          } else if (item.path !== undefined) {
            const paths = rejection.errors.map((e) => e.path);
            expect(
              paths.some((p) => p === item.path || p.startsWith(`${item.path}.`)),
              `${item.label}: ${JSON.stringify(rejection.errors)}`,
            ).toBe(true);
          }
        }
        if (answer.status === 202) remember(built);
      }),
      // No shrinking: every run is real requests, and a failure already lists each item of the request and its verdict.
      { seed: SEED, numRuns: BATCH_RUNS, endOnFailure: true },
    );
    console.info(
      `ingest fuzz (seed ${SEED}): answers ${JSON.stringify(Object.fromEntries(statuses))}; items ${JSON.stringify(Object.fromEntries(verdicts))}`,
    );
  });

  it("refuses the issue's reproductions at their paths and keeps the events beside them", async () => {
    // Built afresh for each framing: the same business ids under new event ids would be conflicts downstream.
    const reproduction = () => {
      const booking = story("booking.created").target;
      (booking.data as JsonObject).region = "a\u0000b";
      const { prereqs, target: payment } = story("payment.received");
      payment.source = "src\ud800";
      const surrogate = story("booking.created").target;
      (surrogate.data as JsonObject).region = "r\ud83d";
      const kept = story("budget.allocated").target;
      const expected = {
        accepted: prereqs.length + 1,
        duplicates: 0,
        rejected: [
          { index: 0, id: booking.id, errors: [{ path: "$.data.region", message: expect.stringContaining("NUL") }] },
          {
            index: 1 + prereqs.length,
            id: payment.id,
            errors: [{ path: "$.source", message: expect.stringContaining("surrogate") }],
          },
          {
            index: 2 + prereqs.length,
            id: surrogate.id,
            errors: [{ path: "$.data.region", message: expect.stringContaining("surrogate") }],
          },
        ],
      };
      return { events: [booking, ...prereqs, payment, surrogate, kept], valid: [...prereqs, kept], expected };
    };
    const asJson = reproduction();
    // JSON.stringify writes NUL and lone surrogates as \u escapes, as the curl sent them.
    expect(await post(encoder.encode(JSON.stringify(asJson.events)), JSON_TYPE)).toEqual({
      status: 202,
      body: asJson.expected,
    });
    remember(asJson.valid.map((event) => itemOf(event, "valid", "reproduction sibling")));
    const asNdjson = reproduction();
    const body = gzipSync(asNdjson.events.map((event) => JSON.stringify(event)).join("\n"));
    expect(await post(body, { ...NDJSON_TYPE, "content-encoding": "gzip" })).toEqual({
      status: 202,
      body: asNdjson.expected,
    });
    remember(asNdjson.valid.map((event) => itemOf(event, "valid", "reproduction sibling")));
  });

  it("refuses hostile whole bodies with a 4xx in the one error shape, and accepts valid events right after each", async () => {
    let cases = 0;
    for (const { name, runs, arb } of WHOLE_BODIES) {
      await fc.assert(
        fc.asyncProperty(arb, typeArb, async (hostile, followUp) => {
          const answer = await post(hostile.body, hostile.headers);
          cases++;
          const what = `${name}: ${hostile.label} (${hostile.body.length} bytes)`;
          const expected = hostile.body.length > MAX_BODY_BYTES ? refused(413, "payload_too_large") : hostile.expect;
          expect({ status: answer.status, code: answer.body.error?.code }, what).toEqual(expected);
          if (hostile.expect.status === 202) remember(hostile.items ?? []);
          await postValidStory(followUp);
        }),
        { seed: SEED, numRuns: runs, endOnFailure: true },
      );
    }
    console.info(`ingest fuzz: ${cases} hostile whole bodies`);
  });
});

describe("what the edge accepted", () => {
  it("is processed: every accepted event is in ClickHouse, none is dead-lettered, the processors caught up", async () => {
    expect(accepted.size).toBeGreaterThan(100);
    await waitUntilProcessed(app, 30_000);
    const query = async <T>(sql: string) =>
      (await app.ch.query({ query: sql, query_params: { org: orgId }, format: "JSONEachRow" })).json<T>();
    const stored = new Set(
      (await query<{ id: string }>("SELECT toString(id) AS id FROM events FINAL WHERE org_id = {org:String}")).map(
        (r) => r.id,
      ),
    );
    expect(
      [...accepted].filter((id) => !stored.has(id)),
      "accepted but not in ClickHouse",
    ).toEqual([]);
    expect(
      [...stored].filter((id) => !accepted.has(id)),
      "in ClickHouse but never accepted",
    ).toEqual([]);
    expect(
      await query("SELECT id, reasons, message FROM rejected_events FINAL WHERE org_id = {org:String}"),
      "dead-lettered",
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Inputs the fuzz found that the product got wrong, kept as they were found.

/** The ids of the organisation's events in a ClickHouse table. */
async function idsIn(table: "events" | "rejected_events"): Promise<string[]> {
  const rs = await app.ch.query({
    query: `SELECT toString(id) AS id FROM ${table} FINAL WHERE org_id = {org:String}`,
    query_params: { org: orgId },
    format: "JSONEachRow",
  });
  return (await rs.json<{ id: string }>()).map((r) => r.id);
}

describe("what the fuzz found", () => {
  it("refuses instants outside 1900–2299 in UTC at their path (once acknowledged, Postgres refused them and their partition stalled)", async () => {
    // Each allocation in a category of its own: one a later allocation of its category overrides is never written.
    const allocation = (occurredAt: string, category: string): JsonObject => {
      const { target } = story("budget.allocated");
      return { ...target, occurredAt, data: { ...(target.data as JsonObject), category } };
    };
    const outOfRange = [
      allocation("0000-01-01T00:00:00Z", "venue"),
      allocation("0001-01-01T00:00:00+01:00", "cake"),
      allocation("9999-12-31T23:59:59-01:00", "music"),
    ];
    const sibling = allocation("2026-01-20T08:00:00Z", "florist");
    const answer = await post(encoder.encode(JSON.stringify([...outOfRange, sibling])), JSON_TYPE);
    expect(answer).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(answer.body.rejected.map((r) => [r.index, r.errors.map((e) => e.path)])).toEqual([
      [0, ["$.occurredAt"]],
      [1, ["$.occurredAt"]],
      [2, ["$.occurredAt"]],
    ]);
    await waitUntilProcessed(app, 10_000);
    expect(await idsIn("events")).toContain(sibling.id as string);
  });

  it("processes a batch of events spanning more than 100 months (ClickHouse once refused the insert, for good)", async () => {
    // A supplier importing its history: one allocation a month for 101 months of one wedding, so one log partition and
    // one processor batch; `events` is partitioned by month.
    const { target } = story("budget.allocated");
    const events = Array.from({ length: 101 }, (_, month) => ({
      ...target,
      id: randomUUID(),
      occurredAt: new Date(Date.UTC(2010, month, 1)).toISOString(),
    }));
    expect((await post(encoder.encode(JSON.stringify(events)), JSON_TYPE)).body).toEqual({
      accepted: 101,
      duplicates: 0,
      rejected: [],
    });
    await waitUntilProcessed(app, 10_000);
    const stored = new Set(await idsIn("events"));
    expect(events.filter((e) => !stored.has(e.id))).toEqual([]);
  });

  it("counts a resend of an event with its UUID in another case once, as a duplicate (it was accepted anew and dead-lettered as a conflict)", async () => {
    const { target } = story("booking.created");
    const upper = { ...target, id: (target.id as string).toUpperCase() };
    // RFC 9562 UUIDs compare without regard to case, as ClickHouse's UUID and Postgres's uuid columns do.
    expect((await post(encoder.encode(JSON.stringify([upper, target])), JSON_TYPE)).body).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: [],
    });
    await waitUntilProcessed(app, 10_000);
    expect(await idsIn("events")).toContain(target.id);
    expect(await idsIn("rejected_events")).not.toContain(target.id);
  });
});
