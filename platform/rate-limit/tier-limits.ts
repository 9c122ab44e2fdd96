import { TIERS, type Tier } from "../tenants/key-access.ts";

/** How many requests an organisation may make per window. */
export interface TierLimit {
  requests: number;
  windowSeconds: number;
}

/** The request quota of every tier. */
export type TierLimits = Record<Tier, TierLimit>;

/** The limits of tiers RATE_LIMITS does not name: free 10/s, professional 100/s, enterprise 1000/s. */
export const DEFAULT_TIER_LIMITS: TierLimits = {
  free: { requests: 10, windowSeconds: 1 },
  professional: { requests: 100, windowSeconds: 1 },
  enterprise: { requests: 1000, windowSeconds: 1 },
};

const WINDOW_SECONDS = { s: 1, min: 60, h: 3600 } as const;
const ENTRY = /^([a-z]+)=(\d+)\/(s|min|h)$/;

/**
 * Reads `tier=requests/window,…` (window `s`, `min` or `h`; e.g. `free=10/s,enterprise=5000/s`) over the defaults;
 * throws a RangeError naming the first bad entry. Empty text means the defaults.
 */
export function parseTierLimits(text: string): TierLimits {
  const limits = { ...DEFAULT_TIER_LIMITS };
  const seen = new Set<string>();
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const match = ENTRY.exec(entry);
    if (!match) throw new RangeError(`"${entry}" is not <tier>=<requests>/<s|min|h>, e.g. free=10/s`);
    const [, tier, requests, window] = match as unknown as [string, string, string, keyof typeof WINDOW_SECONDS];
    if (!(TIERS as readonly string[]).includes(tier))
      throw new RangeError(`unknown tier "${tier}" (tiers: ${TIERS.join(", ")})`);
    if (seen.has(tier)) throw new RangeError(`tier "${tier}" is given twice`);
    seen.add(tier);
    const count = Number(requests);
    if (!Number.isSafeInteger(count) || count < 1)
      throw new RangeError(`"${entry}": requests must be a whole number of at least 1`);
    limits[tier as Tier] = { requests: count, windowSeconds: WINDOW_SECONDS[window] };
  }
  return limits;
}
