/** A map key of ids within one organisation; NUL never occurs in an id. */
export const stateKey = (...parts: string[]) => parts.join("\u0000");

/**
 * The distinct (org_id, id) pairs of two parallel text arrays, to join a table against: one statement loads every
 * row a batch needs, whatever its size, and the planner sees a relation it can hash or probe an index with.
 */
export const KEY_PAIRS = (org: number, id: number) =>
  `SELECT DISTINCT * FROM unnest($${org}::text[], $${id}::text[]) AS k(org_id, id)`;

/** Parallel id arrays of the rows a batch needs, filled while scanning its events, for KEY_PAIRS. */
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
}

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
