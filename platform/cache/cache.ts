/** A shared cache and claim store: Redis when configured, in-process otherwise. */
export interface Cache {
  /** The value stored under key, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Stores a value for ttlMs milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
