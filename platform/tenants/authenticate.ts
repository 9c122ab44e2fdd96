import { LRUCache } from "lru-cache";
import type { AuthContext } from "../http/app-env.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import { hashApiKey } from "./organisations.ts";

/** Resolves an API key to its organisation, or undefined when unknown or revoked. */
export type Authenticator = (apiKey: string) => Promise<AuthContext | undefined>;

/**
 * Looks keys up by hash in Postgres. Answers (including "unknown") are remembered for
 * `cacheTtlMs`, so a revocation takes effect within that time and a flood of bad keys costs one
 * query each per TTL.
 */
export function createAuthenticator(sql: SqlClient, { cacheTtlMs = 30_000 } = {}): Authenticator {
  const cache = new LRUCache<string, AuthContext | false>({ max: 10_000, ttl: cacheTtlMs });
  return async function authenticate(apiKey) {
    const hash = hashApiKey(apiKey);
    const cached = cache.get(hash);
    if (cached !== undefined) return cached === false ? undefined : cached;
    const [row] = await sql.query<{ id: string; org_id: string }>(
      "SELECT id, org_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
      [hash],
    );
    const context = row ? { orgId: row.org_id, keyId: row.id } : undefined;
    cache.set(hash, context ?? false);
    return context;
  };
}
