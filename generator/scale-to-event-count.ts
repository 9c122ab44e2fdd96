import { dayNumber } from "./calendar.ts";
import { generateWeddingData, type GenerateOptions } from "./generate-wedding-data.ts";

/** Largest pilot run, in events: big enough to measure events per unit of scale within about 1 %. */
const PILOT_EVENTS = 200_000;
/** Rough events per booked wedding, only used to size the pilot. */
const EVENTS_PER_WEDDING_GUESS = 12;
/** Head-room over the measured scale: about three standard deviations of the pilot's error. */
const MARGIN = 1.03;

/** Counts the events generated at a scale. */
function countEvents(options: Omit<GenerateOptions, "scale" | "maxEvents">, scale: number): number {
  let count = 0;
  for (const _item of generateWeddingData({ ...options, scale })) count++;
  return count;
}

/**
 * A scale at which these options generate at least `target` events, to be capped with
 * `maxEvents: target`. A pilot run measures events per unit of scale (the count is proportional
 * to scale, give or take noise); the answer carries a 3 % margin, and for targets no larger than
 * the pilot, where a count is cheap and noise is larger, it is checked and raised until it holds.
 */
export function scaleForEventCount(options: Omit<GenerateOptions, "scale" | "maxEvents">, target: number): number {
  const years = (dayNumber(options.to) - dayNumber(options.from) + 1) / 365.25;
  const guess =
    options.organisations.reduce((sum, org) => sum + org.weddingsPerYear, 0) * years * EVENTS_PER_WEDDING_GUESS;
  const pilotScale = Math.min(PILOT_EVENTS, target) / guess;
  const pilotCount = countEvents(options, pilotScale);
  if (pilotCount === 0) throw new RangeError("the pilot run generated no events: is the period too short?");
  let scale = ((pilotScale * target) / pilotCount) * MARGIN;
  if (target <= PILOT_EVENTS) {
    for (let count = countEvents(options, scale); count < target; count = countEvents(options, scale)) {
      scale *= (target / Math.max(1, count)) * MARGIN;
    }
  }
  return scale;
}
