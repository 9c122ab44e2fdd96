import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { hashApiKey } from "../platform/tenants/api-keys.ts";
import { SCOPES, type Scope } from "../platform/tenants/key-access.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp } from "./support/test-app.ts";

/**
 * The scope each /v1 prefix needs, the first prefix a route is under deciding (so a more specific prefix comes before
 * the one it lies under); a route under a prefix not listed here fails the first test.
 */
const SCOPE_OF_PREFIX: [prefix: string, scope: Scope][] = [
  ["/v1/events", "ingest"],
  ["/v1/analytics", "read"],
  ["/v1/anomalies", "read"],
  // A redrive appends to the log, as ingest does; listing dead letters is reading.
  ["/v1/rejected-events/redrive", "ingest"],
  ["/v1/rejected-events", "read"],
  ["/v1/live", "read"],
  ["/v1/reports", "reports"],
  ["/v1/admin", "admin"],
];

let dir: TempDir;
let app: App;
let adminKey: string;

/** A request with the key; answers its status, headers and JSON body (any: each test reads the fields it checks). */
async function call(
  path: string,
  apiKey: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await app.http.request(path, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (res.headers.get("content-type") ?? "").includes("json") ? await res.json() : undefined,
  };
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-tenancy");
  // A tiny free tier to reach in a test; professional (every other key here) far out of reach.
  app = await startTestApp(dir.path, { RATE_LIMITS: "free=3/min,professional=100000/s" }, ["ingest", "api"]);
  adminKey = (await createOrganisation(app.sql, "Platform Operator", { scopes: SCOPES })).apiKey;
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("scopes", () => {
  it("refuses every /v1 route to a key holding every scope but the one its mount needs", async () => {
    const routes = new Map<string, { method: string; path: string }>();
    for (const { method, path } of app.http.routes) {
      if (method !== "ALL" && path.startsWith("/v1/")) routes.set(`${method} ${path}`, { method, path });
    }
    expect(routes.size).toBeGreaterThanOrEqual(10);
    const keyWithout = new Map<Scope, string>();
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      keyWithout.set(scope, (await createOrganisation(app.sql, `Without ${scope}`, { scopes: others })).apiKey);
    }
    for (const { method, path } of routes.values()) {
      const needed = SCOPE_OF_PREFIX.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
      expect(needed, `${method} ${path} is under no known prefix`).toBeDefined();
      const url = path.replace(/:[A-Za-z]+/g, "x");
      const refused = await call(url, keyWithout.get(needed!)!, { method });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body).toEqual({
        error: {
          code: "forbidden",
          message: `this route needs an API key with the '${needed}' scope; this key has: ${SCOPES.filter((s) => s !== needed).join(", ")}`,
          details: { needed, granted: SCOPES.filter((s) => s !== needed) },
        },
      });
      // With every scope the same request gets past the check (to whatever the route answers a dummy request).
      expect((await call(url, adminKey, { method })).status, `${method} ${path}`).not.toBe(403);
    }
  });
});

