/** A row as returned by a query: column name to value. */
export type Row = Record<string, unknown>;

/** Runs parameterised SQL ($1, $2, …); values are never spliced into the text. */
export interface SqlQueryable {
  /** Runs one statement with bound parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * The transactional store: Postgres over `pg`, or PGlite embedded. The same SQL runs on both.
 */
export interface SqlClient extends SqlQueryable {
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Releases connections or the embedded database. */
  close(): Promise<void>;
}
