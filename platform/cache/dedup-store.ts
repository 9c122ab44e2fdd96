/**
 * What `claim` found of one key:
 * - `granted`: new (not confirmed within the window, not claimed by a request in flight), and now claimed by the
 *   caller;
 * - `duplicate`: confirmed within the window (its event is durably in the log), or granted to an earlier occurrence of
 *   the key in the same call;
 * - `in_flight`: claimed by another request that has not confirmed nor released it. That request may yet fail, or
 *   its process may have died mid-append, so the key's event is not known to be in the log.
 */
export type Claim = "granted" | "duplicate" | "in_flight";

/**
 * The ingest idempotency window: remembers event ids so a producer's retry is acknowledged as a duplicate instead
 * of being appended twice. Ingest claims a request's ids, appends the new ones to the log, then confirms them (or
 * releases them if the append failed). Only keys a caller was granted by `claim` should be released.
 */
export interface DedupStore {
  /** Per key, what the window knows of it (see Claim); a new key is claimed for the caller. */
  claim(keys: string[]): Promise<Claim[]>;
  /**
   * Remembers keys for the window, whoever claimed them; call only once their events are durably in the log. A later
   * release of the same keys leaves them remembered.
   */
  confirm(keys: string[]): Promise<void>;
  /** Drops in-flight claims (the append failed), so a retry can claim the keys again. */
  release(keys: string[]): Promise<void>;
  /** Stops background work and releases the store. */
  close(): Promise<void>;
}
