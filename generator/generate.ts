import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateWeddingData, type GenerateOptions } from "./generate-wedding-data.ts";
import { GroundTruthBuilder } from "../oracle/ground-truth.ts";
import { makeSchemaInvalid, type SchemaFault } from "./mutate-events.ts";
import { ORG_PRESETS } from "./org-profiles.ts";
import { deriveSeed } from "./org-runtime.ts";
import { Rng } from "./random.ts";
import { scaleForEventCount } from "./scale-to-event-count.ts";

const USAGE = `Generates wedding-supplier events as NDJSON, with their ground truth as JSON.

  npx tsx generator/generate.ts --seed 1 --events 100000 --out file.ndjson

  --seed N                  random seed (default 1)
  --events N                exactly N events (the last days of the period may be cut short) (default 100000)
  --scale S                 instead of --events: multiply each organisation's weddings per year by S
  --from YYYY-MM-DD         first day (default 2025-01-01)
  --to YYYY-MM-DD           last day, inclusive (default 2026-12-31)
  --orgs a,b                presets: ${Object.keys(ORG_PRESETS).join(", ")} (default all)
  --anomaly-rate R          share of weddings with an injected anomaly (default 0.01)
  --mismatch-rate R         share of weddings with a mismatch: a payment for no booking, after cancellation, in another
                            currency, or a refund above its payment (counted and flagged) (default 0)
  --duplicate-rate R        share of events sent twice with the same id (default 0)
  --resend-rate R           share of events with a business id sent again under a new event id (default 0)
  --schema-invalid-rate R   share of events followed by a schema-invalid copy with a fresh id (default 0)
  --format items|events     a line is {orgKey, event, label?} (default) or the bare event
  --out FILE                NDJSON file (default stdout)
  --truth FILE              ground truth JSON (default FILE with .truth.json when --out is given)`;

/** What one run of the generate command produced. */
export interface GenerateSummary {
  events: number;
  /** The --events asked for, if any; fewer are written only when the period ran out first. */
  requested: number | undefined;
  seconds: number;
  out: string;
  truth: string | undefined;
}

/** Where the ground truth goes when only --out is given: file.ndjson → file.truth.json. */
function truthPathFor(out: string): string {
  return `${out.replace(/\.ndjson$/, "")}.truth.json`;
}

/** A rate option between 0 and 1. */
function rate(value: string | undefined, fallback: number, name: string): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new RangeError(`--${name} must be a number between 0 and 1`);
  return parsed;
}

/** Runs the generate command with command-line arguments; writes NDJSON and ground truth and returns a summary. */
export async function runGenerate(args: string[]): Promise<GenerateSummary> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      seed: { type: "string", default: "1" },
      events: { type: "string" },
      scale: { type: "string" },
      from: { type: "string", default: "2025-01-01" },
      to: { type: "string", default: "2026-12-31" },
      orgs: { type: "string", default: Object.keys(ORG_PRESETS).join(",") },
      "anomaly-rate": { type: "string" },
      "mismatch-rate": { type: "string" },
      "duplicate-rate": { type: "string" },
      "resend-rate": { type: "string" },
      "schema-invalid-rate": { type: "string" },
      format: { type: "string", default: "items" },
      out: { type: "string" },
      truth: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return { events: 0, requested: undefined, seconds: 0, out: "", truth: undefined };
  }
  if (values.events !== undefined && values.scale !== undefined)
    throw new RangeError("give --events or --scale, not both");
  if (values.format !== "items" && values.format !== "events") throw new RangeError("--format must be items or events");
  const organisations = values.orgs.split(",").map((name) => {
    const preset = ORG_PRESETS[name as keyof typeof ORG_PRESETS];
    if (preset === undefined)
      throw new RangeError(`unknown preset "${name}"; known: ${Object.keys(ORG_PRESETS).join(", ")}`);
    return preset;
  });
  const seed = Number(values.seed);
  const base = {
    seed,
    organisations,
    from: values.from,
    to: values.to,
    anomalyRate: rate(values["anomaly-rate"], 0.01, "anomaly-rate"),
    mismatchRate: rate(values["mismatch-rate"], 0, "mismatch-rate"),
    duplicateRate: rate(values["duplicate-rate"], 0, "duplicate-rate"),
    resendRate: rate(values["resend-rate"], 0, "resend-rate"),
  };
  const schemaInvalidRate = rate(values["schema-invalid-rate"], 0, "schema-invalid-rate");
  let options: GenerateOptions;
  if (values.scale !== undefined) {
    options = { ...base, scale: Number(values.scale) };
  } else {
    const target = Number(values.events ?? 100_000);
    if (!Number.isInteger(target) || target <= 0) throw new RangeError("--events must be a positive integer");
    // Generated at a scale a little above the measured one and stopped at `target`, so the last
    // days of the period may be cut short; the truth's lastOccurredAt says where it ended.
    options = { ...base, scale: scaleForEventCount(base, target), maxEvents: target };
  }

  const started = performance.now();
  const toFile = values.out !== undefined && values.out !== "-";
  const out = toFile ? createWriteStream(values.out!) : process.stdout;
  const truthPath = values.truth ?? (toFile ? truthPathFor(values.out!) : undefined);
  const data = generateWeddingData(options);
  const builder = new GroundTruthBuilder();
  const mutationRng = new Rng(deriveSeed(seed, "schema-invalid"));
  const schemaInvalid: Record<string, Partial<Record<SchemaFault, number>>> = {};
  let count = 0;
  let buffer = "";
  for (const item of data) {
    builder.add(item);
    count++;
    buffer += `${JSON.stringify(values.format === "items" ? item : item.event)}\n`;
    if (schemaInvalidRate > 0 && mutationRng.chance(schemaInvalidRate)) {
      const broken = makeSchemaInvalid({ ...item.event, id: mutationRng.uuid() }, mutationRng);
      const label = { class: "schema-invalid", fault: broken.fault, path: broken.path };
      buffer +=
        JSON.stringify(values.format === "items" ? { orgKey: item.orgKey, event: broken.value, label } : broken.value) +
        "\n";
      const faults = (schemaInvalid[item.orgKey] ??= {});
      faults[broken.fault] = (faults[broken.fault] ?? 0) + 1;
    }
    if (buffer.length >= 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.write(buffer);
  if (toFile) {
    out.end();
    await once(out, "finish");
  }
  const seconds = (performance.now() - started) / 1000;
  if (truthPath !== undefined) {
    const truth = {
      options: { ...options, organisations: options.organisations.map((org) => org.key) },
      catalogs: data.catalogs,
      schemaInvalid,
      ...builder.result(),
    };
    await writeFile(truthPath, JSON.stringify(truth, null, 1));
  }
  return {
    events: count,
    requested: options.maxEvents,
    seconds,
    out: toFile ? values.out! : "stdout",
    truth: truthPath,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runGenerate(process.argv.slice(2)).then(
    (summary) => {
      if (summary.out === "") return;
      if (summary.requested !== undefined && summary.events < summary.requested) {
        process.stderr.write(`warning: only ${summary.events} of ${summary.requested} events fit in the period\n`);
      }
      const perSecond = Math.round(summary.events / summary.seconds);
      process.stderr.write(
        `wrote ${summary.events} events to ${summary.out} in ${summary.seconds.toFixed(1)} s (${perSecond} events/s)` +
          (summary.truth === undefined ? "\n" : `; ground truth in ${summary.truth}\n`),
      );
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
      process.exitCode = 1;
    },
  );
}
