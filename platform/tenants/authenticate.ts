import { LRUCache } from "lru-cache";
import type { AuthContext } from "../http/app-env.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import { hashApiKey } from "./api-keys.ts";
import type { Scope, Tier } from "./key-access.ts";

/** Resolves an API key to its organisation, scopes and tier, or undefined when unknown or revoked. */
export interface Authenticator {
  (apiKey: string): Promise<AuthContext | undefined>;
  /**
   * Drops what this process remembers about a key (by hash), so a revocation or rotation made here takes effect on
   * the next request. Other API processes keep their cached answer until it expires (the cache TTL, 30 s by default).
   */
  forget(keyHash: string): void;
}

/**
 * Looks keys up by hash in Postgres. Answers (including "unknown") are remembered for `cacheTtlMs`, so a revocation
 * made by another process takes effect within that time, and a flood of bad keys costs one query each per TTL.
 */
export function createAuthenticator(sql: SqlClient, { cacheTtlMs = 30_000 } = {}): Authenticator {
  const cache = new LRUCache<string, AuthContext | false>({ max: 10_000, ttl: cacheTtlMs });
  async function authenticate(apiKey: string): Promise<AuthContext | undefined> {
    const hash = hashApiKey(apiKey);
    const cached = cache.get(hash);
    if (cached !== undefined) return cached === false ? undefined : cached;
    const [row] = await sql.query<{ id: string; org_id: string; scopes: Scope[]; tier: Tier }>(
      "SELECT id, org_id, scopes, tier FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
      [hash],
    );
    const context = row ? { orgId: row.org_id, keyId: row.id, scopes: row.scopes, tier: row.tier } : undefined;
    cache.set(hash, context ?? false);
    return context;
  }
  return Object.assign(authenticate, { forget: (keyHash: string) => void cache.delete(keyHash) });
}
