/**
 * What an API key may do. `ingest` posts events, `read` asks the analytics endpoints, `reports` runs and downloads
 * reports, and `admin` manages organisations and keys across every organisation: it belongs to the platform's
 * operator, never to a customer's key.
 */
export const SCOPES = ["ingest", "read", "reports", "admin"] as const;
/** One scope of an API key. */
export type Scope = (typeof SCOPES)[number];

/** Rate-limit tiers; each one's limit is configured (RATE_LIMITS). A key is counted under its own tier. */
export const TIERS = ["free", "professional", "enterprise"] as const;
/** One rate-limit tier. */
export type Tier = (typeof TIERS)[number];

/** What a customer's key gets unless told otherwise: everything but admin (as keys made before scopes existed). */
export const DEFAULT_SCOPES: readonly Scope[] = ["ingest", "read", "reports"];
/** The tier a key gets unless told otherwise (the column's default too). */
export const DEFAULT_TIER: Tier = "professional";
