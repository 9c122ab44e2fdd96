import { describe, expect, it } from "vitest";
import { DEFAULT_TIER_LIMITS, parseTierLimits } from "./tier-limits.ts";

describe("parseTierLimits", () => {
  it("gives the documented defaults for empty text", () => {
    expect(parseTierLimits("")).toEqual({
      free: { requests: 10, windowSeconds: 1 },
      professional: { requests: 100, windowSeconds: 1 },
      enterprise: { requests: 1000, windowSeconds: 1 },
    });
  });

  it("reads each window unit and keeps the defaults of tiers it does not name", () => {
    expect(parseTierLimits(" free=3/min , enterprise=20000/s,")).toEqual({
      free: { requests: 3, windowSeconds: 60 },
      professional: DEFAULT_TIER_LIMITS.professional,
      enterprise: { requests: 20_000, windowSeconds: 1 },
    });
    expect(parseTierLimits("professional=5000/h").professional).toEqual({ requests: 5000, windowSeconds: 3600 });
  });

  it("names what is wrong with a bad entry", () => {
    expect(() => parseTierLimits("free=ten/s")).toThrow(
      '"free=ten/s" is not <tier>=<requests>/<s|min|h>, e.g. free=10/s',
    );
    expect(() => parseTierLimits("free=10/day")).toThrow('"free=10/day" is not <tier>=<requests>/<s|min|h>');
    expect(() => parseTierLimits("gold=10/s")).toThrow('unknown tier "gold" (tiers: free, professional, enterprise)');
    expect(() => parseTierLimits("free=1/s,free=2/s")).toThrow('tier "free" is given twice');
    expect(() => parseTierLimits("free=0/s")).toThrow('"free=0/s": requests must be a whole number of at least 1');
  });
});
