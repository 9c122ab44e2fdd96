import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateWeddingData, type GenerateOptions } from "../../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../../generator/generated-item.ts";
import { scaleForEventCount } from "../../generator/scale-to-event-count.ts";
import { partitionFor } from "../../platform/event-log/partition-for.ts";
import { partitionKey } from "../../schemas/index.ts";
import { freePort, runCli } from "./child-app.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "bin", "wedsync.ts");

/** What a crash scenario does. */
export interface CrashScenario {
  dataDir: string;
  /** Events to send (re-sends by the producer are extra). */
  events: number;
  /** External SIGKILLs to deliver while the load runs; self-kills at crash points come on top. */
  kills: number;
  /** Producer lanes sending in parallel; each lane keeps its weddings' events in order. */
  lanes: number;
  /** Events per request. */
  batchSize: number;
  /** Crash points armed in the server, e.g. `process.during-clickhouse-insert=0.02,…`. */
  crashPoints: string;
  generate: Omit<GenerateOptions, "maxEvents" | "scale">;
  /** Variables pointing the server at servers (see server-stack.ts); none means the embedded engines. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

/** What a crash scenario saw. */
export interface CrashOutcome {
  apiKey: string;
  items: GeneratedItem[];
  /** Ids of events the server acknowledged (a 202 counting them accepted or duplicate). */
  acknowledged: Set<string>;
  externalKills: number;
  selfKills: number;
  requests: number;
  retries: number;
  port: number;
  ms: number;
}

/**
 * Drives a steady load of generated events into `wedsync start` running as a child process, as
 * real producers would: each request is retried until it is answered 202. Meanwhile the server is
 * SIGKILLed at random moments from outside, and kills itself at armed crash points; whenever it
 * dies it is started again on the same data directory and port. Resolves once every event is
 * acknowledged and `kills` external kills were delivered, with the server stopped.
 */
export async function runCrashScenario(s: CrashScenario): Promise<CrashOutcome> {
  const log = s.log ?? (() => {});
  const started = Date.now();
  // The producer lanes post as fast as the server answers: its organisation is on a tier they cannot exhaust, so every
  // retry here is a crash's doing, never the rate limit's.
  const env = { ...s.env, DATA_DIR: s.dataDir, RATE_LIMITS: "enterprise=1000000/s" };
  const { apiKey } = JSON.parse(
    (await runCli(["org:create", "Crash Test Weddings", "--tier", "enterprise"], env)).trim(),
  ) as { apiKey: string };
  const scale = scaleForEventCount(s.generate, s.events);
  const items = [...generateWeddingData({ ...s.generate, scale, maxEvents: s.events })];
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  let child: ChildProcess | undefined;
  let up = false;
  let stopping = false;
  let externalKills = 0;
  let selfKills = 0;
  let killedByUs = false;

  async function startServer(): Promise<void> {
    killedByUs = false;
    const proc = spawn(process.execPath, ["--import", "tsx", CLI, "start"], {
      cwd: ROOT,
      env: serverEnv({
        ...env,
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "error",
        WEDSYNC_TEST_CRASH_POINTS: s.crashPoints,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let output = "";
    proc.stderr!.on("data", (chunk) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("listening on")) resolve();
      });
      proc.once("exit", (code, signal) =>
        reject(new Error(`server exited (${code ?? signal}) while starting:\n${output}`)),
      );
    }).catch(async (error: Error) => {
      // A crash point can fire during start-up (recovering a pending batch): that is a kill like any other.
      if (proc.signalCode === "SIGKILL") return;
      throw error;
    });
    if (proc.exitCode !== null || proc.signalCode !== null) {
      selfKills++;
      return startServer();
    }
    up = true;
    proc.once("exit", (_code, signal) => {
      up = false;
      if (stopping) return;
      if (signal === "SIGKILL" && !killedByUs) selfKills++;
      log(`server died (${signal ?? _code}); external ${externalKills}, self ${selfKills}`);
      restarting = startServer();
    });
  }

  let restarting: Promise<void> = startServer();
  await restarting;

  // The killer: a SIGKILL at a random moment 0.3–2.5 s into each life of the server.
  const killer = (async () => {
    while (externalKills < s.kills) {
      await restarting;
      await sleep(300 + Math.random() * 2_200);
      if (up && child && child.exitCode === null) {
        killedByUs = true;
        externalKills++;
        child.kill("SIGKILL");
        await new Promise((resolve) => child!.once("exit", resolve));
      }
    }
  })();

  // Producer lanes: a wedding's events always travel in one lane, in order.
  const lanes: GeneratedItem[][][] = Array.from({ length: s.lanes }, () => []);
  const laneItems: GeneratedItem[][] = Array.from({ length: s.lanes }, () => []);
  for (const item of items) laneItems[partitionFor(partitionKey(item.event), s.lanes)]!.push(item);
  laneItems.forEach((list, lane) => {
    for (let i = 0; i < list.length; i += s.batchSize) lanes[lane]!.push(list.slice(i, i + s.batchSize));
  });

  const acknowledged = new Set<string>();
  let requests = 0;
  let retries = 0;
  await Promise.all(
    lanes.map(async (batches) => {
      for (const batch of batches) {
        for (let attempt = 0; ; attempt++) {
          requests++;
          try {
            const res = await fetch(`${baseUrl}/v1/events`, {
              method: "POST",
              headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
              body: JSON.stringify(batch.map((item) => item.event)),
              signal: AbortSignal.timeout(30_000),
            });
            if (res.status === 202) {
              const body = (await res.json()) as { accepted: number; duplicates: number };
              if (body.accepted + body.duplicates !== batch.length)
                throw new Error(`202 counted ${JSON.stringify(body)} of ${batch.length}`);
              for (const item of batch) acknowledged.add(item.event.id);
              break;
            }
            await res.body?.cancel();
          } catch (error) {
            if (error instanceof Error && error.message.startsWith("202 counted")) throw error;
          }
          retries++;
          await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)) * Math.random());
        }
      }
    }),
  );
  await killer;
  await restarting;
  stopping = true;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  return { apiKey, items, acknowledged, externalKills, selfKills, requests, retries, port, ms: Date.now() - started };
}

/** Starts the server once more without crash points, for the final checks over HTTP. */
function serverEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS, CLICKHOUSE_URL, ...rest } = process.env;
  return { ...rest, ...env };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
