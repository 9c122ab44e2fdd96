/** What the auth middleware puts on every authenticated request's context. */
export interface AuthContext {
  orgId: string;
  keyId: string;
}

/** Hono environment of the product's apps: `c.var.auth` is set once the caller is authenticated. */
export type AppEnv = { Variables: { auth: AuthContext } };
