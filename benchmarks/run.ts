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
  "ingest-postgres": "scenarios/ingest-throughput.ts",
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
  "ingest-postgres": ["--postgres"],
  "queries-10m": ["--events", "10000000"],
  "late-link-10m": ["--events", "10000000"],
};

/** Scenarios that need a Postgres server (DATABASE_URL), skipped without one unless named with --only. */
const NEEDS_POSTGRES: ReadonlySet<ScenarioName> = new Set(["ingest-postgres"]);

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
  for (const ingest of results.filter((r) => r.scenario === "ingest" || r.scenario === "ingest-postgres")) {
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, only: { type: "string" }, out: { type: "string" } },
  });
  const all = (Object.keys(SCENARIOS) as ScenarioName[]).filter((n) => !(values.quick && FULL_ONLY.has(n)));
  const skipped = process.env.DATABASE_URL ? [] : all.filter((n) => NEEDS_POSTGRES.has(n));
  for (const name of skipped) console.error(`== ${name}: skipped, it needs a Postgres server (set DATABASE_URL)`);
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