describe("admin routes", () => {
  it("creates an organisation whose key works at once, within its scopes", async () => {
    const created = await call("/v1/admin/organisations", adminKey, {
      method: "POST",
      body: { name: "  Rosewood Venues ", scopes: ["read"], tier: "free" },
    });
    expect(created.status).toBe(201);
    const { organisation, key } = created.body as {
      organisation: { id: string; name: string };
      key: Record<string, unknown>;
    };
    expect(organisation.name).toBe("Rosewood Venues");
    expect(key).toMatchObject({ orgId: organisation.id, scopes: ["read"], tier: "free", revokedAt: null });
    expect(key.prefix).toBe((key.apiKey as string).slice(0, 8));
    expect((await call("/v1/anomalies", key.apiKey as string)).status).toBe(200);
    expect((await call("/v1/events", key.apiKey as string, { method: "POST", body: "[]" })).status).toBe(403);
  });

  it("lists an organisation's keys without a key or its hash, and adds keys with defaults", async () => {
    const org = await createOrganisation(app.sql, "Listed Weddings");
    const added = await call(`/v1/admin/organisations/${org.orgId}/keys`, adminKey, { method: "POST", body: {} });
    expect(added.status).toBe(201);
    expect(added.body.key).toMatchObject({ scopes: ["ingest", "read", "reports"], tier: "professional" });
    const listed = await call(`/v1/admin/organisations/${org.orgId}/keys`, adminKey);
    expect(listed.status).toBe(200);
    const keys = listed.body.data as Record<string, unknown>[];
    expect(keys.map((k) => k.id)).toEqual([org.key.id, added.body.key.id]);
    for (const k of keys)
      expect(Object.keys(k).sort()).toEqual(["createdAt", "id", "orgId", "prefix", "revokedAt", "scopes", "tier"]);
    const text = JSON.stringify(listed.body);
    for (const apiKey of [org.apiKey, added.body.key.apiKey as string]) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(hashApiKey(apiKey));
    }
  });

  it("rotates a key: the old one is refused on its very next request, the new one works with the same access", async () => {
    const org = await createOrganisation(app.sql, "Rotating Weddings", {
      scopes: ["read", "reports"],
      tier: "professional",
    });
    // Used first, so the authenticator has it cached: the rotation must make it forget.
    expect((await call("/v1/anomalies", org.apiKey)).status).toBe(200);
    const rotated = await call(`/v1/admin/organisations/${org.orgId}/keys/${org.key.id}/rotate`, adminKey, {
      method: "POST",
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).toMatchObject({
      orgId: org.orgId,
      scopes: ["read", "reports"],
      tier: "professional",
      revokedAt: null,
    });
    expect(rotated.body.revoked).toMatchObject({ id: org.key.id });
    expect(rotated.body.revoked.revokedAt).toEqual(expect.any(String));
    expect((await call("/v1/anomalies", org.apiKey)).status).toBe(401);
    expect((await call("/v1/anomalies", rotated.body.key.apiKey)).status).toBe(200);
    // A revoked key cannot be rotated again.
    const again = await call(`/v1/admin/organisations/${org.orgId}/keys/${org.key.id}/rotate`, adminKey, {
      method: "POST",
    });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
  });

  it("revokes a key: refused at once; revoking again answers it unchanged; unknown ids are 404", async () => {
    const org = await createOrganisation(app.sql, "Revoked Weddings");
    expect((await call("/v1/anomalies", org.apiKey)).status).toBe(200);
    const revoked = await call(`/v1/admin/organisations/${org.orgId}/keys/${org.key.id}`, adminKey, {
      method: "DELETE",
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.key).toMatchObject({ id: org.key.id, revokedAt: expect.any(String) });
    const refused = await call("/v1/anomalies", org.apiKey);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("unauthorized");
    const again = await call(`/v1/admin/organisations/${org.orgId}/keys/${org.key.id}`, adminKey, { method: "DELETE" });
    expect(again.body.key.revokedAt).toBe(revoked.body.key.revokedAt);

    const other = await createOrganisation(app.sql, "Other Weddings");
    for (const [orgId, keyId] of [
      [org.orgId, "no-such-key"],
      [other.orgId, org.key.id], // a real key, but not this organisation's
    ]) {
      const missing = await call(`/v1/admin/organisations/${orgId}/keys/${keyId}`, adminKey, { method: "DELETE" });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        error: { code: "not_found", message: `organisation ${orgId} has no API key ${keyId}` },
      });
    }
    expect((await call("/v1/admin/organisations/org_nobody/keys", adminKey)).status).toBe(404);
    expect((await call("/v1/admin/organisations/org_nobody/keys", adminKey, { method: "POST", body: {} })).status).toBe(
      404,
    );
  });

  it("answers 400 naming every bad field", async () => {
    const bad = await call("/v1/admin/organisations", adminKey, {
      method: "POST",
      body: { name: " ", scopes: ["read", "root"], tier: "gold", colour: "red" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
    const paths = (bad.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(["$", "name", "scopes.1", "tier"]);
    const repeated = await call("/v1/admin/organisations", adminKey, {
      method: "POST",
      body: { name: "Twice", scopes: ["read", "read"] },
    });
    expect(repeated.body.error.details).toEqual([{ path: "scopes", message: "must not repeat a scope" }]);
    const empty = await call(`/v1/admin/organisations/org_x/keys`, adminKey, { method: "POST", body: { scopes: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].path).toBe("scopes");
    const malformed = await call("/v1/admin/organisations", adminKey, { method: "POST", body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: {
        code: "invalid_request",
        message: "Malformed JSON in request body",
        details: [{ path: "$", message: "Malformed JSON in request body" }],
      },
    });
  });

  it("refuses a customer's key, which never holds admin by default", async () => {
    const customer = await createOrganisation(app.sql, "Customer Weddings");
    expect(customer.key.scopes).toEqual(["ingest", "read", "reports"]);
    const refused = await call("/v1/admin/organisations", customer.apiKey, {
      method: "POST",
      body: { name: "Sneaky" },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: "forbidden",
      details: { needed: "admin", granted: ["ingest", "read", "reports"] },
    });
  });
});

describe("rate limits", () => {
  it("refuses the request after the tier's quota with 429 and Retry-After, per organisation, under the key's tier", async () => {
    const org = await createOrganisation(app.sql, "Free Weddings", { tier: "free" });
    const second = (
      await call(`/v1/admin/organisations/${org.orgId}/keys`, adminKey, { method: "POST", body: { tier: "free" } })
    ).body.key.apiKey as string;
    for (const remaining of ["2", "1", "0"]) {
      const res = await call("/v1/anomalies", org.apiKey);
      expect(res.status).toBe(200);
      expect([res.headers.get("ratelimit-limit"), res.headers.get("ratelimit-remaining")]).toEqual(["3", remaining]);
    }
    for (const apiKey of [org.apiKey, second]) {
      const refused = await call("/v1/anomalies", apiKey);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({
        code: "rate_limited",
        details: { tier: "free", limit: 3, windowSeconds: 60 },
      });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    }
    const neighbour = await createOrganisation(app.sql, "Neighbour Weddings", { tier: "free" });
    expect((await call("/v1/anomalies", neighbour.apiKey)).status).toBe(200);
    // The same organisation's key on another tier is counted under that tier.
    const paid = (
      await call(`/v1/admin/organisations/${org.orgId}/keys`, adminKey, {
        method: "POST",
        body: { tier: "professional" },
      })
    ).body.key.apiKey as string;
    expect((await call("/v1/anomalies", paid)).status).toBe(200);
  });
});
