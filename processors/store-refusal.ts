import { WedSyncError } from "../platform/errors.ts";

/** A store refused what it was asked to read or write for a reason in the data itself: retrying cannot fix it. */
export interface StoreRefusal {
  store: "postgres" | "clickhouse";
  /** The store's own code: a Postgres SQLSTATE or a ClickHouse error name. */
  code: string;
  message: string;
}

// SQLSTATE classes that name a fault in the values sent, not in the server or the connection: 22 data exception
// (e.g. 22021, a NUL byte in text), 23 integrity constraint violation, 54 program limit exceeded (e.g. an index row
// too large). Class 42 (syntax, undefined column) is a fault in our SQL: it is not an event's doing, so it is retried
// and shows as a stall instead of dead-lettering every event.
const POSTGRES_DATA_CLASSES = new Set(["22", "23", "54"]);

// ClickHouse errors about the rows of an insert, as opposed to the server (memory, timeouts, too many parts) or our
// SQL (unknown identifiers).
const CLICKHOUSE_DATA_ERRORS = new Set([
  "INCORRECT_DATA",
  "VIOLATED_CONSTRAINT",
  "TYPE_MISMATCH",
  "CANNOT_CONVERT_TYPE",
  "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
  "ARGUMENT_OUT_OF_BOUND",
  "TOO_LARGE_STRING_SIZE",
  "TOO_LARGE_ARRAY_SIZE",
  "DECIMAL_OVERFLOW",
  "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN",
  "UNKNOWN_ELEMENT_IN_ENUM",
  "CANNOT_READ_ARRAY_FROM_TEXT",
  "INCORRECT_NUMBER_OF_COLUMNS",
]);

// A SQLSTATE: five digits or capitals, at least one a digit (so that an errno such as EPIPE is not taken for one).
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;

/** The errors an error wraps, itself first (an AggregateError's members and `cause` chains included). */
function* causes(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 8) return;
  yield error;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* causes(inner, depth + 1);
  if (error instanceof Error) yield* causes(error.cause, depth + 1);
}

/**
 * The refusal an error describes, or undefined when it is an infrastructure failure (a lost connection, an
 * unavailable store) or a fault of the program, which are retried. Both clients are recognised by shape: PGlite and
 * pg errors carry a SQLSTATE `code`; ClickHouse errors (server or chDB) an error name in `type`.
 */
export function storeRefusalOf(error: unknown): StoreRefusal | undefined {
  for (const candidate of causes(error)) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const { code, type, message } = candidate as { code?: unknown; type?: unknown; message?: unknown };
    const text = typeof message === "string" ? message.split("\n")[0]!.trim() : String(candidate);
    if (typeof code === "string" && SQLSTATE.test(code) && POSTGRES_DATA_CLASSES.has(code.slice(0, 2))) {
      return { store: "postgres", code, message: text };
    }
    if (typeof type === "string" && (type.startsWith("CANNOT_PARSE_") || CLICKHOUSE_DATA_ERRORS.has(type))) {
      return { store: "clickhouse", code: type, message: text };
    }
  }
  return undefined;
}

/** The dead-letter message of an event a store refused: which store, its code and its words. */
export function describeRefusal(refusal: StoreRefusal): string {
  const store = refusal.store === "postgres" ? "Postgres" : "ClickHouse";
  return `${store} refused the event (${refusal.code}): ${refusal.message}`;
}

/**
 * A stable, bounded label for why processing a batch failed, for the failure counter in /metrics: `<store>_refused`
 * for a refusal, the code of a WedSyncError, `postgres_error` / `clickhouse_error` for other store errors, else
 * `unexpected_error`.
 */
export function failureReasonOf(error: unknown): string {
  const refusal = storeRefusalOf(error);
  if (refusal) return `${refusal.store}_refused`;
  if (error instanceof WedSyncError) return error.code;
  const { code, type } = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    type?: unknown;
  };
  if (typeof type === "string" && /^[A-Z_]+$/.test(type)) return "clickhouse_error";
  if (typeof code === "string" && SQLSTATE.test(code)) return "postgres_error";
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return "connection_error";
  return "unexpected_error";
}
