import { createMiddleware } from "hono/factory";
import type { Scope } from "../tenants/key-access.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** Lets a request through only when its (already authenticated) key holds `scope`; otherwise 403 forbidden. */
export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async function requireScope(c, next) {
    const { scopes } = c.var.auth;
    if (!scopes.includes(scope)) {
      throw new ApiError(
        "forbidden",
        `this route needs an API key with the '${scope}' scope; this key has: ${scopes.join(", ")}`,
        {
          needed: scope,
          granted: scopes,
        },
      );
    }
    await next();
  });
}
