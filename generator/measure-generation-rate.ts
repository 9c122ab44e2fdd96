import { pathToFileURL } from "node:url";
import { generateWeddingData, type GenerateOptions } from "./generate-wedding-data.ts";
import { ORG_PRESETS } from "./org-profiles.ts";
import { scaleForEventCount } from "./scale-to-event-count.ts";

/** How fast the generator alone produced events (no serialisation, no ground truth). */
export interface GenerationRate {
  events: number;
  wallSeconds: number;
  eventsPerSecond: number;
  /** Events per CPU-second of this process, garbage-collector threads included: steadier on a busy machine. */
  eventsPerCpuSecond: number;
  rssMegabytes: number;
}

/** Generates `events` events from every preset over two years and measures the rate. */
export function measureGenerationRate(events: number, seed = 1): GenerationRate {
  const base: Omit<GenerateOptions, "scale" | "maxEvents"> = {
    seed,
    organisations: Object.values(ORG_PRESETS),
    from: "2025-01-01",
    to: "2026-12-31",
    anomalyRate: 0.01,
  };
  const options = { ...base, scale: scaleForEventCount(base, events), maxEvents: events };
  const started = performance.now();
  const cpu = process.cpuUsage();
  let count = 0;
  for (const _item of generateWeddingData(options)) count++;
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    events: count,
    wallSeconds,
    eventsPerSecond: Math.round(count / wallSeconds),
    eventsPerCpuSecond: Math.round(count / ((used.user + used.system) / 1e6)),
    rssMegabytes: Math.round(process.memoryUsage().rss / 1e6),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(measureGenerationRate(Number(process.argv[2] ?? 1_000_000)))}\n`);
}
