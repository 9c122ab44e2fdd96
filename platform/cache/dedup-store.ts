/**
 * The ingest idempotency window: remembers event ids so a producer's retry is acknowledged as a duplicate instead
 * of being appended twice. Ingest claims a request's ids, appends the new ones to the log, then confirms them (or
 * releases them if the append failed). Only keys a caller was granted by `claim` should be confirmed or released.
 */
export interface DedupStore {
  /**
   * Per key, true when it is new (not confirmed within the window, not claimed by a request in flight) and now
   * claimed by this caller; false otherwise. Within one call only a key's first occurrence can be true.
   */
  claim(keys: string[]): Promise<boolean[]>;
  /** Remembers keys for the window; call only once their events are durably in the log. */
  confirm(keys: string[]): Promise<void>;
  /** Drops in-flight claims (the append failed), so a retry can claim the keys again. */
  release(keys: string[]): Promise<void>;
  /** Stops background work and releases the store. */
  close(): Promise<void>;
}
