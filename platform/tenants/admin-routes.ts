import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ApiError } from "../http/api-error.ts";
import { createRouter } from "../http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../http/openapi.ts";
import { Id } from "../../schemas/index.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  type ApiKeyRecord,
  type IssuedApiKey,
} from "./api-keys.ts";
import { SCOPES, TIERS } from "./key-access.ts";
import { createOrganisation } from "./organisations.ts";

const ORG_ID = "org_5kq2Zx9TcWb3mPdA";
const KEY_ID = "0b6f3c1e-5d7a-4e8b-9c2d-3f4a5b6c7d8e";
const NEW_KEY_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const API_KEY = "wsk_Jm4v0Q2x8YbR3nT6kP1sW9aZ7cE5gH2uL0dF8jN4qXo";

const Scopes = z
  .array(z.enum(SCOPES))
  .min(1)
  .refine((scopes) => new Set(scopes).size === scopes.length, { message: "must not repeat a scope" })
  .meta({
    description:
      "What the key may do: ingest (POST /v1/events), read (analytics), reports, admin (these routes; the platform operator's only).",
    example: ["ingest", "read", "reports"],
  });
const Tier = z.enum(TIERS).meta({
  description: "The rate-limit tier the key's requests are counted under (per organisation).",
  example: "professional",
});

const KeyAccessBody = z
  .strictObject({
    scopes: Scopes.optional().meta({ description: "Default: ingest, read, reports." }),
    tier: Tier.optional().meta({ description: "Default: professional." }),
  })
  .meta({ example: { scopes: ["read"], tier: "free" } });

const CreateOrganisationBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern is about
      .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters")
      .meta({ description: "The organisation's display name.", example: "Rosewood Venues" }),
    scopes: Scopes.optional().meta({ description: "The first key's scopes. Default: ingest, read, reports." }),
    tier: Tier.optional().meta({ description: "The first key's tier. Default: professional." }),
  })
  .meta({ example: { name: "Rosewood Venues", scopes: ["ingest", "read", "reports"], tier: "professional" } });

const KEY_EXAMPLE: ApiKeyRecord = {
  id: KEY_ID,
  orgId: ORG_ID,
  prefix: API_KEY.slice(0, 8),
  scopes: ["ingest", "read", "reports"],
  tier: "professional",
  createdAt: "2026-03-01T09:30:00.000Z",
  revokedAt: null,
};

const ApiKey = z
  .object({
    id: z.string(),
    orgId: z.string(),
    prefix: z
      .string()
      .meta({ description: "The key's first 8 characters, to tell keys apart; the key itself is never shown again." }),
    scopes: z.array(z.enum(SCOPES)),
    tier: z.enum(TIERS),
    createdAt: z.string().meta({ description: "ISO 8601 timestamp." }),
    revokedAt: z.string().nullable().meta({ description: "ISO 8601 timestamp, null while the key works." }),
  })
  .meta({ description: "An API key as stored, without its hash.", example: KEY_EXAMPLE });

const IssuedKey = ApiKey.extend({
  apiKey: z
    .string()
    .meta({ description: "The key itself, shown this once: send it as `Authorization: Bearer <key>`." }),
}).meta({ description: "A new API key, with the key itself.", example: { ...KEY_EXAMPLE, apiKey: API_KEY } });

const OrgParams = z.object({ orgId: Id.meta({ description: "The organisation's id.", example: ORG_ID }) });
const KeyParams = OrgParams.extend({ keyId: Id.meta({ description: "The key's id.", example: KEY_ID }) });

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const ERRORS = errorResponses("invalid_request", "unsupported_media_type", ...AUTHENTICATED_ERRORS);
const NOT_FOUND = errorResponses("not_found");

const tags = ["Admin"];

