import type { Row, SqlQueryable } from "../platform/sql/sql-client.ts";

/** A map key of ids within one organisation; NUL never occurs in an id. */
export const stateKey = (...parts: string[]) => parts.join("\u0000");

/** The (organisation, id) pairs of the rows a batch needs, filled while scanning its events, for byIndex. */
export class KeyPairs {
  readonly orgs: string[] = [];
  readonly ids: string[] = [];

  /** Adds one (org, id) pair; duplicates are removed by the query. */
  add(orgId: string, id: string): void {
    this.orgs.push(orgId);
    this.ids.push(id);
  }

  /** True when no pair was added. */
  get empty(): boolean {
    return this.ids.length === 0;
  }

  /** The distinct ids. */
  distinctIds(): string[] {
    return [...new Set(this.ids)];
  }
}

/**
 * The rows of a table whose organisation is any of `$1` and whose column `columns[i]` is any of `$(i + 2)`, each
 * column asked apart (UNION ALL), so that the planner probes the index that leads with (org_id, column) for every id
 * instead of scanning the table: one text[] parameter per column, after the organisations'. A row matching on two
 * columns comes twice; callers store rows by key, so it is kept once.
 */
export function byIndex(table: string, ...columnNames: string[]): string {
  return columnNames
    .map((column, i) => `SELECT * FROM ${table} WHERE org_id = ANY($1::text[]) AND ${column} = ANY($${i + 2}::text[])`)
    .join(" UNION ALL ");
}

/**
 * The rows of a SELECT, aggregated into one JSON text by the database and parsed here with JSON.parse. A batch's state
 * loads return thousands of wide rows, and the Postgres clients turn each value of each row into JavaScript one by one
 * (in PGlite, in JavaScript outside its WebAssembly): for 2,400 bookings rows ~96 ms, against ~41 ms as one JSON text.
 * Values come as JSON gives them: timestamps and dates as ISO text, bigints as numbers (amounts in minor units stay far
 * below 2^53), so callers read them through isoTime, isoDate and Number, which take either form.
 */
export async function selectRows(sql: SqlQueryable, select: string, params: unknown[]): Promise<Row[]> {
  const [result] = await sql.query<{ rows: string }>(
    `SELECT coalesce(json_agg(t), '[]')::text AS rows FROM (${select}) t`,
    params,
  );
  return JSON.parse(result!.rows) as Row[];
}

/** The distinct organisations of several sets of pairs. */
export const distinctOrgs = (...sets: KeyPairs[]) => [...new Set(sets.flatMap((set) => set.orgs))];

/** Rows as parallel column arrays, in the given order, for a multi-row `INSERT … SELECT * FROM unnest(…)`. */
export function columns<T>(rows: readonly T[], names: readonly (keyof T)[]): unknown[][] {
  return names.map((name) => rows.map((row) => row[name]));
}

/** A Postgres date as YYYY-MM-DD. */
export const isoDate = (value: unknown) =>
  value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);

/** A Postgres timestamptz (or an event's ISO time) as a UTC ISO instant with milliseconds. */
export const isoTime = (value: unknown) =>
  value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();

/** A nullable text column. */
export const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));

/** A nullable bigint column. */
export const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
