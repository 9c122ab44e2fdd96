import { createMiddleware } from "hono/factory";
import type { Authenticator } from "../tenants/authenticate.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** Requires `Authorization: Bearer <key>` and sets `c.var.auth` to the key's organisation. */
export function requireApiKey(authenticate: Authenticator) {
  return createMiddleware<AppEnv>(async function requireApiKey(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError("unauthorized", "send the API key as 'Authorization: Bearer <key>'");
    const auth = await authenticate(match[1]!);
    if (!auth) throw new ApiError("unauthorized", "the API key is unknown or revoked");
    c.set("auth", auth);
    await next();
  });
}