const createOrganisationRoute = createRoute({
  method: "post",
  path: "/organisations",
  operationId: "createOrganisation",
  tags,
  summary: "Create an organisation and its first API key",
  description: "The key is shown once, in the answer; only its hash is stored.",
  request: {
    body: { ...json(CreateOrganisationBody, "The organisation and its first key's access."), required: true },
  },
  responses: {
    201: json(
      z.object({ organisation: z.object({ id: z.string(), name: z.string() }), key: IssuedKey }).meta({
        example: { organisation: { id: ORG_ID, name: "Rosewood Venues" }, key: { ...KEY_EXAMPLE, apiKey: API_KEY } },
      }),
      "The organisation and its first key.",
    ),
    ...ERRORS,
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/organisations/{orgId}/keys",
  operationId: "listApiKeys",
  tags,
  summary: "List an organisation's API keys",
  description: "Every key, revoked ones included, oldest first; never a key or its hash.",
  request: { params: OrgParams },
  responses: {
    200: json(
      z.object({ data: z.array(ApiKey) }).meta({ example: { data: [KEY_EXAMPLE] } }),
      "The organisation's keys.",
    ),
    ...ERRORS,
    ...NOT_FOUND,
  },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/organisations/{orgId}/keys",
  operationId: "createApiKey",
  tags,
  summary: "Create an API key",
  request: {
    params: OrgParams,
    body: {
      ...json(KeyAccessBody, "The new key's scopes and tier; an empty object takes the defaults."),
      required: true,
    },
  },
  responses: {
    201: json(
      z.object({ key: IssuedKey }).meta({ example: { key: { ...KEY_EXAMPLE, apiKey: API_KEY } } }),
      "The new key, shown once.",
    ),
    ...ERRORS,
    ...NOT_FOUND,
  },
});

const rotateKeyRoute = createRoute({
  method: "post",
  path: "/organisations/{orgId}/keys/{keyId}/rotate",
  operationId: "rotateApiKey",
  tags,
  summary: "Rotate an API key",
  description:
    "Issues a new key with the same scopes and tier and revokes the old one at once. This API process refuses the old key from the next request; other API processes within the authentication cache's lifetime (30 s).",
  request: { params: KeyParams },
  responses: {
    201: json(
      z.object({ key: IssuedKey, revoked: ApiKey }).meta({
        example: {
          key: { ...KEY_EXAMPLE, id: NEW_KEY_ID, apiKey: API_KEY, createdAt: "2026-04-01T08:00:00.000Z" },
          revoked: { ...KEY_EXAMPLE, revokedAt: "2026-04-01T08:00:00.000Z" },
        },
      }),
      "The new key (shown once) and the old one, now revoked.",
    ),
    ...ERRORS,
    404: { description: "not_found: no such live key in the organisation (a revoked key cannot be rotated)." },
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/organisations/{orgId}/keys/{keyId}",
  operationId: "revokeApiKey",
  tags,
  summary: "Revoke an API key",
  description:
    "The key stops working at once in this API process, and in the others within the authentication cache's lifetime (30 s). Revoking a revoked key answers it unchanged.",
  request: { params: KeyParams },
  responses: {
    200: json(
      z.object({ key: ApiKey }).meta({ example: { key: { ...KEY_EXAMPLE, revokedAt: "2026-04-01T08:00:00.000Z" } } }),
      "The revoked key.",
    ),
    ...ERRORS,
    ...NOT_FOUND,
  },
});

/** What the admin routes need: the store of organisations and keys, and the authenticator's cache to clear. */
export interface AdminRouteDeps {
  sql: SqlClient;
  /** Makes this process's authenticator forget a key (by hash) that was just revoked. */
  forgetKey(keyHash: string): void;
}

const issued = ({ key, apiKey }: IssuedApiKey) => ({ ...key, apiKey });

/**
 * The platform operator's routes, mounted at /v1/admin behind the `admin` scope: create organisations, and create,
 * list, rotate and revoke their API keys. Unlike every other route they act on the organisation named in the path,
 * not the caller's: the admin scope is for the operator's own key, never one handed to a customer.
 */
export function createAdminRoutes({ sql, forgetKey }: AdminRouteDeps) {
  const noKey = (orgId: string, keyId: string) =>
    new ApiError("not_found", `organisation ${orgId} has no API key ${keyId}`);
  const noOrg = (orgId: string) => new ApiError("not_found", `no organisation ${orgId}`);
  return createRouter()
    .openapi(createOrganisationRoute, async (c) => {
      const { name, ...access } = c.req.valid("json");
      const org = await createOrganisation(sql, name, access);
      return c.json({ organisation: { id: org.orgId, name: org.name }, key: issued(org) }, 201);
    })
    .openapi(listKeysRoute, async (c) => {
      const { orgId } = c.req.valid("param");
      const keys = await listApiKeys(sql, orgId);
      if (!keys) throw noOrg(orgId);
      return c.json({ data: keys }, 200);
    })
    .openapi(createKeyRoute, async (c) => {
      const { orgId } = c.req.valid("param");
      const created = await createApiKey(sql, orgId, c.req.valid("json"));
      if (!created) throw noOrg(orgId);
      return c.json({ key: issued(created) }, 201);
    })
    .openapi(rotateKeyRoute, async (c) => {
      const { orgId, keyId } = c.req.valid("param");
      const rotated = await rotateApiKey(sql, orgId, keyId);
      if (!rotated) throw new ApiError("not_found", `organisation ${orgId} has no live API key ${keyId}`);
      forgetKey(rotated.revoked.keyHash);
      return c.json({ key: issued(rotated.issued), revoked: rotated.revoked.key }, 201);
    })
    .openapi(revokeKeyRoute, async (c) => {
      const { orgId, keyId } = c.req.valid("param");
      const revoked = await revokeApiKey(sql, orgId, keyId);
      if (!revoked) throw noKey(orgId, keyId);
      forgetKey(revoked.keyHash);
      return c.json({ key: revoked.key }, 200);
    });
}
