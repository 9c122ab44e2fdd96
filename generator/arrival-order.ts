import { Rng } from "./random.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How `arrivalOrder` reorders items. */
export interface ArrivalOptions {
  /** The same seed and items always give the same order. */
  seed: number;
  /**
   * `realistic` (the default): each item arrives after a delay of its own from when it occurred, and items arrive in
   * the order of those arrival times; `random`: a uniformly random permutation, whatever occurred when.
   */
  shuffle?: "realistic" | "random";
  /** Realistic: share of items held back minutes to hours (a producer retrying, another service's queue); default 0.1. */
  queuedShare?: number;
  /** Realistic: share of items held back hours to `maxDelayDays` (a device offline, a late import); default 0.03. */
  offlineShare?: number;
  /** Realistic: the longest hold-back, in days; default 30. */
  maxDelayDays?: number;
}

/**
 * The items in an order they might arrive in: arrival order is not occurrence order. Producers retry, buffer offline
 * and send from several services, so a payment can arrive before its booking, an update before the booking it changes,
 * a refund before its payment, within a wedding and across weddings. In the realistic order most items arrive within
 * 30 seconds of occurring; `queuedShare` of them 1 minute to 6 hours late and `offlineShare` 6 hours to `maxDelayDays`
 * late (log-uniformly, so every scale of lateness shows). Ties keep the given order. The random order is a Fisher–Yates
 * shuffle. Either is deterministic for a seed and the same items; nothing is dropped or added.
 */
export function arrivalOrder<T extends { event: { occurredAt: string } }>(
  items: Iterable<T>,
  options: ArrivalOptions,
): T[] {
  const list = [...items];
  const rng = new Rng(options.seed);
  if (options.shuffle === "random") {
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list;
  }
  const queued = options.queuedShare ?? 0.1;
  const offline = options.offlineShare ?? 0.03;
  const longest = Math.max(6 * HOUR, (options.maxDelayDays ?? 30) * DAY);
  if (!(queued >= 0 && offline >= 0 && queued + offline <= 1))
    throw new RangeError("queuedShare and offlineShare must be shares that add up to at most 1");
  /** A delay between two bounds, uniform on a log scale. */
  const logUniform = (from: number, to: number) => Math.round(from * (to / from) ** rng.next());
  const arrivals = list.map((item) => {
    const draw = rng.next();
    const delay =
      draw < offline
        ? logUniform(6 * HOUR, longest)
        : draw < offline + queued
          ? logUniform(MINUTE, 6 * HOUR)
          : rng.int(0, 30 * SECOND);
    return Date.parse(item.event.occurredAt) + delay;
  });
  const order = list.map((_, i) => i).sort((a, b) => arrivals[a]! - arrivals[b]! || a - b);
  return order.map((i) => list[i]!);
}
