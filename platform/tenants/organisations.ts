import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { SqlClient } from "../sql/sql-client.ts";

/** A new organisation and the one time its API key is shown in plain text. */
export interface CreatedOrganisation {
  orgId: string;
  name: string;
  apiKey: string;
}

/** The SHA-256 of an API key, as stored; plain keys are never stored. */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

/** Makes a fresh random API key: `wsk_` + 32 random bytes, base64url. */
export function generateApiKey(): string {
  return `wsk_${randomBytes(32).toString("base64url")}`;
}

/** Creates an organisation with a first API key. */
export async function createOrganisation(sql: SqlClient, name: string): Promise<CreatedOrganisation> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw new RangeError("organisation name must be 1–200 characters");
  const orgId = `org_${randomBytes(9).toString("base64url")}`;
  const apiKey = generateApiKey();
  await sql.transaction(async (tx) => {
    await tx.query("INSERT INTO organisations (id, name) VALUES ($1, $2)", [orgId, trimmed]);
    await tx.query("INSERT INTO api_keys (id, org_id, key_hash, prefix) VALUES ($1, $2, $3, $4)", [
      randomUUID(),
      orgId,
      hashApiKey(apiKey),
      apiKey.slice(0, 8),
    ]);
  });
  return { orgId, name: trimmed, apiKey };
}

/** Counts organisations; the first start uses it to decide whether to create a demo one. */
export async function countOrganisations(sql: SqlClient): Promise<number> {
  const [row] = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM organisations");
  return row?.n ?? 0;
}

/** The name of an organisation, or undefined. */
export async function organisationName(sql: SqlClient, orgId: string): Promise<string | undefined> {
  const [row] = await sql.query<{ name: string }>("SELECT name FROM organisations WHERE id = $1", [orgId]);
  return row?.name;
}
