import type { TruthInput } from "../../oracle/replay-events.ts";
import type { WedSyncEvent } from "../../schemas/index.ts";

let n = 0;

/** An item of org "a" for the oracle: an event of the given type at the given time, with a fresh id unless given. */
export const item = (
  type: string,
  occurredAt: string,
  data: Record<string, unknown>,
  id = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
): TruthInput => ({
  orgKey: "a",
  event: { id, type, occurredAt, source: "test", data } as WedSyncEvent,
});

/** An amount in pence. */
export const gbp = (amount: number) => ({ amount, currency: "GBP" });
