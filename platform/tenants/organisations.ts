import { randomBytes } from "node:crypto";
import type { SqlClient } from "../sql/sql-client.ts";
import { insertApiKey, type ApiKeyRecord, type KeyAccess } from "./api-keys.ts";

/** A new organisation and its first API key, shown in plain text this one time. */
export interface CreatedOrganisation {
  orgId: string;
  name: string;
  apiKey: string;
  /** The first key as stored: its id, scopes and tier. */
  key: ApiKeyRecord;
}

/**
 * Creates an organisation with a first API key. The key gets `access` (default: scopes ingest, read and reports on
 * the professional tier, what every key had before scopes and tiers existed).
 */
export async function createOrganisation(
  sql: SqlClient,
  name: string,
  access: KeyAccess = {},
): Promise<CreatedOrganisation> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw new RangeError("organisation name must be 1–200 characters");
  const orgId = `org_${randomBytes(9).toString("base64url")}`;
  const { key, apiKey } = await sql.transaction(async (tx) => {
    await tx.query("INSERT INTO organisations (id, name) VALUES ($1, $2)", [orgId, trimmed]);
    return insertApiKey(tx, orgId, access);
  });
  return { orgId, name: trimmed, apiKey, key };
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
