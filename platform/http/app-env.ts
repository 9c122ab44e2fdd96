import type { Scope, Tier } from "../tenants/key-access.ts";

/** What the auth middleware puts on every authenticated request's context. */
export interface AuthContext {
  orgId: string;
  keyId: string;
  /** What the key may do; each mount requires one scope. */
  scopes: Scope[];
  /** The rate-limit tier the request is counted under. */
  tier: Tier;
}

/** Hono environment of the product's apps: `c.var.auth` is set once the caller is authenticated. */
export type AppEnv = { Variables: { auth: AuthContext } };
