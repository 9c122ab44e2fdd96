import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runCli, startChildApp } from "../../test/support/child-app.ts";
import { freshnessMs } from "./ingest-freshness.ts";
import type { IngestLoadReport } from "./ingest-load-generator.ts";
import { averageCpuPercent, startProcessSampler } from "./ingest-process-sampler.ts";
import { percentile, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { createScratchDatabase } from "./scratch-postgres-database.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LOAD_GENERATOR = path.join(ROOT, "benchmarks", "scenarios", "ingest-load-generator.ts");

/** Sizes of an ingest run; the runner uses the defaults, the command line may override them. */
export interface IngestThroughputOptions extends ScenarioOptions {
  seconds?: number;
  connections?: number;
  batchSize?: number;
  /**
   * Events per second the load generator offers (paced), instead of as many as the server takes: the scenario is then
   * named `ingest-<n>k`, and its freshness is the freshness at that rate.
   */
  offeredPerSecond?: number;
  /** When set, the server and the load generator each write a V8 CPU profile into this directory. */
  cpuProfileDir?: string;
  /**
   * A Postgres server's URL: the app keeps its state in a scratch database there instead of in PGlite, everything
   * else staying embedded. The scenario is then named `ingest-postgres`.
   */
  postgresUrl?: string;
  /**
   * Kafka brokers: the app's event log is a topic of its own there instead of the embedded LMDB log, everything else
   * staying embedded. The scenario is then named `ingest-kafka`.
   */
  kafkaBrokers?: string;
}

/**
 * Node flags that make a child write V8 CPU profiles into `dir/role` when it exits (`BENCH_CPU_PROF=dir`); none
 * when profiling is off. Every thread writes its own file (node's default names, which hold pid and thread id):
 * tsx's loader thread has one too, so the main thread's is the largest. The server writes its profile on its
 * clean SIGTERM exit.
 */
function cpuProfileFlags(dir: string | undefined, role: string): string[] {
  if (!dir) return [];
  return ["--cpu-prof", `--cpu-prof-dir=${path.resolve(dir, role)}`];
}

/** Runs the load generator as its own process and resolves with its report, passing on each line as it arrives. */
async function runLoadGenerator(
  args: string[],
  onLine: (line: { phase?: string }, atMs: number) => void,
  options: { cpuProfileDir?: string; onSpawn?: (pid: number) => void } = {},
): Promise<IngestLoadReport> {
  const flags = cpuProfileFlags(options.cpuProfileDir, "load-generator");
  const child = spawn(process.execPath, [...flags, "--import", "tsx", LOAD_GENERATOR, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  options.onSpawn?.(child.pid!);
  let stderr = "";
  let last = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout }).on("line", (line) => {
    last = line;
    onLine(JSON.parse(line) as { phase?: string }, performance.now());
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}: ${stderr}`);
  return JSON.parse(last) as IngestLoadReport;
}

/** Stops the server: SIGTERM, then SIGKILL if it is still there after 10 s. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Sustained ingest to queryable: `wedsync start` runs alone in a child process on the embedded
 * defaults (fresh DATA_DIR, LOG_LEVEL=warn); a separate load-generating process posts chain-preset
 * events in JSON batches (default 1000) over keep-alive lanes (default 4; a wedding's events stay in
 * one lane, in order) for a fixed time (quick 10 s, full 60 s), then waits for lag 0 (cap 120 s).
 *
 * Accepted rate = events acknowledged ÷ load time. Processed rate = events processed ÷ time from
 * the first ack to the first poll showing lag 0. Freshness: every 250 ms the load generator reads
 * `meta.watermark` of GET /v1/analytics/revenue (a one-day range, cheap); an event acknowledged at
 * t is visible once Σ processed ≥ the events accepted up to t (one org, a log that only grows), so
 * freshness = that poll's answer time − t, an upper bound by up to one poll interval plus its latency.
 * The parent reads the server's VmRSS, RssFile and utime+stime from /proc every 250 ms: peak RSS, peak
 * anonymous RSS (VmRSS − RssFile: what is left once the log's mapped file pages are set aside), and the
 * average CPU (% of one core) from the start of the load until lag 0, and that CPU time per acknowledged
 * event (every thread of the server: ingest, processors, PGlite, chDB, LMDB), so growth in the cost of an
 * event shows. It samples the load generator too: on a 2-core machine the two share the cores, so a busy
 * generator caps what the server is offered.
 *
 * `BENCH_CPU_PROF=dir` (or `cpuProfileDir`) makes the server and the load generator write V8 CPU
 * profiles into dir; profiling slows both, so figures of such a run are not comparable to others.
 */
export async function run(options: IngestThroughputOptions): Promise<ScenarioResult> {
  const seconds = options.seconds ?? (options.quick ? 10 : 60);
  const connections = options.connections ?? 4;
  const batchSize = options.batchSize ?? 1000;
  const dataDir = path.join(options.workDir, "ingest-throughput-data");
  await mkdir(dataDir, { recursive: true });
  const scratch = options.postgresUrl
    ? await createScratchDatabase(options.postgresUrl, "wedsync_bench_ingest")
    : undefined;
  // The benchmark measures the pipeline with the rate limiter in the path but never refusing: its organisation is on a
  // tier with a quota no load generator reaches.
  const run = randomUUID().slice(0, 8);
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    RATE_LIMITS: "enterprise=1000000/s",
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    // A topic and group of the run's own: an earlier run's would hold events this run's fresh Postgres never saw.
    ...(options.kafkaBrokers
      ? {
          KAFKA_BROKERS: options.kafkaBrokers,
          EVENTS_TOPIC: `wedsync-bench-${run}`,
          PROCESSOR_GROUP: `wedsync-bench-processors-${run}`,
        }
      : {}),
  };
  // ingest, ingest-10k (paced), ingest-postgres, ingest-10k-postgres, ingest-kafka, ingest-10k-kafka …
  const scenario = [
    "ingest",
    ...(options.offeredPerSecond === undefined ? [] : [`${options.offeredPerSecond / 1000}k`]),
    ...(scratch ? ["postgres"] : options.kafkaBrokers ? ["kafka"] : []),
  ].join("-");
  let server: Awaited<ReturnType<typeof startChildApp>> | undefined;
  try {
    const created = await runCli(["org:create", "Ingest Benchmark Weddings", "--tier", "enterprise"], env);
    const { apiKey } = JSON.parse(created.trim()) as { apiKey: string };
    const cpuProfileDir = options.cpuProfileDir ?? process.env.BENCH_CPU_PROF;
    if (cpuProfileDir) await mkdir(cpuProfileDir, { recursive: true });
    server = await startChildApp({ ...env, LOG_LEVEL: "warn" }, { nodeArgs: cpuProfileFlags(cpuProfileDir, "server") });
    const sampler = startProcessSampler(server.process.pid!, 250);
    let generatorSampler: ReturnType<typeof startProcessSampler> | undefined;
    const phases: Record<string, number> = {};
    options.log(`ingest: ${seconds} s, ${connections} connections, ${batchSize} events per request`);
    const args = [
      ...["--base-url", server.baseUrl, "--api-key", apiKey, "--seed", "1"],
      ...["--seconds", String(seconds), "--connections", String(connections), "--batch", String(batchSize)],
      ...(options.offeredPerSecond === undefined ? [] : ["--rate", String(options.offeredPerSecond)]),
    ];
    const report = await runLoadGenerator(
      args,
      (line, atMs) => {
        if (line.phase) {
          phases[line.phase] = atMs;
          options.log(`ingest: ${line.phase}`);
        }
      },
      { cpuProfileDir, onSpawn: (pid) => (generatorSampler = startProcessSampler(pid, 250)) },
    );
    const endedAt = performance.now();
    sampler.stop();
    generatorSampler?.stop();

    const freshness = freshnessMs(report.acks, report.polls, report.processedBefore);
    const lastPoll = report.polls[report.polls.length - 1];
    const processed = (lastPoll?.processed ?? report.processedBefore) - report.processedBefore;
    const processedPerSecond = processed / ((report.caughtUpMs - report.firstAckMs) / 1000);
    const loadStart = phases.load ?? Number.NaN;
    const round = (value: number, digits = 0) => Number(value.toFixed(digits));
    const acceptedPerSecond = report.eventsAcknowledged / (report.loadMs / 1000);
    const rssPeak = Math.max(...sampler.samples.map((s) => s.rssMiB));
    const anonymousPeak = Math.max(...sampler.samples.map((s) => s.rssMiB - s.rssFileMiB));
    const cpuAverage = averageCpuPercent(sampler.samples, loadStart, endedAt);
    // The generator's own load phase only: while it drains it merely polls.
    const loadEnd = phases.drain ?? endedAt;
    const generatorCpu = averageCpuPercent(generatorSampler?.samples ?? [], loadStart, loadEnd);
    // Whether memory is flat under steady load: the peak of each half of the load phase.
    const halfway = (loadStart + loadEnd) / 2;
    const rssPeakOf = (from: number, to: number) =>
      Math.max(...sampler.samples.filter((s) => s.atMs >= from && s.atMs < to).map((s) => s.rssMiB));
    return {
      scenario,
      setup: {
        postgres: scratch ? "Postgres server (scratch database)" : "PGlite (embedded)",
        event_log: options.kafkaBrokers ? "Kafka (local single-node broker)" : "LMDB (embedded)",
        duration_seconds: seconds,
        ...(options.offeredPerSecond === undefined ? {} : { offered_events_per_second: options.offeredPerSecond }),
        connections,
        batch_size: batchSize,
        events_acknowledged: report.eventsAcknowledged,
        events_sent: report.eventsSent,
        requests: report.requests,
        errors: report.errors,
        generator_exhausted: String(report.exhausted),
        drain_seconds: round((report.caughtUpMs - report.loadMs) / 1000, 1),
        freshness_samples: freshness.length,
        request_latency_p50_ms: round(percentile(report.requestLatencyMs, 50)),
        request_latency_p99_ms: round(percentile(report.requestLatencyMs, 99)),
        watermark_poll_p50_ms: round(percentile(report.pollLatencyMs, 50)),
        load_generator_cpu_avg_percent: round(generatorCpu, 1),
        ...(cpuProfileDir ? { cpu_profile_dir: path.resolve(cpuProfileDir) } : {}),
      },
      figures: [
        { name: "accepted_events_per_second", value: round(acceptedPerSecond), unit: "events/s" },
        { name: "processed_events_per_second", value: round(processedPerSecond), unit: "events/s" },
        { name: "freshness_p50_ms", value: round(percentile(freshness, 50)), unit: "ms" },
        { name: "freshness_p99_ms", value: round(percentile(freshness, 99)), unit: "ms" },
        { name: "server_rss_peak_mib", value: round(rssPeak, 1), unit: "MiB" },
        { name: "server_rss_anonymous_peak_mib", value: round(anonymousPeak, 1), unit: "MiB" },
        { name: "server_rss_peak_first_half_mib", value: round(rssPeakOf(loadStart, halfway), 1), unit: "MiB" },
        { name: "server_rss_peak_second_half_mib", value: round(rssPeakOf(halfway, loadEnd), 1), unit: "MiB" },
        { name: "server_cpu_avg_percent", value: round(cpuAverage, 1), unit: "%" },
        // The server's CPU time from the start of the load until lag 0, over the events it took and processed.
        {
          name: "server_cpu_us_per_event",
          value: round(((cpuAverage / 100) * (endedAt - loadStart) * 1_000) / report.eventsAcknowledged),
          unit: "µs",
        },
      ],
    };
  } finally {
    if (server) await stopServer(server.process);
    await scratch?.drop();
  }
}

/** The brokers `--kafka` runs against. */
function requiredKafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("--kafka needs KAFKA_BROKERS (infra/kafka/start-kafka.sh starts a local broker)");
  return brokers;
}

/** The server `--postgres` runs against. */
function requiredDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error("--postgres needs DATABASE_URL: a Postgres server the benchmark may create a scratch database on");
  return url;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      "work-dir": { type: "string" },
      seconds: { type: "string" },
      connections: { type: "string" },
      batch: { type: "string" },
      rate: { type: "string" },
      "cpu-prof-dir": { type: "string" },
      postgres: { type: "boolean", default: false },
      kafka: { type: "boolean", default: false },
    },
  });
  if (!values["work-dir"]) throw new Error("--work-dir is required");
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const result = await run({
    quick: values.quick,
    workDir: path.resolve(values["work-dir"]),
    log: (line) => process.stderr.write(`${line}\n`),
    seconds: number(values.seconds),
    connections: number(values.connections),
    batchSize: number(values.batch),
    offeredPerSecond: number(values.rate),
    cpuProfileDir: values["cpu-prof-dir"],
    postgresUrl: values.postgres ? requiredDatabaseUrl() : undefined,
    kafkaBrokers: values.kafka ? requiredKafkaBrokers() : undefined,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
