import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { SqlClient, SqlQueryable } from "../sql/sql-client.ts";
import { DEFAULT_SCOPES, DEFAULT_TIER, type Scope, type Tier } from "./key-access.ts";

/** An API key as the admin routes show it: never its hash, never the key itself. */
export interface ApiKeyRecord {
  id: string;
  orgId: string;
  /** The key's first 8 characters, to tell keys apart. */
  prefix: string;
  scopes: Scope[];
  tier: Tier;
  createdAt: string;
  revokedAt: string | null;
}

/** A key just made, with the one time it is shown in plain text. */
export interface IssuedApiKey {
  key: ApiKeyRecord;
  apiKey: string;
}

/** What a new key may do and how it is rate-limited; absent fields take the defaults (ingest, read, reports; professional). */
export interface KeyAccess {
  scopes?: readonly Scope[];
  tier?: Tier;
}

/** A key taken out of service, and the hash the authenticator must forget so it stops working at once. */
export interface RevokedApiKey {
  key: ApiKeyRecord;
  keyHash: string;
}

/** The SHA-256 of an API key, as stored; plain keys are never stored. */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

/** Makes a fresh random API key: `wsk_` + 32 random bytes, base64url. */
function generateApiKey(): string {
  return `wsk_${randomBytes(32).toString("base64url")}`;
}

type KeyRow = {
  id: string;
  org_id: string;
  prefix: string;
  scopes: Scope[];
  tier: Tier;
  created_at: Date;
  revoked_at: Date | null;
  key_hash: string;
};

const KEY_COLUMNS = "id, org_id, prefix, scopes, tier, created_at, revoked_at, key_hash";

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    prefix: row.prefix,
    scopes: row.scopes,
    tier: row.tier,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** Stores a new key of an organisation known to exist (inside the caller's transaction). */
export async function insertApiKey(tx: SqlQueryable, orgId: string, access: KeyAccess = {}): Promise<IssuedApiKey> {
  const apiKey = generateApiKey();
  const [row] = await tx.query<KeyRow>(
    `INSERT INTO api_keys (id, org_id, key_hash, prefix, scopes, tier) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${KEY_COLUMNS}`,
    [
      randomUUID(),
      orgId,
      hashApiKey(apiKey),
      apiKey.slice(0, 8),
      [...new Set(access.scopes ?? DEFAULT_SCOPES)],
      access.tier ?? DEFAULT_TIER,
    ],
  );
  return { key: toRecord(row!), apiKey };
}

async function organisationExists(sql: SqlQueryable, orgId: string): Promise<boolean> {
  return (await sql.query("SELECT 1 FROM organisations WHERE id = $1", [orgId])).length > 0;
}

/** Adds a key to an organisation; undefined when there is no such organisation. */
export async function createApiKey(
  sql: SqlClient,
  orgId: string,
  access: KeyAccess = {},
): Promise<IssuedApiKey | undefined> {
  return sql.transaction(async (tx) =>
    (await organisationExists(tx, orgId)) ? insertApiKey(tx, orgId, access) : undefined,
  );
}

/** Every key of an organisation, oldest first, revoked ones included; undefined when there is no such organisation. */
export async function listApiKeys(sql: SqlClient, orgId: string): Promise<ApiKeyRecord[] | undefined> {
  if (!(await organisationExists(sql, orgId))) return undefined;
  const rows = await sql.query<KeyRow>(
    `SELECT ${KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`,
    [orgId],
  );
  return rows.map(toRecord);
}

/**
 * Revokes a key of an organisation; undefined when the organisation has no such key. Revoking a revoked key changes
 * nothing and answers it as it is (so a retried DELETE gets the same answer).
 */
export async function revokeApiKey(
  sql: SqlQueryable,
  orgId: string,
  keyId: string,
): Promise<RevokedApiKey | undefined> {
  const [row] = await sql.query<KeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = $1 AND id = $2 RETURNING ${KEY_COLUMNS}`,
    [orgId, keyId],
  );
  return row ? { key: toRecord(row), keyHash: row.key_hash } : undefined;
}

/**
 * Replaces a live key by a new one with the same scopes and tier, revoking the old one in the same transaction (so
 * there is never a moment with neither or, once committed, both); undefined when the organisation has no such live key.
 */
export async function rotateApiKey(
  sql: SqlClient,
  orgId: string,
  keyId: string,
): Promise<{ issued: IssuedApiKey; revoked: RevokedApiKey } | undefined> {
  return sql.transaction(async (tx) => {
    // FOR UPDATE: two rotations of one key at once must not both mint a successor.
    const [old] = await tx.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL FOR UPDATE`,
      [orgId, keyId],
    );
    if (!old) return undefined;
    const issued = await insertApiKey(tx, orgId, { scopes: old.scopes, tier: old.tier });
    const revoked = await revokeApiKey(tx, orgId, keyId);
    return { issued, revoked: revoked! };
  });
}
