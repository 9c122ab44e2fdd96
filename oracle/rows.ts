/** Sorts rows in place by the given keys in order; strings by code unit, as ClickHouse orders them. */
export function sortBy<T>(rows: T[], ...keys: ((row: T) => string | number)[]): T[] {
  return rows.sort((a, b) => {
    for (const key of keys) {
      const [x, y] = [key(a), key(b)];
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

/** A tally of rows keyed by strings, each made by `make` on first use. */
export function tally<T>(make: (key: string[]) => T) {
  const rows = new Map<string, T>();
  return {
    /** The row of a key, made if it is new. */
    at(...key: string[]): T {
      const k = key.join("\u0000");
      let row = rows.get(k);
      if (row === undefined) {
        row = make(key);
        rows.set(k, row);
      }
      return row;
    },
    /** Every row, in the order each was made. */
    rows: () => [...rows.values()],
    /** Every row with its key (the key's parts joined by NUL), in the order each was made. */
    entries: () => [...rows.entries()],
  };
}
