import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { toMarkdown, toSvg, type BenchmarkRun } from "./results-report.ts";
import type { ScenarioResult } from "./scenarios/scenario.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

/** The scenarios `npm run bench` knows, each run in a process of its own (chDB binds one directory per process). */
export const SCENARIOS = {
  ingest: "scenarios/ingest-throughput.ts",
  "ingest-10k": "scenarios/ingest-throughput.ts",
  "ingest-postgres": "scenarios/ingest-throughput.ts",
  "ingest-kafka": "scenarios/ingest-throughput.ts",
  "ingest-10k-postgres": "scenarios/ingest-throughput.ts",
  "ingest-10k-kafka": "scenarios/ingest-throughput.ts",
  limit: "scenarios/sink-limit.ts",
  queries: "scenarios/query-latency.ts",
  "queries-10m": "scenarios/query-latency.ts",
  reports: "scenarios/report-rendering.ts",
  "late-link": "scenarios/late-link.ts",
  "late-link-10m": "scenarios/late-link.ts",
} as const;

type ScenarioName = keyof typeof SCENARIOS;

/** Arguments a scenario gets besides --quick and --work-dir. */
const SCENARIO_ARGS: Partial<Record<ScenarioName, string[]>> = {
  "ingest-10k": ["--rate", "10000"],
  "ingest-postgres": ["--postgres"],
  "ingest-kafka": ["--kafka"],
  "ingest-10k-postgres": ["--rate", "10000", "--postgres"],
  "ingest-10k-kafka": ["--rate", "10000", "--kafka"],
  "queries-10m": ["--events", "10000000"],
  "late-link-10m": ["--events", "10000000"],
};

const POSTGRES_SERVER = { variable: "DATABASE_URL", server: "a Postgres server" };
const KAFKA_BROKER = { variable: "KAFKA_BROKERS", server: "a Kafka broker (infra/kafka/start-kafka.sh)" };

/** Scenarios that need a server, by the variable naming it; skipped without it unless named with --only. */
const NEEDS_SERVER: Partial<Record<ScenarioName, { variable: string; server: string }>> = {
  "ingest-postgres": POSTGRES_SERVER,
  "ingest-kafka": KAFKA_BROKER,
  "ingest-10k-postgres": POSTGRES_SERVER,
  "ingest-10k-kafka": KAFKA_BROKER,
};

/** Scenarios whose figures are shown beside the same figures of another scenario of the same run. */
const COMPARED_WITH: Partial<Record<ScenarioName, ScenarioName>> = {
  "ingest-postgres": "ingest",
  "ingest-kafka": "ingest",
  "ingest-10k": "ingest",
  "ingest-10k-postgres": "ingest-10k",
  "ingest-10k-kafka": "ingest-10k",
};

/** Scenarios left out of --quick runs (unless named with --only): too big for a smoke test. */
const FULL_ONLY: ReadonlySet<ScenarioName> = new Set(["queries-10m", "late-link-10m"]);

/** Runs one scenario file as a child process and parses the ScenarioResult on its last line of output. */
async function runScenario(file: string, args: string[]): Promise<ScenarioResult> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, file), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`${file} exited with ${code}`);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as ScenarioResult;
}

/** Adds to each ingest scenario its accepted rate as a fraction of the raw sink limit measured in the same run. */
function addIngestShareOfLimit(results: ScenarioResult[]): void {
  const limit = results
    .find((r) => r.scenario === "limit")
    ?.figures.find((f) => f.name === "rows_per_second_json_compact");
  if (!limit) return;
  for (const ingest of results.filter((r) => r.scenario.startsWith("ingest"))) {
    const accepted = ingest.figures.find((f) => f.name === "accepted_events_per_second");
    if (!accepted) continue;
    ingest.figures.push({
      name: "accepted_share_of_sink_limit",
      value: accepted.value / limit.value,
      unit: "fraction",
      baseline: { name: "limit.rows_per_second_json_compact", value: limit.value },
      ratio: accepted.value / limit.value,
    });
  }
}

/**
 * Gives each figure of a compared scenario (COMPARED_WITH) the same figure of its baseline scenario in the same run
 * as its baseline, so the report shows, say, the Kafka log's rates beside the embedded log's.
 */
function addBaselines(results: ScenarioResult[]): void {
  for (const result of results) {
    const baselineName = COMPARED_WITH[result.scenario as ScenarioName];
    const baseline = results.find((r) => r.scenario === baselineName);
    if (!baseline) continue;
    for (const figure of result.figures) {
      const same = baseline.figures.find((f) => f.name === figure.name);
      if (!same || figure.baseline) continue;
      figure.baseline = { name: `${baselineName}.${figure.name}`, value: same.value };
      // Time, memory and CPU are better lower; rates better higher (see Figure.ratio).
      const lowerIsBetter = ["ms", "µs", "MiB", "%"].includes(figure.unit);
      const [better, worse] = lowerIsBetter ? [same.value, figure.value] : [figure.value, same.value];
      if (worse !== 0) figure.ratio = better / worse;
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, only: { type: "string" }, out: { type: "string" } },
  });
  const all = (Object.keys(SCENARIOS) as ScenarioName[]).filter((n) => !(values.quick && FULL_ONLY.has(n)));
  const skipped = all.filter((n) => {
    const needs = NEEDS_SERVER[n];
    return needs !== undefined && !process.env[needs.variable];
  });
  for (const name of skipped) {
    const needs = NEEDS_SERVER[name]!;
    console.error(`== ${name}: skipped, it needs ${needs.server} (set ${needs.variable})`);
  }
  const names = (values.only?.split(",") ?? all.filter((n) => !skipped.includes(n))) as ScenarioName[];
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s) ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`);

  const cpus = os.cpus();
  const run: BenchmarkRun = {
    startedAt: new Date().toISOString(),
    quick: values.quick,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? "unknown",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    results: [],
  };
  for (const name of names) {
    const workDir = await mkdtemp(path.join(os.tmpdir(), `wedsync-bench-${name}-`));
    try {
      console.error(`== ${name}`);
      const args = [...(values.quick ? ["--quick"] : []), ...(SCENARIO_ARGS[name] ?? []), "--work-dir", workDir];
      run.results.push(await runScenario(SCENARIOS[name], args));
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  addIngestShareOfLimit(run.results);
  addBaselines(run.results);
  const outDir = values.out ?? path.join(HERE, "results");
  await mkdir(outDir, { recursive: true });
  const stem = path.join(outDir, run.startedAt.replace(/[:.]/g, "-"));
  await writeFile(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(`${stem}.md`, toMarkdown(run));
  await writeFile(`${stem}.svg`, toSvg(run));
  console.log(toMarkdown(run));
  console.error(`results: ${stem}.{json,md,svg}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
